// The chapters' algorithms as decision flows, built from the encoded nodes (pure).
//
// - Diagnosis (Figure 3, diagnostic algorithm): the figure image is not in the source text, but its
//   caption, Diagnosis recommendations 2-6 and Tables 3-4 rebuild it. The skeleton is the
//   encoded definition "imaging diagnosis category" itself (an if-chain: each condition a
//   question, each value an outcome); every clause of the chapter that tests a category value is
//   attached to that outcome automatically; the few clauses the text places on the chart but that
//   are encoded over raw facts (subcentimeter follow-up, first-line imaging, second-line imaging,
//   biopsy, the "definite" hallmarks) are placed by the small FIGURE_3 table below, and the builder
//   refuses a reference that does not exist.
// - Treatment overview by stage: Figures 8 and 9 are NOT in the source text. The chart is derived
//   from the recommendations by evaluating one representative patient per mUICC stage of Figure 8's
//   population (Child-Pugh A, no portal hypertension, ECOG 0) with the engine, and drawing the
//   treatment clauses that apply; options that depend only on the team's judgement of feasibility
//   are drawn dashed, labelled with that judgement. It is marked derived everywhere it is shown.
import { describe, nodeLabel, vocabularyOf } from '../runtime/describe.ts';
import { evaluate } from '../runtime/evaluate.ts';
import { isLogicObject, operands, varPath } from '../runtime/logic.ts';
import { treatmentOptions, type TreatmentOption } from '../runtime/treatment-options.ts';
import type { DefinitionNode, Guideline, JsonValue, Logic, RuleNode } from '../runtime/types.ts';
import type { FlowEdge, FlowGraph, FlowNode } from './flow.ts';

export const DERIVED_NOTICE = 'Derived from the recommendations; Figures 8 and 9 are not in the source text.';

const ACTION_WORD: Record<string, string> = { recommend: 'Recommend', consider: 'Consider', 'not-recommended': 'Not recommended', information: 'Statement' };

/** "rule#clause" references of the diagnostic chart that the category definition cannot place. */
export const FIGURE_3 = {
  id: 'diagnosis-figure-3',
  chapter: 'diagnosis',
  pivot: 'imaging_diagnosis_category',
  title: 'Figure 3. Diagnostic algorithm',
  notice: 'The figure image is not in the source text: rebuilt from its caption, Diagnosis recommendations 2-6 and the encoded imaging diagnosis category (each question below is that definition\'s condition, in order).',
  start: 'New liver nodule found (on surveillance or otherwise)',
  /** clauses placed on an outcome of the pivot, besides those that test the outcome's value */
  attach: {
    not_high_risk: ['diagnosis_biopsy_when_imaging_criteria_do_not_apply#a'],
    subcentimeter: ['diagnosis_6#a'],
    definite_hcc: ['diagnosis_3#a', 'diagnosis_3#b', 'diagnosis_3#c'],
  } as Record<string, string[]>,
  /** clauses drawn on the "no" branch after the pivot's condition of that index (0-based) */
  afterNo: { 1: ['diagnosis_2#a'] } as Record<number, string[]>,
  /** from these outcomes, through a clause, back to the question of that index */
  loop: { from: ['probable_hcc', 'indeterminate'], via: 'diagnosis_2#b', to: 2 },
};

function chapterRules(g: Guideline, chapter: string): RuleNode[] {
  return g.nodes.filter((n): n is RuleNode => (n.kind === 'recommendation' || n.kind === 'practice-point')
    && g.origins[`node:${n.id}`]?.folder?.split('/')[0] === chapter);
}

