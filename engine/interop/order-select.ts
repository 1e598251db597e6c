// CDS Hooks 2.0 order-select for drug orders: each draft MedicationRequest (the selected ones, or
// all drafts) is mapped through the intervention dictionary's drug codes (ATC or RxNorm; a
// combination when all its components are ordered together) to the guideline's interventions, and
// checked against the patient's recommendations and the invariants:
// - an invariant that holds and forbids it, or advice against it that applies: a warning card
//   ("Not recommended"), with the alternatives the guideline offers as suggestions;
// - offered by a recommendation that applies: one info card with its grade;
// - offered only by recommendations not decided yet: one info card naming the facts to ask;
// - offered by none while other drugs of its chapter apply: a warning card, with those as suggestions.
// An order of a drug the dictionary does not know, or by a code under terminology review, gives
// no card (nothing to check it against); the response says so in `unmapped`. At most `maxCards`.
import { chapterOf, evaluate, formatCitation, invariantHolds, recommend, type EvaluationResult, type Guideline, type InvariantNode, type PatientRecommendations, type RecommendationItem, type RuleNode } from '../runtime/index.ts';
import { fhirToFacts, type FhirFacts } from './fhir-in.ts';
import { prefetchBundle, suggestionFor, uuidOf, summaryOf, GUIDELINE_SITE, type CdsCard } from './cds-hooks.ts';

type R = Record<string, any>;
const DRUG_SYSTEMS = new Set(['http://www.whocc.no/atc', 'http://www.nlm.nih.gov/research/umls/rxnorm']);

export const orderSelectServiceId = (g: Guideline) => `${g.manifest.id}-order-select`;

export interface DraftOrder { resource: string; interventions: string[]; agent: string }

/** The draft MedicationRequests as orders of the guideline's drug interventions, and what did not map. */
export function ordersOf(g: Guideline, draftOrders: unknown, selections?: string[]): { orders: DraftOrder[]; unmapped: { resource: string; reason: string }[] } {
  const unmapped: { resource: string; reason: string }[] = [];
  const entries = ((draftOrders as R)?.entry ?? []) as R[];
  const meds = entries.map((e) => e?.resource as R).filter((r) => r?.resourceType === 'MedicationRequest')
    .filter((r) => !selections?.length || selections.includes(`MedicationRequest/${r.id}`));
  // code -> interventions it names alone; combinations by their component codes
  const single = new Map<string, string[]>();
  const combos: { intervention: string; parts: string[] }[] = [];
  for (const [id, e] of Object.entries(g.manifest.interventions ?? {})) {
    if (!e.codes.length || e.review || !e.codes.every((c) => DRUG_SYSTEMS.has(c.system))) continue;
    if (e.codes.every((c) => c.component)) combos.push({ intervention: id, parts: e.codes.map((c) => `${c.system}|${c.code}`) });
    else for (const c of e.codes) single.set(`${c.system}|${c.code}`, [...(single.get(`${c.system}|${c.code}`) ?? []), id]);
  }
  const coded = meds.map((r) => ({ name: `MedicationRequest/${r.id ?? '?'}`, keys: ((r.medicationCodeableConcept?.coding ?? []) as R[]).map((c) => `${c.system}|${c.code}`) }));
  const used = new Set<string>();
  const orders: DraftOrder[] = [];
  for (const combo of combos) {
    const hits = combo.parts.map((k) => coded.find((o) => !used.has(o.name) && o.keys.includes(k)));
    if (hits.every(Boolean)) {
      for (const h of hits) used.add(h!.name);
      orders.push({ resource: hits.map((h) => h!.name).join('+'), interventions: [combo.intervention], agent: combo.intervention });
    }
  }
  for (const o of coded) {
    if (used.has(o.name)) continue;
    const ids = [...new Set(o.keys.flatMap((k) => single.get(k) ?? []))].sort();
    if (!ids.length) { unmapped.push({ resource: o.name, reason: o.keys.length ? `${o.keys.join(', ')}: no drug of the guideline's dictionary (or one of a combination ordered alone)` : 'no coded medication' }); continue; }
    // the plain drug first (e.g. "sorafenib"), qualified uses after it
    ids.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
    orders.push({ resource: o.name, interventions: ids, agent: ids[0] });
  }
  return { orders, unmapped };
}

