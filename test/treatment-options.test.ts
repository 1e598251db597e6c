// The treatment options view on real patients of the shipped guideline.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, formatTreatmentOptions, makeBundle, readBundle, treatmentOptions, TREATMENT_OPTIONS_NOTICE, type TreatmentOption, type TreatmentOptionsView } from '../engine/runtime/index.ts';
import { main } from '../engine/node/cli.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);

/** Child-Pugh A (5 points), ECOG 0, no portal hypertension, no invasion or spread. */
const BASE = {
  hcc_diagnosed: true,
  albumin: 4, bilirubin: 0.8, prothrombin_time_prolonged_s: 1, ascites: 'none', encephalopathy: 'none', ecog: 0,
  tumor_count: 1, largest_tumor_cm: 2, portal_vein_invasion: 'vp0', hepatic_vein_invasion: false, bile_duct_invasion: false,
  lymph_node_metastasis: false, distant_metastasis: false, hvpg_measured: false, esophageal_varices: false,
  platelet_count: 180000, splenomegaly: false,
};

function optionsFor(facts: Record<string, unknown>): TreatmentOptionsView {
  return treatmentOptions(guideline, evaluate(guideline, { ...BASE, ...facts }));
}

const key = (o: TreatmentOption) => `${o.rule}.${o.clause}`;
const rank = (o: TreatmentOption) => (o.role === 'primary' ? 0 : o.action === 'recommend' ? 1 : o.action === 'consider' ? 2 : 3);

function expectOrdered(list: TreatmentOption[]): void {
  for (let i = 1; i < list.length; i++) expect(rank(list[i]), `${key(list[i - 1])} before ${key(list[i])}`).toBeGreaterThanOrEqual(rank(list[i - 1]));
}