/** Values of `pivot` a condition tests for equality (== / === / in). */
function testedValues(l: JsonValue, pivot: string, out = new Set<string>()): Set<string> {
  if (Array.isArray(l)) { for (const x of l) testedValues(x, pivot, out); return out; }
  if (!isLogicObject(l)) return out;
  const op = Object.keys(l)[0];
  const args = operands(l[op]);
  const isPivot = (x: JsonValue) => isLogicObject(x) && 'var' in x && varPath(x.var) === pivot;
  if ((op === '==' || op === '===') && args.length === 2) {
    if (isPivot(args[0]) && typeof args[1] === 'string') out.add(args[1]);
    if (isPivot(args[1]) && typeof args[0] === 'string') out.add(args[0]);
  }
  if (op === 'in' && isPivot(args[0]) && Array.isArray(args[1])) for (const v of args[1]) if (typeof v === 'string') out.add(v);
  for (const a of args) testedValues(a, pivot, out);
  return out;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Figure 3, rebuilt from the encoded diagnosis nodes. */
export function diagnosisFlow(g: Guideline): FlowGraph {
  const spec = FIGURE_3;
  const vocab = vocabularyOf(g);
  const pivot = g.nodes.find((n): n is DefinitionNode => n.kind === 'definition' && n.id === spec.pivot);
  if (!pivot) throw new Error(`Figure 3: the definition "${spec.pivot}" is missing`);
  const chain = isLogicObject(pivot.expr) && 'if' in pivot.expr ? operands(pivot.expr.if) : [];
  if (chain.length < 3 || chain.length % 2 === 0) throw new Error(`Figure 3: "${spec.pivot}" is not an if-chain with a final value`);
  const rules = new Map(g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point').map((r) => [r.id, r]));
  const resolve = (ref: string) => {
    const [rid, cid] = ref.split('#');
    const rule = rules.get(rid);
    const clause = rule?.clauses.find((c) => c.id === cid);
    if (!rule || !clause) throw new Error(`Figure 3: no clause "${ref}" in the guideline`);
    return { rule, clause };
  };

  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [];
  const actionIds = new Map<string, string>();
  /** One action box per rule and intervention: "Recommend: Multiphasic CT or MRI" / "Diagnosis 2 (a) · A1". */
  const actionFor = (refs: { rule: RuleNode; clause: RuleNode['clauses'][number] }[]): string[] => {
    const groups = new Map<string, typeof refs>();
    for (const x of refs) {
      const k = `${x.rule.id}|${x.clause.action.intervention}`;
      groups.set(k, [...(groups.get(k) ?? []), x]);
    }
    const ids: string[] = [];
    for (const [k, xs] of groups) {
      let id = actionIds.get(k);
      if (!id) {
        id = `a:${k}`;
        actionIds.set(k, id);
        const { rule, clause } = xs[0];
        const letters = rule.clauses.length > 1 ? ` (${xs.map((x) => x.clause.id).join(', ')})` : '';
        const grades = [...new Set(xs.map((x) => x.clause.grade ?? 'ungraded'))].join(', ');
        nodes.push({ id, kind: 'action', ref: rule.id, grade: xs[0].clause.grade, label: `${ACTION_WORD[clause.action.type] ?? clause.action.type}: ${clause.action.label}`, detail: [`${nodeLabel(rule)}${letters} · ${grades}`] });
      }
      ids.push(id);
    }
    return ids;
  };

  // Clauses of the chapter that test a value of the pivot, in chapter order.
  const tested = new Map<string, { rule: RuleNode; clause: RuleNode['clauses'][number] }[]>();
  for (const rule of chapterRules(g, spec.chapter)) for (const clause of rule.clauses) {
    for (const v of testedValues(clause.when, spec.pivot)) tested.set(v, [...(tested.get(v) ?? []), { rule, clause }]);
  }

  nodes.push({ id: 'start', kind: 'start', label: spec.start });
  let previous = 'start';
  let previousLabel: string | undefined;
  const questionIds: string[] = [];
  const outcomeIds = new Map<string, string>();
  const outcome = (value: string) => {
    const id = `o:${value}`;
    outcomeIds.set(value, id);
    nodes.push({ id, kind: 'outcome', label: pivot.values?.find((v) => v.value === value)?.label ?? value, ref: pivot.id });
    const refs = [...(spec.attach[value] ?? []).map(resolve), ...(tested.get(value) ?? [])];
    const seen = new Set<string>();
    const unique = refs.filter((x) => { const k = `${x.rule.id}#${x.clause.id}`; if (seen.has(k)) return false; seen.add(k); return true; });
    for (const a of actionFor(unique)) edges.push({ from: id, to: a });
    return id;
  };
  for (let i = 0; i + 1 < chain.length; i += 2) {
    const index = i / 2;
    const cond = chain[i] as Logic;
    const value = chain[i + 1];
    if (typeof value !== 'string') throw new Error(`Figure 3: "${spec.pivot}" gives a value that is not a category`);
    // "not X" reads better as the question "X?" with the answers swapped.
    const negated = isLogicObject(cond) && '!' in cond;
    const asked = negated ? operands((cond as Record<string, JsonValue>)['!'])[0] as Logic : cond;
    const qid = `q:${index}`;
    questionIds.push(qid);
    nodes.push({ id: qid, kind: 'decision', label: `${cap(describe(asked, vocab))}?`, ref: pivot.id });
    edges.push(previousLabel ? { from: previous, to: qid, label: previousLabel } : { from: previous, to: qid });
    const o = outcome(value);
    edges.push({ from: qid, to: o, label: negated ? 'no' : 'yes' });
    previous = qid;
    previousLabel = negated ? 'yes' : 'no';
    const steps = spec.afterNo[index];
    if (steps) {
      for (const a of actionFor(steps.map(resolve))) {
        edges.push({ from: previous, to: a, label: previousLabel });
        previous = a;
        previousLabel = undefined;
      }
    }
  }
  const last = chain[chain.length - 1];
  if (typeof last !== 'string') throw new Error(`Figure 3: "${spec.pivot}" ends with a value that is not a category`);
  const o = outcome(last);
  edges.push(previousLabel ? { from: previous, to: o, label: previousLabel } : { from: previous, to: o });

  const [via] = actionFor([resolve(spec.loop.via)]);
  for (const v of spec.loop.from) {
    const from = outcomeIds.get(v);
    if (!from) throw new Error(`Figure 3: no outcome "${v}"`);
    edges.push({ from, to: via, label: 'first-line imaging inconclusive' });
  }
  edges.push({ from: via, to: questionIds[spec.loop.to] ?? questionIds[0], label: 'read again' });
  const seen = new Set<string>();
  return {
    id: spec.id, title: spec.title, notice: spec.notice, derived: false, nodes,
    edges: edges.filter((e) => { const k = `${e.from}\u0000${e.to}`; if (seen.has(k)) return false; seen.add(k); return true; }),
  };
}

/**
 * Representative patients of Figure 8's population (Child-Pugh A, no portal hypertension, ECOG 0,
 * HCC on chronic hepatitis B with cirrhosis, a first treatment), one per mUICC stage. The team's
 * judgement of each treatment's feasibility is left unknown on purpose: options that depend on it
 * only are drawn dashed.
 */
export const STAGE_PATIENTS: { stage: string; describe: string; facts: Record<string, JsonValue> }[] = [
  { stage: 'I', describe: 'single tumor 1.8 cm, no vascular invasion', facts: { tumor_count: 1, largest_tumor_cm: 1.8 } },
  { stage: 'II', describe: 'single tumor 3.5 cm, no vascular invasion', facts: { tumor_count: 1, largest_tumor_cm: 3.5 } },
  { stage: 'III', describe: 'three tumors, largest 4 cm, no vascular invasion', facts: { tumor_count: 3, largest_tumor_cm: 4 } },
  { stage: 'IVA', describe: 'three tumors, largest 4 cm, portal vein invasion (Vp2)', facts: { tumor_count: 3, largest_tumor_cm: 4, portal_vein_invasion: 'vp2' } },
  { stage: 'IVB', describe: 'three tumors, largest 4 cm, distant metastasis', facts: { tumor_count: 3, largest_tumor_cm: 4, distant_metastasis: true } },
];

export const FIGURE_8_BASE: Record<string, JsonValue> = {
  hcc_diagnosed: true, chronic_hepatitis_b: true, chronic_hepatitis_c: false, cirrhosis: true, history_of_hcc: false,
  prior_curative_treatment: 'none', prior_systemic_therapies: [], recurrence_after_resection: false, recurrence_after_transplantation: false,
  albumin: 4, bilirubin: 0.8, prothrombin_time_prolonged_s: 1, ascites: 'none', encephalopathy: 'none', ecog: 0,
  hvpg_measured: false, esophageal_varices: false, platelet_count: 200000, splenomegaly: false,
  portal_vein_invasion: 'vp0', hepatic_vein_invasion: false, bile_duct_invasion: false, lymph_node_metastasis: false, distant_metastasis: false,
  tace_session_count: 0, receiving_systemic_therapy: false, tumor_related_symptoms: false, incomplete_response_after_tace_expected: false,
  recurrent_or_residual_tumor: false, lt_candidate: false, standard_systemic_therapy_unusable: false,
  autoimmune_disease: false, organ_or_stem_cell_transplant: false, antithrombotic_therapy: false, high_risk_varices_untreated: false,
  uncontrolled_hypertension: false, tki_contraindication: false, afp: 35,
};

/** The team's judgements: an option that waits only on these is drawn as "if the team finds ...". */
export const JUDGEMENT_FACTS = ['suitable_for_resection', 'suitable_for_transplantation', 'suitable_for_local_ablation', 'suitable_for_tace', 'tumor_location', 'rfa_location_ideal', 'curative_or_locoregional_therapy_feasible'];

/** The treatment overview by mUICC stage, derived from the recommendations (marked so). */
export function stageFlow(g: Guideline): FlowGraph {
  const vocab = vocabularyOf(g);
  const stageDef = g.nodes.find((n): n is DefinitionNode => n.kind === 'definition' && n.id === 'muicc_stage');
  const inputs = new Set(g.inputs.map((i) => i.id));
  const nodes: FlowNode[] = [
    { id: 'start', kind: 'start', label: 'HCC with Child-Pugh class A, no portal hypertension, ECOG 0-1 (the population of Figure 8)', detail: [DERIVED_NOTICE] },
    { id: 'q:stage', kind: 'decision', label: `${stageDef?.title ?? 'mUICC stage'}?`, ref: stageDef?.id },
  ];
  const edges: FlowEdge[] = [{ from: 'start', to: 'q:stage' }];
  for (const p of STAGE_PATIENTS) {
    const facts = Object.fromEntries(Object.entries({ ...FIGURE_8_BASE, ...p.facts }).filter(([k]) => inputs.has(k)));
    const result = evaluate(g, facts);
    const view = treatmentOptions(g, result);
    const got = view.context.muiccStage.value;
    if (got !== p.stage) throw new Error(`stage chart: the representative patient of stage ${p.stage} evaluates to stage ${String(got)}`);
    if (view.context.inFigure8Population.value !== true) throw new Error(`stage chart: the representative patient of stage ${p.stage} is not in Figure 8's population`);
    const sid = `s:${p.stage}`;
    const label = stageDef?.values?.find((v) => v.value === p.stage)?.label ?? `Stage ${p.stage}`;
    const dropped = view.undecided.filter((o) => !(o.missing ?? []).every((m) => JUDGEMENT_FACTS.includes(m))).length;
    nodes.push({ id: sid, kind: 'outcome', label, ref: stageDef?.id, detail: [`drawn for: ${p.describe}`, ...(dropped ? [`${dropped} more option${dropped === 1 ? ' depends' : 's depend'} on other facts`] : [])] });
    edges.push({ from: 'q:stage', to: sid, label: p.stage });
    const byTreatment = new Map<string, { options: TreatmentOption[]; conditional: boolean; judgement: string[] }>();
    const add = (o: TreatmentOption, conditional: boolean) => {
      const cur = byTreatment.get(o.intervention) ?? { options: [], conditional, judgement: [] };
      cur.options.push(o);
      cur.conditional &&= conditional;
      for (const m of o.missing ?? []) if (!cur.judgement.includes(m)) cur.judgement.push(m);
      byTreatment.set(o.intervention, cur);
    };
    for (const o of view.applies) if (o.action !== 'information') add(o, false);
    for (const o of view.undecided) if (o.action !== 'information' && (o.missing ?? []).every((m) => JUDGEMENT_FACTS.includes(m))) add(o, true);
    // One box per stage and treatment (a tree per stage): the recommendations and grades in the box.
    for (const [intervention, t] of byTreatment) {
      const tid = `t:${p.stage}:${intervention}`;
      const refs = [...new Set(t.options.map((o) => `${o.label}${o.grade ? ` · ${o.grade}` : ''}${o.role ? ` · ${o.role}` : ''}`))];
      nodes.push({
        id: tid, kind: 'action', label: t.options[0].interventionLabel, ref: t.options[0].rule, grade: t.options[0].grade,
        detail: [...refs, ...(t.conditional ? ['if the team judges it feasible'] : [])],
      });
      edges.push({ from: sid, to: tid, ...(t.conditional ? { dashed: true } : {}) });
    }
  }
  return {
    id: 'treatment-by-stage',
    title: 'Treatment overview by mUICC stage (derived)',
    notice: `${DERIVED_NOTICE} Each stage is drawn from one representative patient of Figure 8's population, evaluated by the engine: solid arrows lead to treatment clauses that apply to that patient; dashed arrows to clauses that apply or not depending only on the team's judgement (${JUDGEMENT_FACTS.filter((m) => inputs.has(m)).map((m) => vocab.title(m).toLowerCase()).join('; ')}). A committee should confirm or correct it against the published figures.`,
    derived: true,
    direction: 'RIGHT',
    nodes,
    edges,
  };
}

/** The algorithm charts of a chapter (manifest id): Figure 3 for diagnosis, the derived stage chart for the treatment overview. */
export function chapterFlows(g: Guideline, chapter: string): FlowGraph[] {
  if (chapter === FIGURE_3.chapter && g.nodes.some((n) => n.id === FIGURE_3.pivot)) return [diagnosisFlow(g)];
  if (chapter === 'treatment-overview' && g.nodes.some((n) => n.id === 'muicc_stage')) return [stageFlow(g)];
  return [];
}

/** Chapters that have an algorithm chart. */
export const FLOW_CHAPTERS: readonly string[] = [FIGURE_3.chapter, 'treatment-overview'];
