// Lines of systemic therapy from medication periods: MedicationStatement and MedicationAdministration
// resources become the items of prior_systemic_therapies (agent, line, duration, daily dose, stop
// reason), through the intervention dictionary's drug codes (manifest.interventions: ATC or RxNorm,
// a combination by its components). Never guessed:
// - a code marked needs-terminology-review is not used to map; a drug the dictionary does not know
//   is reported;
// - a resource that could be a systemic cancer drug but is not mapped (an antineoplastic ATC code,
//   L01-L04, or no ATC code at all) makes the line numbering unknowable, so no list is derived and
//   the reason is reported (missing, not guessed);
// - no medication resource at all gives no list (no record is not "treatment-naive");
// - a MedicationRequest is an order, not a course taken: reported, not read;
// - the stop reason comes only from what a resource states: an active course without an end is
//   "ongoing", a coded statusReason of the guideline's own value system gives its value; otherwise
//   the field stays missing.
// Courses of the same agent that overlap or follow within `courseGapDays` (default 42) are one
// course; the components of a combination given in overlapping periods are the combination. Lines
// are numbered in order of start: a new agent starts a new line.
import type { Guideline, JsonValue } from '../runtime/index.ts';
import { localValueSystem } from './fhir-local.ts';

type R = Record<string, any>;
interface Coding { system?: string; code?: string; display?: string }
const ATC = 'http://www.whocc.no/atc';
const DAY = 86400000;

export interface TherapyLines {
  /** the items, or undefined when no list can be derived */
  items?: Record<string, JsonValue>[];
  /** the resources each item came from */
  from: string[][];
  unmapped: { resource: string; reason: string }[];
}

/** The value system of the stop reasons a resource may state in statusReason. */
export const stopReasonSystem = (g: Guideline) => `${localValueSystem(g, 'prior_systemic_therapies')}:stop_reason`;

interface Course { agent: string; parts: Set<string>; start: number; end: number; ongoing: boolean; reason?: string; dose?: number; resources: string[] }

