// FHIR R4 in: synthetic coded bundles built from the cases' facts give back the same facts and the
// same evaluation; unit conversions at the Child-Pugh boundaries; what cannot be mapped is reported.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factsToFhir, fhirToFacts, localSystem } from '../../engine/interop/index.ts';
import { loadGuideline, main } from '../../engine/node/index.ts';
import { evaluate, type Facts } from '../../engine/runtime/index.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const g = loadGuideline(GUIDELINE_DIR).guideline;
const NOW = '2026-12-01';
const byKey = (o: object) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
/** Facts in a canonical order: keys sorted, the lines of therapy by line (their order carries no meaning). */
const sorted = (f: Facts) => byKey(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, k === 'prior_systemic_therapies' && Array.isArray(v) ? [...v].sort((a: any, b: any) => a.line - b.line).map((i) => byKey(i as object)) : v])));
const UCUM = 'http://unitsofmeasure.org';
const bundleOf = (...resources: Record<string, unknown>[]) => ({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) });
const lab = (id: string, code: string, value: number, unit: string, date = '2026-11-25') => ({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, effectiveDateTime: date, valueQuantity: { value, unit, system: UCUM, code: unit } });
const points = (facts: Facts, def: string) => evaluate(g, facts).values[def]?.value;

describe('fhirToFacts on synthetic bundles of the cases', () => {
  // every case whose facts a FHIR bundle can carry (the lines of therapy as MedicationStatements)
  const bundles = new Map(g.cases.map((c) => [c.id, factsToFhir(g, c.facts, { now: NOW })]));
  const cases = g.cases.filter((c) => bundles.get(c.id)!.skipped.length === 0);
  it('covers many existing cases, with standard codes and laboratory units', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    const withLabs = cases.filter((c) => 'albumin' in c.facts && 'bilirubin' in c.facts && 'platelet_count' in c.facts);
    expect(withLabs.length).toBeGreaterThanOrEqual(15);
    const { bundle } = factsToFhir(g, withLabs[0].facts, { now: NOW });
    const text = JSON.stringify(bundle);
    expect(text).toContain('"code":"1751-7"');
    expect(text).toContain('"code":"g/L"');
    expect(text).toContain('"code":"umol/L"');
    expect(text).toContain('"code":"10*9/L"');
    // and cases with lines of systemic therapy, from medication periods
    const withLines = cases.filter((c) => Array.isArray(c.facts.prior_systemic_therapies) && (c.facts.prior_systemic_therapies as unknown[]).length > 0);
    expect(withLines.length).toBeGreaterThanOrEqual(15);
  });
  it('gives back the same facts and the same evaluation for each of them', () => {
    let n = 0;
    for (const c of cases) {
      const { bundle } = bundles.get(c.id)!;
      const r = fhirToFacts(bundle, { guideline: g, now: NOW });
      expect(sorted(r.facts), c.id).toEqual(sorted(c.facts));
      expect(r.unmapped.filter((u) => !u.reason.startsWith('no birthDate')), c.id).toEqual([]);
      if (n++ % 4 === 0) {
        const [a, b] = [evaluate(g, r.facts), evaluate(g, c.facts)];
        expect({ values: a.values, rules: a.rules }, c.id).toEqual({ values: b.values, rules: b.rules });
      }
    }
    expect(n).toBeGreaterThanOrEqual(15);
  });
});

