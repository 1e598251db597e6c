// FHIR R4 in: a patient Bundle (Patient, Observation, Condition, Medication*, Procedure) becomes
// the facts of the data dictionary, through the dictionary's own codes.
//
// - An Observation or Condition is matched to an input by a coding of the input's `codes`, or by
//   the guideline's local code system (localSystem(g): code = input id), which is how the answers
//   only a clinician can give arrive (and how the synthetic test bundles carry every fact).
// - The most recent value within the look-back wins (`now` is an option: no clock is read);
//   conditions are not aged out (a diagnosis stays one), but a later one replaces an earlier one.
// - Units are converted through UCUM into the input's `ucum` unit (g/L -> g/dL, 10*9/L -> /mm3);
//   bilirubin's amount concentration (umol/L) becomes mg/dL with the factor its hint states (÷17.1).
// - Lines of systemic therapy (prior_systemic_therapies) come from MedicationStatement and
//   MedicationAdministration periods through the intervention dictionary's drug codes (fhir-meds.ts).
// - Everything that is not mapped is reported with the reason: never guessed. Missing stays
//   missing (absent fact, undecided rule), never false.
import { convertUcum, UCUM_SYSTEM, validateFacts, type Facts, type Guideline, type InputDef, type JsonValue } from '../runtime/index.ts';

export interface FhirToFactsOptions {
  guideline: Guideline;
  /** the evaluation date, ISO 8601 (e.g. "2026-12-01" or a date-time) */
  now: string;
  /** how far back an Observation may be, in days (default 90) */
  lookbackDays?: number;
  /** medication records of one agent this close (days) are one course (default 42) */
  courseGapDays?: number;
}

export interface FactSource { resource: string; date?: string; value: JsonValue; from?: string }
export interface Unmapped { resource: string; reason: string }

export interface FhirFacts {
  facts: Facts;
  /** where each fact came from: the resource, its date, and the original value with its unit */
  sources: Record<string, FactSource>;
  /** resources (or parts of them) that gave no fact, each with the reason */
  unmapped: Unmapped[];
  /** older values of a fact that a more recent one replaced */
  superseded: Unmapped[];
}

import { localSystem, localValueSystem } from './fhir-local.ts';
import { questionnaireAnswers } from './questionnaire.ts';
import { therapyLines } from './fhir-meds.ts';

export { localSystem, localValueSystem };

/** Molar masses for amount-of-substance conversions, keyed by input, each from the dictionary's hint. */
const MOLAR_MASS: Record<string, number> = {
  // bilirubin: mg/dL = umol/L ÷ 17.1 (the input's hint), i.e. 10000/17.1 g/mol
  bilirubin: 10000 / 17.1,
};

/** SNOMED CT qualifier values a laboratory uses for a qualitative result. */
const QUALITATIVE: Record<string, boolean> = {
  '10828004': true, // Positive
  '260385009': false, // Negative
  '260373001': true, // Detected
  '260415000': false, // Not detected
};
/** Condition.severity (SNOMED CT) to the ascites grades of Table 6: moderate and severe are its top grade. */
const ASCITES_SEVERITY: Record<string, string> = { '255604002': 'slight', '6736007': 'moderate', '24484000': 'moderate' };

type R = Record<string, any>;
interface Coding { system?: string; code?: string }

const DAY = 86400000;
function time(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const t = Date.parse(/^\d{4}$/.test(s) ? `${s}-01-01` : /^\d{4}-\d{2}$/.test(s) ? `${s}-01` : s);
  return Number.isNaN(t) ? undefined : t;
}

/** Whole years between a birth date and `now` (both ISO). */
export function ageAt(birthDate: string, now: string): number | undefined {
  const b = /^(\d{4})-(\d{2})-(\d{2})/.exec(birthDate);
  const n = /^(\d{4})-(\d{2})-(\d{2})/.exec(now);
  if (!b || !n) return undefined;
  let age = Number(n[1]) - Number(b[1]);
  if (Number(n[2]) * 100 + Number(n[3]) < Number(b[2]) * 100 + Number(b[3])) age--;
  return age;
}