describe('treatment options view', () => {
  it('marks itself as derived from the recommendations, not a copy of Figure 8', () => {
    const view = optionsFor({});
    expect(view.derivedFrom).toBe('recommendations');
    expect(view.notice).toBe(TREATMENT_OPTIONS_NOTICE);
    expect(view.notice).toMatch(/not a copy of Figure 8/);
    expect(formatTreatmentOptions(view)).toMatch(/^Treatment options \(derived from the recommendations, not a copy of Figure 8\)/);
  });

  it('stage I, resectable: resection is the primary option, RFA the alternative, each with grade and citation', () => {
    const view = optionsFor({ suitable_for_resection: true, rfa_location_ideal: true });
    expect(view.context.muiccStage).toEqual({ value: 'I' });
    expect(view.context.inFigure8Population).toEqual({ value: true });
    const first = view.applies[0];
    expect(key(first)).toBe('hepatic_resection_1.a');
    expect(first).toMatchObject({ grade: 'A1', role: 'primary', action: 'recommend', label: 'Hepatic resection 1', interventionLabel: 'Hepatic resection' });
    expect(first.citations[0]).toMatch(/^HEPATIC RESECTION; Hepatic resection 1; ref\. 239-241/);
    const keys = view.applies.map(key);
    expect(keys).toContain('local_ablation_therapies_1.a');
    expect(keys).toContain('rfa_as_alternative_to_resection.a');
    expect(keys).not.toContain('liver_transplantation_1.a');
    expect(view.undecided.map(key)).not.toContain('liver_transplantation_1.a');
    expectOrdered(view.applies);
  });

  it('stage I with resectability not yet judged: transplantation is undecided and names the missing fact', () => {
    const view = optionsFor({});
    const lt1 = view.undecided.find((o) => o.rule === 'liver_transplantation_1');
    expect(lt1).toMatchObject({ grade: 'A1', role: 'primary', missing: ['suitable_for_resection'] });
    expect(view.undecided[0].rule).toBe('liver_transplantation_1');
    for (const o of view.undecided) expect(o.missing?.length, key(o)).toBeGreaterThan(0);
    expectOrdered(view.undecided);
  });

  it('unresectable tumors within Milan: transplantation first, then the recommended and considered options', () => {
    const view = optionsFor({
      tumor_count: 2, largest_tumor_cm: 2.5, suitable_for_resection: false, suitable_for_transplantation: true,
      suitable_for_local_ablation: true, lt_candidate: true, expected_lt_wait_months: 9,
    });
    expect(view.context.muiccStage).toEqual({ value: 'III' });
    expect(view.applies.map(key).slice(0, 2)).toEqual(['liver_transplantation_1.a', 'liver_transplantation_2.a']);
    expect(view.applies.map(key)).toContain('bridging_therapy_when_lt_wait_exceeds_6_months.a');
    expect(view.applies.find((o) => o.rule === 'tace_and_radioembolization_1')).toBeUndefined();
    expectOrdered(view.applies);
  });

  it('intermediate stage, ineligible for curative treatment: cTACE recommended (A1), DEB-TACE as alternative', () => {
    const view = optionsFor({
      tumor_count: 4, largest_tumor_cm: 4, ecog: 1, milan_discounted_nodules: 0, suitable_for_resection: false,
      suitable_for_transplantation: false, suitable_for_local_ablation: false, remnant_liver_function_sufficient_after_tare: true,
    });
    const keys = view.applies.map(key);
    expect(keys[0]).toBe('tace_and_radioembolization_1.a');
    expect(keys).toEqual(expect.arrayContaining(['tace_and_radioembolization_2.a', 'tace_and_radioembolization_4.a', 'tace_and_radioembolization_5.a', 'local_ablation_therapies_2.a']));
    expect(view.applies.find((o) => o.rule === 'tace_and_radioembolization_4')).toMatchObject({ role: 'alternative', grade: 'A2', action: 'consider' });
    expectOrdered(view.applies);
  });

  it('portal vein invasion (Vp3): both cTACE clauses and EBRT, with their own grades', () => {
    const view = optionsFor({ tumor_count: 1, largest_tumor_cm: 7, portal_vein_invasion: 'vp3', liver_volume_under_30_gy_percent: 55 });
    expect(view.context.muiccStage).toEqual({ value: 'III' });
    const byKey = new Map(view.applies.map((o) => [key(o), o]));
    expect(byKey.get('tace_and_radioembolization_3.a')).toMatchObject({ grade: 'B2', label: 'TACE and radioembolization 3 (a)' });
    expect(byKey.get('tace_and_radioembolization_3.b')).toMatchObject({ grade: 'B1', interventionLabel: 'cTACE combined with EBRT' });
    expect(byKey.get('external_beam_radiation_therapy_4.a')?.grade).toBe('B2');
    expect(byKey.get('external_beam_radiation_therapy_2.a')?.grade).toBe('B1');
    expect(byKey.has('hepatic_resection_3.a')).toBe(true);
    // B1 before B2 within the "consider" rank
    const order = view.applies.map(key);
    expect(order.indexOf('tace_and_radioembolization_3.b')).toBeLessThan(order.indexOf('tace_and_radioembolization_3.a'));
    expectOrdered(view.applies);
  });

  it('says when the patient is outside Figure 8\'s population', () => {
    const b7 = optionsFor({ albumin: 3.2, ascites: 'slight' });
    expect(b7.context.childPughClass).toEqual({ value: 'B' });
    expect(b7.context.inFigure8Population).toEqual({ value: false });
    const { ecog: _ecog, ...withoutEcog } = BASE;
    const unknown = treatmentOptions(guideline, evaluate(guideline, withoutEcog));
    expect(unknown.context.inFigure8Population).toEqual({ missing: ['ecog'] });
  });

  it('can be limited to some chapters, and gives the same view from the bundle', () => {
    const facts = { ...BASE, suitable_for_resection: true };
    const only = treatmentOptions(guideline, evaluate(guideline, facts), { chapters: ['local-ablation'] });
    expect(new Set([...only.applies, ...only.undecided].map((o) => o.chapter))).toEqual(new Set(['local-ablation']));
    const bundle = readBundle(JSON.stringify(makeBundle(guideline)));
    expect(treatmentOptions(bundle, evaluate(bundle, facts))).toEqual(treatmentOptions(guideline, evaluate(guideline, facts)));
  });

  it('is printed by the CLI command "options"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'options-'));
    const file = join(dir, 'patient.json');
    writeFileSync(file, JSON.stringify({ ...BASE, suitable_for_resection: true }));
    let out = '';
    const io = { out: (s: string) => { out += s; }, err: (s: string) => { out += s; } };
    expect(await main(['options', file, '--dir', GUIDELINE_DIR], io)).toBe(0);
    expect(out).toMatch(/not a copy of Figure 8/);
    expect(out).toMatch(/1\. Hepatic resection \[A1\] \(primary\) Hepatic resection 1/);
    out = '';
    expect(await main(['options', file, '--json', '--dir', GUIDELINE_DIR], io)).toBe(0);
    expect(JSON.parse(out).applies[0].rule).toBe('hepatic_resection_1');
    expect(await main(['options', file, '--explain', '--dir', GUIDELINE_DIR], io)).toBe(2);
  });
});