describe('unit conversion at the Child-Pugh boundaries', () => {
  const albumin = (v: number, unit = 'g/L') => fhirToFacts(bundleOf(lab('a', '1751-7', v, unit)), { guideline: g, now: NOW }).facts;
  it('albumin 35 g/L is 3.5 g/dL and scores 2 points; 36 g/L scores 1', () => {
    expect(albumin(35)).toEqual({ albumin: 3.5 });
    expect(points(albumin(35), 'child_pugh_albumin_points')).toBe(2);
    expect(albumin(36)).toEqual({ albumin: 3.6 });
    expect(points(albumin(36), 'child_pugh_albumin_points')).toBe(1);
    expect(points(albumin(28), 'child_pugh_albumin_points')).toBe(2);
    expect(points(albumin(27), 'child_pugh_albumin_points')).toBe(3);
    expect(albumin(3.5, 'g/dL')).toEqual({ albumin: 3.5 });
  });
  it('bilirubin 34.2 umol/L is 2 mg/dL (÷17.1) and scores 2 points; 34 umol/L scores 1', () => {
    const bili = (v: number) => fhirToFacts(bundleOf(lab('b', '1975-2', v, 'umol/L')), { guideline: g, now: NOW }).facts;
    expect(bili(34.2)).toEqual({ bilirubin: 2 });
    expect(points(bili(34.2), 'child_pugh_bilirubin_points')).toBe(2);
    expect(points(bili(34), 'child_pugh_bilirubin_points')).toBe(1);
    expect(bili(51.3)).toEqual({ bilirubin: 3 });
    expect(points(bili(51.3), 'child_pugh_bilirubin_points')).toBe(2);
    expect(points(bili(52), 'child_pugh_bilirubin_points')).toBe(3);
  });
  it('platelets 100 10*9/L and 100 10*3/uL are 100,000 /mm3', () => {
    expect(fhirToFacts(bundleOf(lab('p', '777-3', 100, '10*9/L')), { guideline: g, now: NOW }).facts).toEqual({ platelet_count: 100000 });
    expect(fhirToFacts(bundleOf(lab('p', '777-3', 100, '10*3/uL')), { guideline: g, now: NOW }).facts).toEqual({ platelet_count: 100000 });
  });
  it('a unit that is not UCUM or not commensurable is reported, never converted', () => {
    const r = fhirToFacts(bundleOf(lab('a1', '1751-7', 35, 'µg'), { ...lab('a2', '1751-7', 35, 'x'), valueQuantity: { value: 35, unit: 'grams per litre' } }, lab('a3', '1751-7', 35, 'mmol/L')), { guideline: g, now: NOW });
    expect(r.facts).toEqual({});
    expect(r.unmapped.map((u) => u.resource)).toEqual(['Observation/a1', 'Observation/a2', 'Observation/a3']);
  });
});

