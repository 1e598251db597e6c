// CDS Hooks 2.0 (cds-hooks.hl7.org): the discovery document and the cards of a patient-view
// request, from the recommendations view (runtime recommend()); order-select is in
// order-select.ts. Pure: the HTTP service is in engine/node/cds-hooks-server.ts. A card of a coded
// intervention carries a suggestion to order it (suggestionFor).
//
// Cards: conflicts first (indicator "warning": something that applies speaks against an offered
// intervention), then the recommendations that apply ranked by grade (A1 first, primary before
// alternative), at most `maxCards` in all, then one "ask next" info card with the facts that would
// decide the most undecided recommendations. No alert storm: statements, undecided items and
// advice against that meets no offer stay out of the cards.
import { recommend, type Grade, type Guideline, type PatientRecommendations, type RecommendationItem } from '../runtime/index.ts';
import { fhirToFacts, localSystem, type FhirFacts } from './fhir-in.ts';

/** The journal site the guideline text prints on every page. */
export const GUIDELINE_SITE = 'http://e-jlc.org';

export interface CdsService { hook: string; id: string; title: string; description: string; prefetch: Record<string, string>; usageRequirements?: string }
export interface CdsAction { type: 'create' | 'update' | 'delete'; description: string; resource?: Record<string, unknown>; resourceId?: string[] }
export interface CdsSuggestion { label: string; uuid: string; isRecommended?: boolean; actions: CdsAction[] }
export interface CdsCard {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic?: { system: string; code: string; display?: string } };
  suggestions?: CdsSuggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
}

export const serviceId = (g: Guideline) => `${g.manifest.id}-patient-view`;
const DRUG_SYSTEMS = new Set(['http://www.whocc.no/atc', 'http://www.nlm.nih.gov/research/umls/rxnorm']);

/** A suggestion to order a coded intervention: a draft MedicationRequest per drug (per component of a
 * combination) or a ServiceRequest for a procedure, replacing the given draft orders; none when the
 * intervention has no code or its codes need terminology review. */
export function suggestionFor(g: Guideline, i: { intervention: string; label: string; rule: string; clause: string }, patientId: string | undefined, replaces: string[] = []): CdsSuggestion | undefined {
  const entry = g.manifest.interventions?.[i.intervention];
  if (!entry?.codes.length || entry.review) return undefined;
  const subject = patientId ? { subject: { reference: `Patient/${patientId}` } } : {};
  const coding = (c: { system: string; code: string; display: string }) => ({ system: c.system, code: c.code, display: c.display });
  const drug = entry.codes.every((c) => DRUG_SYSTEMS.has(c.system));
  const groups = entry.codes.some((c) => c.component) ? entry.codes.map((c) => [c]) : [entry.codes];
  const resources = groups.map((cs) => (drug
    ? { resourceType: 'MedicationRequest', status: 'draft', intent: 'proposal', ...subject, medicationCodeableConcept: { coding: cs.map(coding), text: cs.length === 1 && groups.length > 1 ? cs[0].display : i.label } }
    : { resourceType: 'ServiceRequest', status: 'draft', intent: 'proposal', ...subject, code: { coding: cs.map(coding), text: i.label } }));
  return {
    label: `${replaces.length ? 'Order instead' : 'Order'}: ${i.label}`,
    uuid: uuidOf(`suggest:${i.rule}.${i.clause}:${i.intervention}:${replaces.join(',')}`),
    actions: [
      ...(replaces.length ? [{ type: 'delete' as const, description: `Remove the draft order ${replaces.join(', ')}`, resourceId: replaces }] : []),
      ...resources.map((resource: Record<string, any>) => ({ type: 'create' as const, description: `Draft order: ${(resource.medicationCodeableConcept ?? resource.code).text}`, resource })),
    ],
  };
}