export function therapyLines(g: Guideline, meds: { r: R; name: string }[], medications: Map<string, R>, now: number, options: { courseGapDays?: number } = {}): TherapyLines {
  const out: TherapyLines = { from: [], unmapped: [] };
  const field = g.inputs.find((i) => i.id === 'prior_systemic_therapies')?.items?.fields;
  const agents = new Set((field?.agent?.values ?? []).map((v) => v.value));
  const reasons = new Set((field?.stop_reason?.values ?? []).map((v) => v.value));
  if (!field || !meds.length) return out;
  const gap = (options.courseGapDays ?? 42) * DAY;
  // code -> the agent it names alone, or the component of a combination agent it is
  const single = new Map<string, string>();
  const combos: { agent: string; parts: string[] }[] = [];
  const doubtful = new Set<string>();
  for (const agent of agents) {
    const entry = g.manifest.interventions?.[agent];
    if (!entry) continue;
    const sure = entry.codes.filter((c) => !c.review);
    const isCombo = entry.codes.some((c) => c.component);
    // a combination with a component under review is not mapped at all (neither part alone is the agent)
    for (const c of entry.codes.filter((c) => c.review || (isCombo && entry.codes.some((x) => x.review)))) doubtful.add(`${c.system}|${c.code}`);
    if (isCombo && entry.codes.some((x) => x.review)) continue;
    if (sure.length && sure.every((c) => c.component) && sure.length === entry.codes.length) combos.push({ agent, parts: sure.map((c) => `${c.system}|${c.code}`) });
    else for (const c of sure.filter((c) => !c.component)) single.set(`${c.system}|${c.code}`, agent);
  }
  const componentCodes = new Set(combos.flatMap((c) => c.parts));
  const report = (resource: string, reason: string) => out.unmapped.push({ resource, reason });
  const blockers: string[] = [];
  // one record per resource: the code it maps by, its period
  const records: { key: string; start: number; end: number; ongoing: boolean; reason?: string; dose?: number; name: string }[] = [];
  for (const { r, name } of meds) {
    if (r.resourceType === 'MedicationRequest') { report(name, 'a MedicationRequest is an order, not a course taken: lines of therapy are read from MedicationStatement or MedicationAdministration'); continue; }
    const status: string | undefined = r.status;
    if (['entered-in-error', 'not-taken', 'not-done', 'intended', 'unknown'].includes(status ?? '')) { report(name, `status "${status}": not a course taken`); continue; }
    const codings = codingsOf(r, medications);
    const hit = codings.map((c) => `${c.system}|${c.code}`).find((k) => single.has(k) || componentCodes.has(k));
    if (!hit) {
      const doubt = codings.find((c) => doubtful.has(`${c.system}|${c.code}`));
      const atc = codings.filter((c) => c.system === ATC && c.code);
      const antineoplastic = atc.some((c) => /^L0[1-4]/.test(c.code!));
      const what = codings.length ? codings.map((c) => `${c.system}|${c.code}`).join(', ') : 'no code';
      if (doubt) report(name, `${what}: the dictionary's code for this drug needs terminology review, so it is not used to map`);
      else report(name, `${what}: not a systemic therapy agent of the dictionary, so not a line of therapy`);
      if (doubt || antineoplastic || !atc.length) blockers.push(`${name} (${doubt ? 'a code under terminology review' : antineoplastic ? 'an antineoplastic or immunomodulating drug' : 'no ATC code to tell whether it is a cancer drug'})`);
      continue;
    }
    const p = r.effectivePeriod as R | undefined;
    const startText = p?.start ?? r.effectiveDateTime;
    const start = time(startText);
    if (start === undefined) { report(name, 'no effective start (effectivePeriod.start or effectiveDateTime): the course cannot be placed in a line'); blockers.push(`${name} (no date)`); continue; }
    if (start > now) { report(name, `starts ${startText}, after the evaluation date`); continue; }
    const endTime = time(p?.end) ?? (p ? undefined : start);
    const ongoing = endTime === undefined && ['active', 'in-progress', 'on-hold'].includes(status ?? '');
    if (endTime === undefined && !ongoing) { report(name, `status "${status}" without an end date: the duration is not known`); }
    const reason = stopReasonOf(g, r, reasons) ?? (ongoing ? 'ongoing' : undefined);
    records.push({ key: hit, start, end: Math.min(endTime ?? now, now), ongoing, ...(reason ? { reason } : {}), ...(dailyDose(r) !== undefined ? { dose: dailyDose(r)! } : {}), name });
  }
  if (blockers.length) {
    report('prior_systemic_therapies', `not derived: ${blockers.join('; ')} could be a line of systemic therapy, so the lines cannot be numbered for sure; enter them as facts`);
    return out;
  }
  if (!records.length) return out;
  // courses per code: records that overlap or follow within the gap (same dose), in order of start
  records.sort((a, b) => a.start - b.start);
  const byCode = new Map<string, Course[]>();
  for (const x of records) {
    const list = byCode.get(x.key) ?? [];
    const last = list[list.length - 1];
    if (last && x.start - last.end <= gap && last.dose === x.dose) {
      last.end = Math.max(last.end, x.end); last.ongoing ||= x.ongoing; last.resources.push(x.name);
      if (x.reason) last.reason = x.reason;
    } else list.push({ agent: '', parts: new Set([x.key]), start: x.start, end: x.end, ongoing: x.ongoing, ...(x.reason ? { reason: x.reason } : {}), ...(x.dose !== undefined ? { dose: x.dose } : {}), resources: [x.name] });
    byCode.set(x.key, list);
  }
  const courses: Course[] = [];
  // combinations: one course of each component, overlapping in time
  for (const combo of combos) {
    for (;;) {
      const picks = combo.parts.map((k) => byCode.get(k)?.[0]);
      if (picks.some((c) => !c)) break;
      const start = Math.max(...picks.map((c) => c!.start));
      const end = Math.min(...picks.map((c) => c!.end));
      if (start > end + DAY) break;
      courses.push({ agent: combo.agent, parts: new Set(combo.parts), start: Math.min(...picks.map((c) => c!.start)), end: Math.max(...picks.map((c) => c!.end)), ongoing: picks.some((c) => c!.ongoing), ...(picks.find((c) => c!.reason && c!.reason !== 'ongoing')?.reason ? { reason: picks.find((c) => c!.reason && c!.reason !== 'ongoing')!.reason } : picks.some((c) => c!.ongoing) ? { reason: 'ongoing' } : {}), resources: picks.flatMap((c) => c!.resources) });
      for (const k of combo.parts) byCode.get(k)!.shift();
    }
  }
  for (const [key, list] of byCode) {
    for (const c of list) {
      const agent = single.get(key);
      if (!agent) { report('prior_systemic_therapies', `not derived: ${c.resources.join(', ')} is one component of a combination without the other in the same period; enter the lines as facts`); return { from: [], unmapped: out.unmapped }; }
      courses.push({ ...c, agent });
    }
  }
  courses.sort((a, b) => a.start - b.start);
  const items: Record<string, JsonValue>[] = [];
  let line = 0;
  let prev: string | undefined;
  for (const c of courses) {
    if (c.agent !== prev) line++;
    prev = c.agent;
    const weeks = Math.round(((c.end - c.start) / DAY / 7) * 10) / 10;
    items.push({ agent: c.agent, line, duration_weeks: weeks, ...(c.dose !== undefined ? { daily_dose_mg: c.dose } : {}), ...(c.reason ? { stop_reason: c.reason } : {}) });
    out.from.push(c.resources);
  }
  out.items = items;
  return out;
}