describe('what fhirToFacts decides and what it reports', () => {
  it('takes the most recent value within the look-back, and reports older and future ones', () => {
    const r = fhirToFacts(bundleOf(lab('old', '1751-7', 30, 'g/L', '2026-11-01'), lab('new', '1751-7', 40, 'g/L', '2026-11-30'), lab('stale', '1834-1', 500, 'ng/mL', '2026-01-01'), lab('future', '1742-6', 40, 'U/L', '2026-12-24')), { guideline: g, now: NOW, lookbackDays: 90 });
    expect(r.facts).toEqual({ albumin: 4 });
    expect(r.sources.albumin.resource).toBe('Observation/new');
    expect(r.superseded.map((u) => u.resource)).toEqual(['Observation/old']);
    expect(r.unmapped.map((u) => u.resource).sort()).toEqual(['Observation/future', 'Observation/stale']);
    expect(fhirToFacts(bundleOf(lab('stale', '1834-1', 500, 'ng/mL', '2026-01-01')), { guideline: g, now: NOW, lookbackDays: 365 }).facts).toEqual({ afp: 500 });
  });
  it('computes the age from the birth date at the evaluation date', () => {
    const p = (birthDate: string) => fhirToFacts(bundleOf({ resourceType: 'Patient', id: 'x', birthDate }), { guideline: g, now: NOW }).facts;
    expect(p('1966-12-01')).toEqual({ age_years: 60 });
    expect(p('1966-12-02')).toEqual({ age_years: 59 });
  });
  it('reads conditions: active is true, refuted is false, resolved or unconfirmed is reported', () => {
    const cond = (id: string, clinical?: string, verification?: string) => ({ resourceType: 'Condition', id, code: { coding: [{ system: 'http://snomed.info/sct', code: '19943007' }] }, ...(clinical ? { clinicalStatus: { coding: [{ code: clinical }] } } : {}), ...(verification ? { verificationStatus: { coding: [{ code: verification }] } } : {}), recordedDate: '2026-01-01' });
    expect(fhirToFacts(bundleOf(cond('c', 'active', 'confirmed')), { guideline: g, now: NOW }).facts).toEqual({ cirrhosis: true });
    expect(fhirToFacts(bundleOf(cond('c', undefined, 'refuted')), { guideline: g, now: NOW }).facts).toEqual({ cirrhosis: false });
    for (const [c, v] of [['resolved', 'confirmed'], ['active', 'provisional']]) {
      const r = fhirToFacts(bundleOf(cond('c', c, v)), { guideline: g, now: NOW });
      expect(r.facts).toEqual({});
      expect(r.unmapped).toHaveLength(1);
    }
  });
  it('reports an unmappable resource with the reason, and never guesses', () => {
    const r = fhirToFacts(bundleOf(
      { resourceType: 'Observation', id: 'hb', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] }, effectiveDateTime: '2026-11-30', valueQuantity: { value: 12, unit: 'g/dL', system: UCUM, code: 'g/dL' } },
      { resourceType: 'Observation', id: 'inr', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '6301-6' }] }, effectiveDateTime: '2026-11-30', valueQuantity: { value: 1.9, unit: '{INR}', system: UCUM, code: '{INR}' } },
      { resourceType: 'MedicationStatement', id: 'm', status: 'active', medicationCodeableConcept: { text: 'sorafenib' } },
      { resourceType: 'Procedure', id: 'pr', status: 'completed', code: { text: 'TACE' } },
      { resourceType: 'Encounter', id: 'e' },
      { resourceType: 'Observation', id: 'hbsag', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '5196-1' }] }, effectiveDateTime: '2026-11-30', valueString: 'weakly reactive' },
    ), { guideline: g, now: NOW });
    expect(r.facts).toEqual({});
    const why = Object.fromEntries(r.unmapped.map((u) => [u.resource, u.reason]));
    expect(Object.keys(why).sort()).toEqual(['Encounter/e', 'MedicationStatement/m', 'Observation/hb', 'Observation/hbsag', 'Observation/inr', 'Procedure/pr', 'prior_systemic_therapies']);
    expect(why['Observation/hb']).toMatch(/no coding of the dictionary/);
    expect(why['Observation/inr']).toMatch(/prothrombin_time_prolonged_s but is not it/);
    expect(why['Observation/hbsag']).toMatch(/neither a boolean nor a coded positive/);
    // a drug named only in text is not guessed, and without it the lines cannot be numbered
    expect(why['MedicationStatement/m']).toMatch(/no code: not a systemic therapy agent of the dictionary/);
    expect(why.prior_systemic_therapies).toMatch(/not derived: MedicationStatement\/m \(no ATC code/);
  });
  it('reads the clinician\'s answers through the local code system, and refuses out-of-range values', () => {
    const answer = (code: string, value: Record<string, unknown>) => ({ resourceType: 'Observation', id: code, status: 'final', code: { coding: [{ system: localSystem(g), code }] }, effectiveDateTime: '2026-11-30', ...value });
    const r = fhirToFacts(bundleOf(answer('suitable_for_resection', { valueBoolean: false }), answer('tumor_count', { valueInteger: 2 }), answer('ecog', { valueInteger: 7 })), { guideline: g, now: NOW });
    expect(r.facts).toEqual({ suitable_for_resection: false, tumor_count: 2 });
    expect(r.unmapped.map((u) => u.resource)).toEqual(['Observation/ecog']);
  });
});

describe('guideline eval --fhir', () => {
  it('maps the sample bundle, lists what it did not map, and recommends', async () => {
    let out = '';
    const code = await main(['eval', '--fhir', join(GUIDELINE_DIR, 'examples', 'sample-patient.fhir.json'), '--now', NOW], { out: (s) => { out += s; }, err: (s) => { out += s; } });
    expect(code, out).toBe(0);
    expect(out).toContain('albumin = 3.9  (Observation/r10, 2026-11-20, from 39 g/L)');
    expect(out).toContain('age_years = 62');
    expect(out).toMatch(/Not mapped \(3\):[\s\S]*Observation\/inr[\s\S]*AllergyIntolerance\/allergy[\s\S]*MedicationStatement\/entecavir: http:\/\/www.whocc.no\/atc\|J05AF10: not a systemic therapy agent/);
    expect(out).toContain('Observation/old-albumin: albumin: Observation/r10 is more recent');
    expect(out).toMatch(/Hepatic resection \[A1\] primary/);
    const json = JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'sample-patient.fhir.json'), 'utf8'));
    expect(json.resourceType).toBe('Bundle');
  });
});

