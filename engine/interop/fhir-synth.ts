// Synthetic FHIR R4 patient bundles from facts: the inverse of fhirToFacts, for tests and demos.
// Real resources with the dictionary's codes and the units a laboratory reports (albumin in g/L,
// bilirubin in umol/L, platelets in 10*9/L), the age as Patient.birthDate, conditions as
// Condition resources; facts without a standard code travel with the guideline's local code
// system (the clinician's answers). The lines of therapy become MedicationStatements (one per item,
// a combination one per component) laid out one after another up to `now`; a list that a FHIR
// record cannot carry (empty: no record is not "naive"; a best response; an agent without codes;
// an ongoing course that is not the last) is not written: `skipped` names it, as any other fact it
// cannot write.
import { convertUcum, type Facts, type Guideline, type InputDef, type JsonValue } from '../runtime/index.ts';
import { localSystem, localValueSystem } from './fhir-in.ts';
import { stopReasonSystem } from './fhir-meds.ts';

/** The unit a laboratory commonly reports, where it differs from the dictionary's. */
const LAB_UNIT: Record<string, { ucum: string; molarMass?: number }> = {
  albumin: { ucum: 'g/L' },
  bilirubin: { ucum: 'umol/L', molarMass: 10000 / 17.1 },
  platelet_count: { ucum: '10*9/L' },
};
const SCT = 'http://snomed.info/sct';

export interface SyntheticBundle { bundle: Record<string, unknown>; skipped: string[] }

export function factsToFhir(g: Guideline, facts: Facts, options: { now: string; patientId?: string }): SyntheticBundle {
  const pid = options.patientId ?? 'p1';
  const date = options.now.slice(0, 10);
  const year = Number(date.slice(0, 4));
  const subject = { reference: `Patient/${pid}` };
  const patient: Record<string, unknown> = { resourceType: 'Patient', id: pid };
  const resources: Record<string, unknown>[] = [patient];
  const skipped: string[] = [];
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  let n = 0;
  const id = () => `r${++n}`;
  const local = (i: InputDef) => ({ system: localSystem(g), code: i.id, display: i.title });
  const coded = (i: InputDef) => i.codes?.find((c) => c.maps !== false);

  for (const [key, value] of Object.entries(facts)) {
    const input = inputs.get(key);
    if (!input) { skipped.push(key); continue; }
    if (key === 'prior_systemic_therapies') {
      const meds = medicationStatements(g, value, date, subject, id);
      if (meds) resources.push(...meds); else skipped.push(key);
      continue;
    }
    const code = coded(input);
    const isCondition = code?.system === SCT;
    if (key === 'age_years' && typeof value === 'number' && Number.isInteger(value)) {
      patient.birthDate = `${year - value - (date.slice(5) < '06-15' ? 1 : 0)}-06-15`;
      continue;
    }
    const coding = code ? [{ system: code.system, code: code.code, display: code.display }] : [local(input)];
    if (isCondition && (input.type === 'boolean' || input.type === 'enum')) {
      const present = input.type === 'boolean' ? value === true : value !== input.values?.[0]?.value;
      const c: Record<string, unknown> = {
        resourceType: 'Condition', id: id(), subject, code: { coding }, recordedDate: date,
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: present ? 'active' : 'inactive' }] },
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: present ? 'confirmed' : 'refuted' }] },
      };
      if (input.type === 'enum' && present) c.severity = { coding: [{ system: localValueSystem(g, input.id), code: String(value) }] };
      resources.push(c);
      continue;
    }
    const obs: Record<string, unknown> = { resourceType: 'Observation', id: id(), status: 'final', subject, code: { coding }, effectiveDateTime: date };
    const v = observationValue(g, input, value, !!code);
    if (!v) { skipped.push(key); continue; }
    Object.assign(obs, v);
    resources.push(obs);
  }
  return {
    bundle: { resourceType: 'Bundle', type: 'collection', entry: resources.map((r) => ({ fullUrl: `urn:uuid:${(r as { id: string }).id}-${pid}`, resource: r })) },
    skipped,
  };
}