export function fhirToFacts(bundle: unknown, options: FhirToFactsOptions): FhirFacts {
  const g = options.guideline;
  const parsedNow = time(options.now);
  if (parsedNow === undefined) throw new Error(`fhirToFacts: "now" must be an ISO date, not ${JSON.stringify(options.now)}`);
  const now: number = parsedNow;
  const lookback = (options.lookbackDays ?? 90) * DAY;
  const out: FhirFacts = { facts: {}, sources: {}, unmapped: [], superseded: [] };
  const b = bundle as R;
  if (!b || typeof b !== 'object' || b.resourceType !== 'Bundle' || !Array.isArray(b.entry)) {
    out.unmapped.push({ resource: 'Bundle', reason: 'not a FHIR Bundle with entries' });
    return out;
  }
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const byCode = new Map<string, { input: InputDef; maps: boolean; note?: string }>();
  for (const i of g.inputs) {
    for (const c of i.codes ?? []) byCode.set(`${c.system}|${c.code}`, { input: i, maps: c.maps !== false, ...(c.note ? { note: c.note } : {}) });
    byCode.set(`${localSystem(g)}|${i.id}`, { input: i, maps: true });
  }
  const candidates = new Map<string, { value: JsonValue; t: number; source: FactSource }>();
  const skip = (resource: string, reason: string) => out.unmapped.push({ resource, reason });
  const offer = (input: InputDef, value: JsonValue, t: number, source: FactSource) => {
    try {
      validateFacts(g.inputs, { [input.id]: value });
    } catch (e) {
      return skip(source.resource, `${input.id}: ${(e as Error).message}`);
    }
    const prev = candidates.get(input.id);
    if (prev && prev.t >= t) { out.superseded.push({ resource: source.resource, reason: `${input.id}: ${prev.source.resource} is more recent` }); return; }
    if (prev) out.superseded.push({ resource: prev.source.resource, reason: `${input.id}: ${source.resource} is more recent` });
    candidates.set(input.id, { value, t, source });
  };
  const match = (codings: Coding[] | undefined): { input: InputDef; maps: boolean; note?: string } | undefined => {
    for (const c of codings ?? []) {
      const m = byCode.get(`${c.system}|${c.code}`);
      if (m) return m;
    }
    return undefined;
  };

  let patients = 0;
  const meds: { r: R; name: string }[] = [];
  const medications = new Map<string, R>();
  for (const e of b.entry as R[]) {
    const r = e?.resource as R | undefined;
    if (r?.resourceType === 'Medication') {
      if (r.id) medications.set(`Medication/${r.id}`, r);
      if (typeof e.fullUrl === 'string') medications.set(e.fullUrl, r);
    }
    for (const c of (r?.contained ?? []) as R[]) if (c?.resourceType === 'Medication' && c.id) medications.set(c.id, c);
  }
  b.entry.forEach((entry: R, k: number) => {
    const r = entry?.resource as R | undefined;
    const name = r?.resourceType ? `${r.resourceType}/${r.id ?? `#${k}`}` : `entry ${k}`;
    if (!r || typeof r !== 'object') return skip(name, 'entry without a resource');
    switch (r.resourceType) {
      case 'Patient': {
        patients++;
        const age = inputs.get('age_years');
        if (!r.birthDate) return skip(name, 'no birthDate: the age is not known');
        if (!age) return;
        const years = ageAt(r.birthDate, options.now);
        if (years === undefined) return skip(name, `birthDate "${r.birthDate}" is not a full date: the age is not computed`);
        // the age outranks any Age observation: it is computed at the evaluation date itself
        return offer(age, years, now + 1, { resource: name, date: r.birthDate, value: years, from: `birthDate ${r.birthDate}` });
      }
      case 'Observation': return observation(r, name);
      case 'Condition': return condition(r, name);
      case 'QuestionnaireResponse': {
        if (r.status && !['completed', 'amended'].includes(r.status)) return skip(name, `status "${r.status}": not a finished answer`);
        const date = r.authored;
        const t = time(date);
        if (t === undefined) return skip(name, 'no authored date, so the most recent answer cannot be told');
        if (t > now) return skip(name, `authored ${date}, after the evaluation date`);
        if (now - t > lookback) return skip(name, `authored ${date}, older than the look-back of ${options.lookbackDays ?? 90} days`);
        const { answers, problems } = questionnaireAnswers(g, r);
        for (const p of problems) skip(name, p);
        for (const [input, value] of answers) offer(input, value, t, { resource: name, date, value });
        return;
      }
      case 'MedicationStatement':
      case 'MedicationRequest':
      case 'MedicationAdministration':
        meds.push({ r, name });
        return;
      case 'Medication':
        return;
      case 'Procedure':
        return skip(name, 'procedures are not read yet: prior treatments are not derived from Procedure resources; enter them as facts');
      default:
        return skip(name, `resource type ${r.resourceType} is not read`);
    }
  });
  // lines of therapy from the medication periods (fhir-meds.ts)
  const lines = therapyLines(g, meds, medications, now, options.courseGapDays !== undefined ? { courseGapDays: options.courseGapDays } : {});
  out.unmapped.push(...lines.unmapped);
  const therapies = inputs.get('prior_systemic_therapies');
  if (lines.items && therapies) offer(therapies, lines.items, now, { resource: lines.from.map((f) => f.join('+')).join(', '), value: lines.items, from: `medication periods, ${lines.items.length} course(s)` });
  if (patients > 1) skip('Bundle', `${patients} Patient resources: one patient per bundle is expected; the facts may mix patients`);

  function observation(r: R, name: string) {
    if (['entered-in-error', 'cancelled', 'registered'].includes(r.status)) return skip(name, `status "${r.status}": not a result`);
    const m = match(r.code?.coding);
    if (!m) return skip(name, `no coding of the dictionary (${codesOf(r.code)})`);
    if (!m.maps) return skip(name, `${codesOf(r.code)} is related to ${m.input.id} but is not it: ${m.note ?? 'not converted'}`);
    const date = r.effectiveDateTime ?? r.effectivePeriod?.end ?? r.effectivePeriod?.start ?? r.effectiveInstant ?? r.issued;
    const t = time(date);
    if (t === undefined) return skip(name, `${m.input.id}: no effective date, so the most recent value cannot be told`);
    if (t > now) return skip(name, `${m.input.id}: dated ${date}, after the evaluation date ${options.now}`);
    if (now - t > lookback) return skip(name, `${m.input.id}: dated ${date}, older than the look-back of ${options.lookbackDays ?? 90} days`);
    const v = valueOf(m.input, r, name);
    if (v === undefined) return;
    offer(m.input, v.value, t, { resource: name, date, value: v.value, ...(v.from ? { from: v.from } : {}) });
  }

  function condition(r: R, name: string) {
    const m = match(r.code?.coding);
    if (!m) return skip(name, `no coding of the dictionary (${codesOf(r.code)})`);
    const input = m.input;
    const verification = r.verificationStatus?.coding?.[0]?.code;
    const clinical = r.clinicalStatus?.coding?.[0]?.code;
    if (verification === 'entered-in-error') return skip(name, 'entered in error');
    const date = r.recordedDate ?? r.onsetDateTime ?? r.abatementDateTime;
    const t = time(date) ?? 0;
    if (t > now) return skip(name, `${input.id}: recorded ${date}, after the evaluation date`);
    let present: boolean;
    if (verification === 'refuted') present = false;
    else if (['unconfirmed', 'provisional', 'differential'].includes(verification)) return skip(name, `${input.id}: verification "${verification}": not taken as a diagnosis`);
    else if (['active', 'recurrence', 'relapse'].includes(clinical)) present = true;
    else return skip(name, `${input.id}: clinical status "${clinical ?? 'absent'}": whether a past or resolved condition still counts is a clinical judgement`);
    if (input.type === 'boolean') return offer(input, present, t, { resource: name, ...(date ? { date } : {}), value: present });
    if (input.type === 'enum') {
      if (!present) return offer(input, input.values?.[0]?.value ?? 'none', t, { resource: name, ...(date ? { date } : {}), value: 'refuted' });
      for (const c of (r.severity?.coding ?? []) as Coding[]) {
        if (c.system === localValueSystem(g, input.id) && input.values?.some((v) => v.value === c.code)) return offer(input, c.code!, t, { resource: name, ...(date ? { date } : {}), value: c.code! });
        if (input.id === 'ascites' && c.system === 'http://snomed.info/sct' && c.code && ASCITES_SEVERITY[c.code]) return offer(input, ASCITES_SEVERITY[c.code], t, { resource: name, ...(date ? { date } : {}), value: c.code, from: `severity ${c.code}` });
      }
      return skip(name, `${input.id}: present, but its grade (${input.values?.map((v) => v.value).join(' / ')}) is not stated in Condition.severity`);
    }
    return skip(name, `${input.id} is a ${input.type}, not read from a Condition`);
  }

  function valueOf(input: InputDef, r: R, name: string): { value: JsonValue; from?: string } | undefined {
    const q = r.valueQuantity as R | undefined;
    switch (input.type) {
      case 'number': {
        if (typeof r.valueInteger === 'number') return { value: r.valueInteger };
        if (!q || typeof q.value !== 'number') return void skip(name, `${input.id}: no numeric value (valueQuantity or valueInteger)`);
        if (q.comparator) return void skip(name, `${input.id}: "${q.comparator}${q.value}" is a bound, not a value`);
        const unit = q.system === UCUM_SYSTEM || q.system === undefined ? q.code ?? q.unit : undefined;
        if (!input.ucum) {
          if (unit && !['1', '{score}'].includes(unit)) return void skip(name, `${input.id} takes no unit, the result has "${unit}"`);
          return { value: q.value };
        }
        if (!unit) return void skip(name, `${input.id}: the result has no UCUM unit (${q.unit ?? 'none'}); expected ${input.ucum}`);
        try {
          const value = convertUcum(q.value, unit, input.ucum, MOLAR_MASS[input.id]);
          return { value: input.integer ? Math.round(value) : value, ...(unit !== input.ucum ? { from: `${q.value} ${unit}` } : {}) };
        } catch (e) {
          return void skip(name, `${input.id}: ${(e as Error).message}`);
        }
      }
      case 'boolean': {
        if (typeof r.valueBoolean === 'boolean') return { value: r.valueBoolean };
        for (const c of (r.valueCodeableConcept?.coding ?? []) as Coding[]) {
          if (c.system === 'http://snomed.info/sct' && c.code && c.code in QUALITATIVE) return { value: QUALITATIVE[c.code], from: `SNOMED CT ${c.code}` };
        }
        if (q && typeof q.value === 'number') {
          // a quantitative result: below the reported limit ("<20 IU/mL") is not detected; a measured amount is
          if (q.comparator === '<' || q.comparator === '<=') return { value: false, from: `${q.comparator}${q.value} ${q.code ?? q.unit ?? ''}`.trim() };
          if (!q.comparator && q.value > 0) return { value: true, from: `${q.value} ${q.code ?? q.unit ?? ''}`.trim() };
        }
        return void skip(name, `${input.id}: the result is neither a boolean nor a coded positive/negative (SNOMED CT 10828004, 260385009, 260373001, 260415000)`);
      }
      case 'enum': {
        for (const c of (r.valueCodeableConcept?.coding ?? []) as Coding[]) {
          if (c.system === localValueSystem(g, input.id) && input.values?.some((v) => v.value === c.code)) return { value: c.code! };
        }
        if (typeof r.valueString === 'string' && input.values?.some((v) => v.value === r.valueString)) return { value: r.valueString };
        return void skip(name, `${input.id}: the value is none of ${input.values?.map((v) => v.value).join(', ')} (${localValueSystem(g, input.id)})`);
      }
      default:
        return void skip(name, `${input.id} is a ${input.type}: not read from an Observation`);
    }
  }

  for (const [id, c] of [...candidates].sort(([a], [b2]) => (a < b2 ? -1 : 1))) {
    out.facts[id] = c.value;
    out.sources[id] = c.source;
  }
  return out;
}

function codesOf(cc: R | undefined): string {
  const cs = (cc?.coding ?? []) as Coding[];
  return cs.length ? cs.map((c) => `${c.system ?? '?'}|${c.code ?? '?'}`).join(', ') : cc?.text ? `text only: "${cc.text}"` : 'no code';
}