interface Found { recommended: RecommendationItem[]; undecided: RecommendationItem[]; against: RecommendationItem[]; forbidden: InvariantNode[]; unchecked: InvariantNode[]; chapters: Set<string> }

function examine(g: Guideline, view: PatientRecommendations, result: EvaluationResult, order: DraftOrder): Found {
  const is = (i: RecommendationItem) => order.interventions.includes(i.intervention);
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const chapters = new Set<string>();
  for (const r of rules) for (const c of r.clauses) if (order.interventions.includes(c.action.intervention) || c.action.options?.some((o) => order.interventions.includes(o.intervention))) { const ch = chapterOf(g, r.id); if (ch) chapters.add(ch); }
  const forbidden: InvariantNode[] = [];
  const unchecked: InvariantNode[] = [];
  for (const inv of g.nodes.filter((n): n is InvariantNode => n.kind === 'invariant')) {
    const hits = inv.forbid.some((t) => (t.intervention === '*' || order.interventions.includes(t.intervention)) && (!t.chapter || chapters.has(t.chapter)));
    if (!hits) continue;
    const holds = invariantHolds(g, inv, result);
    if (holds === true) forbidden.push(inv);
    else if (holds === undefined && inv.forbid.some((t) => t.intervention !== '*')) unchecked.push(inv);
  }
  return { recommended: view.recommendations.filter(is), undecided: view.undecided.filter(is), against: view.against.filter(is), forbidden, unchecked, chapters };
}

export interface OrderSelectOptions { now: string; lookbackDays?: number; maxCards?: number }