function time(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const t = Date.parse(/^\d{4}$/.test(s) ? `${s}-01-01` : /^\d{4}-\d{2}$/.test(s) ? `${s}-01` : s);
  return Number.isNaN(t) ? undefined : t;
}

/** The drug's codings: medicationCodeableConcept, or the code of the Medication it references. */
function codingsOf(r: R, medications: Map<string, R>): Coding[] {
  if (r.medicationCodeableConcept) return r.medicationCodeableConcept.coding ?? [];
  const ref: string | undefined = r.medicationReference?.reference;
  const m = ref ? medications.get(ref.replace(/^#/, '')) ?? medications.get(ref) : undefined;
  return m?.code?.coding ?? [];
}

/** A stop reason the resource states in statusReason with the guideline's own value system. */
function stopReasonOf(g: Guideline, r: R, reasons: Set<string>): string | undefined {
  const list = (Array.isArray(r.statusReason) ? r.statusReason : r.statusReason ? [r.statusReason] : []) as R[];
  for (const cc of list) for (const c of (cc.coding ?? []) as Coding[]) if (c.system === stopReasonSystem(g) && c.code && reasons.has(c.code)) return c.code;
  return undefined;
}

/** The daily dose in mg from a dosage with a dose in mg and a daily timing (frequency per period in days). */
function dailyDose(r: R): number | undefined {
  const d = (r.dosage ?? [])[0] as R | undefined;
  const q = d?.doseAndRate?.[0]?.doseQuantity as R | undefined;
  const rep = d?.timing?.repeat as R | undefined;
  if (!q || typeof q.value !== 'number' || (q.code ?? q.unit) !== 'mg' || !rep) return undefined;
  const frequency = rep.frequency ?? 1;
  const period = rep.period ?? 1;
  const perDay = rep.periodUnit === 'd' ? 1 : rep.periodUnit === 'h' ? 24 : undefined;
  if (perDay === undefined || typeof frequency !== 'number' || typeof period !== 'number' || period <= 0) return undefined;
  return Math.round((q.value * frequency * perDay) / period);
}