function observationValue(g: Guideline, input: InputDef, value: JsonValue, standard: boolean): Record<string, unknown> | undefined {
  switch (input.type) {
    case 'number': {
      if (typeof value !== 'number') return undefined;
      if (!input.ucum) return { valueInteger: value };
      const lab = standard ? LAB_UNIT[input.id] : undefined;
      if (lab) return { valueQuantity: { value: convertUcum(value, input.ucum, lab.ucum, lab.molarMass), unit: lab.ucum, system: 'http://unitsofmeasure.org', code: lab.ucum } };
      return { valueQuantity: { value, unit: input.unit ?? input.ucum, system: 'http://unitsofmeasure.org', code: input.ucum } };
    }
    case 'boolean':
      if (typeof value !== 'boolean') return undefined;
      if (standard) return { valueCodeableConcept: { coding: [{ system: SCT, code: value ? '10828004' : '260385009', display: value ? 'Positive' : 'Negative' }] } };
      return { valueBoolean: value };
    case 'enum':
      return { valueCodeableConcept: { coding: [{ system: localValueSystem(g, input.id), code: String(value) }] } };
    default:
      return undefined;
  }
}

const DAY = 86400000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The items of prior_systemic_therapies as MedicationStatements, or undefined when they cannot be written. */
function medicationStatements(g: Guideline, value: JsonValue, now: string, subject: { reference: string }, id: () => string): Record<string, unknown>[] | undefined {
  if (!Array.isArray(value) || !value.length) return undefined;
  const items = [...(value as Record<string, JsonValue>[])].sort((a, b) => Number(a.line) - Number(b.line));
  if (items.some((i) => i.best_response !== undefined || typeof i.duration_weeks !== 'number' || !Number.isInteger(i.duration_weeks * 7))) return undefined;
  if (items.some((i, k) => i.stop_reason === 'ongoing' && k !== items.length - 1)) return undefined;
  // line numbers as fhirToFacts gives them: a new agent starts a new line, the same agent the same line
  let line = 0;
  for (let k = 0; k < items.length; k++) {
    if (k === 0 || items[k].agent !== items[k - 1].agent) line++;
    if (items[k].line !== line) return undefined;
  }
  const GAP = 60 * DAY; // more than fhirToFacts' course gap (42 days): different courses stay apart
  const spans = items.map((i, k) => Number(i.duration_weeks) * 7 * DAY + (k && items[k - 1].line !== i.line ? GAP : 0));
  let t = Date.parse(now) - spans.reduce((a, b) => a + b, 0);
  const out: Record<string, unknown>[] = [];
  for (const [k, i] of items.entries()) {
    const codes = g.manifest.interventions?.[String(i.agent)]?.codes ?? [];
    if (!codes.length || codes.some((c) => c.review)) return undefined;
    if (k && items[k - 1].line !== i.line) t += GAP;
    const start = t;
    t += Number(i.duration_weeks) * 7 * DAY;
    const ongoing = i.stop_reason === 'ongoing';
    for (const c of codes.filter((c) => !!c.component === codes.some((x) => x.component))) {
      out.push({
        resourceType: 'MedicationStatement', id: id(), subject, status: ongoing ? 'active' : i.stop_reason ? 'stopped' : 'completed',
        medicationCodeableConcept: { coding: [{ system: c.system, code: c.code, display: c.display }] },
        effectivePeriod: ongoing ? { start: iso(start) } : { start: iso(start), end: iso(t) },
        ...(i.stop_reason && !ongoing ? { statusReason: [{ coding: [{ system: stopReasonSystem(g), code: String(i.stop_reason) }] }] } : {}),
        ...(typeof i.daily_dose_mg === 'number' ? { dosage: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: i.daily_dose_mg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }] } : {}),
      });
    }
  }
  return out;
}