/** The discovery document: one patient-view service with prefetch templates built from the codes. */
export function discovery(g: Guideline): { services: CdsService[] } {
  const bySystem = (kinds: (s: string) => boolean) => g.inputs.flatMap((i) => (i.codes ?? []).filter((c) => kinds(c.system) && c.maps !== false).map((c) => `${c.system}|${c.code}`));
  const labs = [...new Set(bySystem((s) => s === 'http://loinc.org'))];
  const conditions = [...new Set(bySystem((s) => s === 'http://snomed.info/sct'))];
  const prefetch = {
    patient: 'Patient/{{context.patientId}}',
    observations: `Observation?patient={{context.patientId}}&code=${labs.join(',')}&_sort=-date`,
    conditions: `Condition?patient={{context.patientId}}&code=${conditions.join(',')}`,
    answers: `Observation?patient={{context.patientId}}&code=${localSystem(g)}|&_sort=-date`,
    medicationStatements: 'MedicationStatement?patient={{context.patientId}}',
    medicationAdministrations: 'MedicationAdministration?patient={{context.patientId}}',
  };
  return {
    services: [{
      hook: 'patient-view',
      id: serviceId(g),
      title: `${g.manifest.title} (v${g.manifest.version})`,
      description: 'The recommendations of the guideline that apply to the patient, graded and cited, with the facts to ask next. Decision support for clinicians; it does not replace clinical judgement.',
      prefetch,
    }, {
      hook: 'order-select',
      id: `${g.manifest.id}-order-select`,
      title: `${g.manifest.title} (v${g.manifest.version}): drug orders`,
      description: 'Checks a draft drug order (MedicationRequest coded in ATC or RxNorm) against the recommendations that apply to the patient and the guideline\'s safety rules (invariants): a warning for a drug the guideline advises against or does not offer, with the drugs it offers as suggestions.',
      prefetch,
    }],
  };
}

/** The prefetched resources (a Patient and search-set Bundles) as one Bundle for fhirToFacts. */
export function prefetchBundle(prefetch: Record<string, unknown> | undefined): { resourceType: 'Bundle'; type: 'collection'; entry: { resource: unknown }[] } {
  const entry: { resource: unknown }[] = [];
  for (const v of Object.values(prefetch ?? {})) {
    const r = v as { resourceType?: string; entry?: { resource?: unknown }[] } | null;
    if (!r || typeof r !== 'object') continue;
    if (r.resourceType === 'Bundle') for (const e of r.entry ?? []) { if (e?.resource) entry.push({ resource: e.resource }); }
    else entry.push({ resource: r });
  }
  return { resourceType: 'Bundle', type: 'collection', entry };
}