/** An order-select request (context.draftOrders, context.selections, prefetch) to cards. */
export function orderSelectCards(g: Guideline, request: { context?: { draftOrders?: unknown; selections?: string[]; patientId?: string }; prefetch?: Record<string, unknown> }, options: OrderSelectOptions): { cards: CdsCard[]; mapped: FhirFacts; orders: DraftOrder[]; unmapped: { resource: string; reason: string }[] } {
  const max = options.maxCards ?? 5;
  const mapped = fhirToFacts(prefetchBundle(request.prefetch), { guideline: g, now: options.now, ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}) });
  const { orders, unmapped } = ordersOf(g, request.context?.draftOrders, request.context?.selections);
  const result = evaluate(g, mapped.facts);
  const view = recommend(g, mapped.facts, { result });
  const label = `${g.manifest.id} v${g.manifest.version}`;
  const patient = request.context?.patientId;
  const warnings: CdsCard[] = [];
  const infos: CdsCard[] = [];
  for (const order of orders) {
    const f = examine(g, view, result, order);
    const name = g.nodes.flatMap((n) => ('clauses' in n ? n.clauses.flatMap((c) => [c.action, ...(c.action.options ?? [])]) : [])).find((a) => 'intervention' in a && a.intervention === order.agent)?.label ?? order.agent;
    const source = (i?: RecommendationItem) => ({ label: i ? `${label}: ${i.source}` : label, url: GUIDELINE_SITE, ...(i ? { topic: { system: `urn:guideline:${g.manifest.id}:clause`, code: `${i.rule}.${i.clause}`, display: i.source } } : {}) });
    // what the guideline offers instead in the order's chapters (drugs only, coded, not in conflict)
    const alternatives = view.recommendations.filter((i) => !order.interventions.includes(i.intervention) && f.chapters.has(i.chapter) && !i.conflict && g.manifest.interventions?.[i.intervention]?.codes.some((c) => DRUG_SYSTEMS.has(c.system)));
    const suggestions = alternatives.slice(0, 3).map((i) => suggestionFor(g, i, patient, order.resource.split('+'))).filter((s): s is NonNullable<typeof s> => !!s);
    const withSuggestions = suggestions.length ? { suggestions, selectionBehavior: 'at-most-one' as const } : {};
    if (f.forbidden.length || f.against.length) {
      const a = f.against[0];
      const why = [...f.forbidden.map((inv) => `- ${inv.title}: ${inv.reason ?? ''}`.trimEnd()), ...f.against.map((i) => `- ${i.source} (grade ${i.grade ?? 'ungraded'}): ${i.text}`)];
      warnings.push({
        uuid: uuidOf(`order:${order.agent}:against:${[...f.forbidden.map((i) => i.id), ...f.against.map((i) => `${i.rule}.${i.clause}`)].join(',')}`),
        summary: summaryOf(`Not recommended for this patient: ${name}`, a ? ` [${a.grade ?? 'ungraded'}]` : ' [safety rule]'),
        detail: `The order of **${name}** (${order.resource}) meets what the guideline says against it:\n\n${why.join('\n')}${alternatives.length ? `\n\nThe guideline offers instead: ${alternatives.map((i) => `${i.label} [${i.grade ?? 'ungraded'}]`).join('; ')}.` : ''}\n\n*Source:* ${a ? a.citation : f.forbidden.map((inv) => inv.citations.map(formatCitation).join(' | ')).filter(Boolean).join(' | ') || g.manifest.source.citation}`,
        indicator: 'warning',
        source: source(a),
        ...withSuggestions,
      });
      continue;
    }
    if (f.recommended.length) {
      const i = f.recommended[0];
      infos.push({
        uuid: uuidOf(`order:${order.agent}:${i.rule}.${i.clause}`),
        summary: summaryOf(`${i.action === 'recommend' ? 'Recommended' : 'May be considered'}: ${i.label}`, ` [${i.grade ?? 'ungraded'}]`),
        detail: `The order of **${name}** matches ${i.source} (grade ${i.grade ?? 'ungraded'}${i.role ? `, ${i.role}` : ''}).\n\n> ${i.text}\n\n*Source:* ${i.citation}${f.unchecked.length ? `\n\nNot checked for lack of facts: ${f.unchecked.map((x) => x.title).join('; ')}.` : ''}`,
        indicator: 'info',
        source: source(i),
      });
      continue;
    }
    if (f.undecided.length) {
      const i = f.undecided[0];
      const missing = [...new Set(f.undecided.flatMap((u) => u.missing ?? []).map((m) => m.split(/[.[]/)[0]))].slice(0, 5);
      infos.push({
        uuid: uuidOf(`order:${order.agent}:undecided:${i.rule}.${i.clause}`),
        summary: summaryOf(`Not decided yet for this patient: ${name}`, ` [${i.grade ?? 'ungraded'}]`),
        detail: `${i.source} could offer **${name}**, but these facts are not known: ${missing.map((m) => g.inputs.find((x) => x.id === m)?.title ?? m).join('; ')}.\n\n> ${i.text}\n\n*Source:* ${i.citation}`,
        indicator: 'info',
        source: source(i),
      });
      continue;
    }
    if (alternatives.length) {
      warnings.push({
        uuid: uuidOf(`order:${order.agent}:not-offered`),
        summary: summaryOf(`Not among the recommendations for this patient: ${name}`, ` [${alternatives[0].grade ?? 'ungraded'}]`),
        detail: `No recommendation that applies to this patient offers **${name}**. The guideline offers: ${alternatives.map((i) => `${i.label} [${i.grade ?? 'ungraded'}] (${i.source})`).join('; ')}.\n\n*Source:* ${alternatives[0].citation}`,
        indicator: 'warning',
        source: source(alternatives[0]),
        ...withSuggestions,
      });
    }
  }
  return { cards: [...warnings, ...infos].slice(0, max), mapped, orders, unmapped };
}