describe('lines of therapy from medication periods', () => {
  const ATC = 'http://www.whocc.no/atc';
  const STOP = `urn:guideline:${g.manifest.id}:input:prior_systemic_therapies:stop_reason`;
  const drug = (code: string) => ({ coding: [{ system: ATC, code }] });
  const statement = (id: string, code: string, period: Record<string, string>, status = 'completed', extra: Record<string, unknown> = {}) => ({ resourceType: 'MedicationStatement', id, status, medicationCodeableConcept: drug(code), effectivePeriod: period, ...extra });
  const bid400 = { dosage: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 400, unit: 'mg', system: UCUM, code: 'mg' } }] }] };
  it('numbers the lines in order of start, with duration, daily dose and the stop reason a resource states', () => {
    const r = fhirToFacts(bundleOf(
      statement('rego', 'L01EX05', { start: '2026-07-01' }, 'active'),
      statement('sora', 'L01EX02', { start: '2026-01-05', end: '2026-06-01' }, 'stopped', { statusReason: [{ coding: [{ system: STOP, code: 'progression' }] }], ...bid400 }),
      statement('entecavir', 'J05AF10', { start: '2019-03-01' }, 'active'),
    ), { guideline: g, now: NOW });
    expect(r.facts.prior_systemic_therapies).toEqual([
      { agent: 'sorafenib', line: 1, duration_weeks: 21, daily_dose_mg: 800, stop_reason: 'progression' },
      { agent: 'regorafenib', line: 2, duration_weeks: 21.9, stop_reason: 'ongoing' },
    ]);
    expect(r.sources.prior_systemic_therapies.resource).toBe('MedicationStatement/sora, MedicationStatement/rego');
    expect(r.unmapped.map((u) => u.resource)).toEqual(['MedicationStatement/entecavir']);
    // the facts decide what follows: second line after sorafenib failure is no longer first line
    expect(points(r.facts, 'last_line_number')).toBe(2);
  });
  it('reads a combination from the administrations of its components in the same period', () => {
    const admin = (id: string, code: string, date: string) => ({ resourceType: 'MedicationAdministration', id, status: 'completed', medicationCodeableConcept: drug(code), effectiveDateTime: date });
    const r = fhirToFacts(bundleOf(
      ...['2026-09-01', '2026-09-22', '2026-10-13'].flatMap((d, k) => [admin(`a${k}`, 'L01FF05', d), admin(`b${k}`, 'L01FG01', d)]),
    ), { guideline: g, now: NOW });
    expect(r.facts.prior_systemic_therapies).toEqual([{ agent: 'atezolizumab_bevacizumab', line: 1, duration_weeks: 6 }]);
    expect(r.unmapped).toEqual([]);
  });
  it('never guesses: an unknown cancer drug, a lone component, an order or a code under review leave the lines missing, reported', () => {
    const lines = (...resources: Record<string, unknown>[]) => fhirToFacts(bundleOf(...resources), { guideline: g, now: NOW });
    const sora = statement('sora', 'L01EX02', { start: '2026-01-05', end: '2026-06-01' });
    const doxorubicin = lines(sora, statement('dox', 'L01DB01', { start: '2026-06-10', end: '2026-08-01' }));
    expect(doxorubicin.facts).toEqual({});
    expect(doxorubicin.unmapped.find((u) => u.resource === 'prior_systemic_therapies')?.reason).toMatch(/MedicationStatement\/dox \(an antineoplastic/);
    const lone = lines(statement('bev', 'L01FG01', { start: '2026-06-10', end: '2026-08-01' }));
    expect(lone.facts).toEqual({});
    expect(lone.unmapped.map((u) => u.reason).join('\n')).toMatch(/one component of a combination without the other/);
    const durva = lines(statement('durva', 'L01FF03', { start: '2026-06-10', end: '2026-08-01' }));
    expect(durva.facts).toEqual({});
    expect(durva.unmapped[0].reason).toMatch(/needs terminology review/);
    const order = lines({ resourceType: 'MedicationRequest', id: 'o', status: 'active', intent: 'order', medicationCodeableConcept: drug('L01EX02'), authoredOn: '2026-11-30' });
    expect(order.facts).toEqual({});
    expect(order.unmapped[0].reason).toMatch(/an order, not a course taken/);
    // no medication at all is not "treatment-naive": the list stays missing
    expect(lines().facts).toEqual({});
  });
});