const GRADE_RANK: Record<string, number> = { A1: 0, A2: 1, B1: 2, B2: 3, C1: 4, C2: 5, D1: 6, D2: 7 };
const gradeRank = (g: Grade | null) => (g ? GRADE_RANK[g] : 9);
/** A deterministic UUID-shaped id (FNV-1a, 128 bits from four seeds): the same card keeps its uuid. */
function hashHex(s: string): string {
  let out = '';
  for (const seed of [0x811c9dc5, 0x01000193, 0x12345678, 0x9e3779b9]) {
    let h = seed >>> 0;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}
export const uuidOf = (s: string) => { const h = hashHex(s); return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`; };
/** A summary under 140 characters, the grade kept at its end. */
export function summaryOf(label: string, tail: string): string {
  const max = 139 - tail.length;
  return (label.length > max ? `${label.slice(0, max - 1).trimEnd()}…` : label) + tail;
}
const verb = (i: RecommendationItem) => (i.action === 'recommend' ? 'Recommended' : i.action === 'consider' ? 'May be considered' : 'Not recommended');

export interface CardsOptions { maxCards?: number; /** the patient the suggested orders are for */ patientId?: string }

/** Cards for a patient's recommendations. */
export function cardsFor(g: Guideline, view: PatientRecommendations, options: CardsOptions = {}): CdsCard[] {
  const max = options.maxCards ?? 5;
  const label = `${g.manifest.id} v${g.manifest.version}`;
  const cards: CdsCard[] = [];
  const source = (i: { source: string; rule: string; clause: string }) => ({ label: `${label}: ${i.source}`, url: GUIDELINE_SITE, topic: { system: `urn:guideline:${g.manifest.id}:clause`, code: `${i.rule}.${i.clause}`, display: i.source } });
  const all = [...view.recommendations, ...view.against];
  const itemOf = (key: string) => all.find((i) => `${i.rule}.${i.clause}` === key);
  const inConflict = new Set<string>();
  for (const c of view.conflicts) {
    const offered = itemOf(c.offeredBy);
    if (!offered || cards.length >= max || inConflict.has(c.offeredBy)) continue;
    inConflict.add(c.offeredBy);
    const against = c.against.startsWith('invariant:') ? c.against : itemOf(c.against)?.source ?? c.against;
    cards.push({
      uuid: uuidOf(`conflict:${c.offeredBy}:${c.against}`),
      summary: summaryOf(`Conflict: ${offered.label}`, ` [${offered.grade ?? 'ungraded'}]`),
      detail: `**${offered.label}** is offered by ${offered.source} (grade ${offered.grade ?? 'ungraded'}), but ${against} speaks against it: ${c.reason}\n\n> ${offered.text}\n\n*Source:* ${offered.citation}`,
      indicator: 'warning',
      source: source(offered),
    });
  }
  const ranked = [...view.recommendations].sort((a, b) => gradeRank(a.grade) - gradeRank(b.grade) || (a.role === 'primary' ? 0 : 1) - (b.role === 'primary' ? 0 : 1));
  for (const i of ranked) {
    if (cards.length >= max) break;
    if (inConflict.has(`${i.rule}.${i.clause}`)) continue;
    const suggestion = i.conflict ? undefined : suggestionFor(g, i, options.patientId);
    cards.push({
      uuid: uuidOf(`${i.rule}.${i.clause}${i.option ? `.${i.option}` : ''}`),
      summary: summaryOf(`${verb(i)}: ${i.label}`, ` [${i.grade ?? 'ungraded'}]`),
      detail: `**${verb(i)}** (${i.source}, grade ${i.grade ?? 'ungraded'}${i.role ? `, ${i.role}` : ''})\n\n> ${i.text}\n\n*Source:* ${i.citation}`,
      indicator: i.conflict ? 'warning' : 'info',
      source: source(i),
      ...(suggestion ? { suggestions: [suggestion], selectionBehavior: 'at-most-one' as const } : {}),
    });
  }
  if (view.askNext.length) {
    const top = view.askNext.slice(0, 5);
    cards.push({
      uuid: uuidOf(`ask-next:${top.map((q) => q.fact).join(',')}`),
      summary: summaryOf(`Ask next: ${top.slice(0, 3).map((q) => g.inputs.find((x) => x.id === q.fact)?.title ?? q.fact).join('; ')}`, ''),
      detail: `These facts would decide the most recommendations that could still apply:\n\n${top.map((q) => `- ${q.question} (decides ${q.decides}, involved in ${q.involved})`).join('\n')}`,
      indicator: 'info',
      source: { label },
    });
  }
  return cards;
}

/** A patient-view request (its prefetch) to cards, with what was mapped and what was not. */
export function patientViewCards(g: Guideline, request: { prefetch?: Record<string, unknown>; context?: { patientId?: string } }, options: CardsOptions & { now: string; lookbackDays?: number }): { cards: CdsCard[]; mapped: FhirFacts; view: PatientRecommendations } {
  const mapped = fhirToFacts(prefetchBundle(request.prefetch), { guideline: g, now: options.now, ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}) });
  const view = recommend(g, mapped.facts);
  const patientId = options.patientId ?? request.context?.patientId;
  return { cards: cardsFor(g, view, { ...options, ...(patientId ? { patientId } : {}) }), mapped, view };
}
