// Flowcharts drawn from the data (issue 16, "Read it as a clinician"). This module builds the
// graphs only (pure, no layout): for one recommendation or practice point, the facts ->
// definitions -> clauses that decide it, optionally annotated with one patient's values and the
// clauses' statuses. Every label is what a clinician reads (titles with units, value labels,
// "Hepatic resection 1 (a)"), never a raw id; ids stay in `id` for links and tests.
// The chapter algorithms (Figure 3, the treatment overview by stage) are in flow-chapters.ts; the
// layout and the SVG in flow-svg.ts.
import { describe, nodeLabel, vocabularyOf, type Vocabulary } from '../runtime/describe.ts';
import { populationOf, type EvaluationResult } from '../runtime/evaluate.ts';
import { collectVars, expressionsOf, rootNames } from '../runtime/graph.ts';
import type { DefinitionNode, Guideline, GuidelineNode, InputDef, JsonValue, RuleNode, Status } from '../runtime/types.ts';

export type FlowNodeKind = 'fact' | 'definition' | 'population' | 'clause' | 'rule' | 'start' | 'decision' | 'outcome' | 'action';

export interface FlowNode {
  /** stable id, unique in the graph (not shown) */
  id: string;
  kind: FlowNodeKind;
  /** the first line, as a clinician reads it */
  label: string;
  /** further lines (condition in words, grade, source) */
  detail?: string[];
  /** the patient's value, in words ("3.9 g/dL", "Child-Pugh class A", "unknown") */
  value?: string;
  /** a clause's or rule's status for the patient */
  status?: Status;
  /** the guideline node it stands for, when any (a link target) */
  ref?: string;
  /** GRADE grade of a clause or a recommendation node, when one */
  grade?: string | null;
}

export interface FlowEdge { from: string; to: string; label?: string; /** a conditional path */ dashed?: boolean }

export interface FlowGraph {
  id: string;
  title: string;
  /** shown with the chart: where it comes from; a derived chart says so here */
  notice?: string;
  /** true when the chart is not a figure of the guideline but derived from its recommendations */
  derived: boolean;
  /** the reading direction the chart is laid out in (default DOWN) */
  direction?: 'RIGHT' | 'DOWN';
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export const STATUS_TEXT: Record<Status, string> = {
  applies: 'applies',
  'does-not-apply': 'does not apply',
  undecided: 'undecided',
  'not-in-population': 'not in the population',
};

/** A value in words: yes/no, the enum's label, the number with its unit. */
export function valueText(g: Guideline, name: string, v: JsonValue | undefined): string {
  if (v === undefined || v === null) return 'unknown';
  const item: { unit?: string; values?: { value: string; label: string }[] } | undefined =
    g.inputs.find((i) => i.id === name) ?? (g.nodes.find((n) => n.kind === 'definition' && n.id === name) as DefinitionNode | undefined);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return item?.values?.find((x) => x.value === v)?.label ?? v;
  if (typeof v === 'number') {
    const unit = item?.unit;
    return unit ? (unit === 'points' ? `${v} point${v === 1 ? '' : 's'}` : `${v} ${unit}`) : String(v);
  }
  if (Array.isArray(v)) return v.length ? `${v.length} item${v.length === 1 ? '' : 's'}` : 'none';
  return 'recorded';
}

/** "Albumin (g/dL)": the title with its unit (points are not a unit a reader needs). */
export function titleWithUnit(vocab: Vocabulary, name: string): string {
  const u = vocab.unit(name);
  return u ? `${vocab.title(name)} (${u})` : vocab.title(name);
}

/** "Hepatic resection 1 (a)", or the practice point's title with the clause letter. */
export function clauseLabel(rule: RuleNode, clauseId: string): string {
  const base = rule.kind === 'recommendation' ? nodeLabel(rule) : rule.title;
  return rule.clauses.length > 1 ? `${base} (${clauseId})` : base;
}

const ACTION_WORD: Record<string, string> = { recommend: 'Recommend', consider: 'Consider', 'not-recommended': 'Not recommended', information: 'Statement' };

export interface RuleFlowOptions {
  /** an evaluation of the same guideline for one patient: values and statuses are shown */
  result?: EvaluationResult;
  /** the longest condition in words kept in a clause box (default 160 characters) */
  maxCondition?: number;
}

/**
 * Words of a condition in words that are still names of the data (a list item's enum value, a
 * name inside "missing"), replaced by their titles and labels.
 */
export function clinicalWords(g: Guideline): (text: string) => string {
  const words = new Map<string, string>();
  for (const i of g.inputs) {
    words.set(i.id, i.title);
    for (const f of Object.values(i.items?.fields ?? {})) for (const v of f.values ?? []) if (!words.has(v.value)) words.set(v.value, v.label);
  }
  for (const n of g.nodes) if (n.kind === 'definition') words.set(n.id, n.title);
  return (text) => text.replace(/"?\b([a-z0-9]+(?:_[a-z0-9]+)+)\b"?/g, (m, w: string) => (words.has(w) ? words.get(w)! : m));
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

/**
 * The dependency graph of one rule: every input and definition its clauses (and its population)
 * read, directly or through definitions, with an edge from each name to what reads it; one node
 * per clause; the rule last. With a result: each fact's and definition's value, each clause's status.
 */
export function ruleFlow(g: Guideline, ruleId: string, options: RuleFlowOptions = {}): FlowGraph {
  const rule = g.nodes.find((n): n is RuleNode => n.id === ruleId && (n.kind === 'recommendation' || n.kind === 'practice-point'));
  if (!rule) throw new Error(`no recommendation or practice point "${ruleId}"`);
  const vocab = vocabularyOf(g);
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const inputs = new Map<string, InputDef>(g.inputs.map((i) => [i.id, i]));
  const r = options.result;
  const ruleResult = r?.rules[rule.id];
  const max = options.maxCondition ?? 160;
  const words = clinicalWords(g);
  const nodes = new Map<string, FlowNode>();
  const edges: FlowEdge[] = [];
  const edgeKeys = new Set<string>();
  const edge = (from: string, to: string, label?: string) => {
    const k = `${from}\u0000${to}`;
    if (edgeKeys.has(k)) return;
    edgeKeys.add(k);
    edges.push(label ? { from, to, label } : { from, to });
  };

  const nameNode = (name: string): string | undefined => {
    const id = `n:${name}`;
    if (nodes.has(id)) return id;
    const def = defs.get(name);
    const input = inputs.get(name);
    if (!def && !input) return undefined;
    const n: FlowNode = def
      ? { id, kind: 'definition', label: def.title, ref: def.id }
      : { id, kind: 'fact', label: titleWithUnit(vocab, name), ref: name };
    if (r) {
      if (def) {
        const v = r.values[name];
        n.value = v?.value !== undefined ? valueText(g, name, v.value) : v?.missing?.length ? `unknown (needs ${v.missing.map((m) => vocab.title(m.split('[')[0])).join(', ')})` : 'unknown';
      } else n.value = valueText(g, name, r.facts[name] as JsonValue | undefined);
    }
    nodes.set(id, n);
    if (def) for (const dep of [...rootNames(def)].sort()) { const d = nameNode(dep); if (d) edge(d, id); }
    return id;
  };

  const ruleNodeId = `r:${rule.id}`;
  const population = populationOf(g, rule);
  const clauseIds: string[] = [];
  for (const c of rule.clauses) {
    const id = `c:${c.id}`;
    clauseIds.push(id);
    const cr = ruleResult?.clauses.find((x) => x.id === c.id);
    const detail = [`when ${clip(words(describe(c.when, vocab)), max)}`];
    if (c.grade) detail.unshift(`Grade ${c.grade}`); else detail.unshift('Ungraded');
    const n: FlowNode = {
      id, kind: 'clause', ref: rule.id, grade: c.grade,
      label: `${rule.clauses.length > 1 ? `(${c.id}) ` : ''}${ACTION_WORD[c.action.type] ?? c.action.type}: ${c.action.label}`,
      detail,
    };
    if (cr) { n.status = cr.status; n.value = STATUS_TEXT[cr.status]; }
    nodes.set(id, n);
  }
  // Names each clause reads (its when and its options' when), in text order.
  const exprs = expressionsOf(rule);
  for (const c of rule.clauses) {
    const names = new Set<string>();
    for (const e of exprs) if (e.clause === c.id) for (const v of collectVars(e.logic)) if (!v.scoped) names.add(v.path.split('.')[0]);
    for (const name of [...names].sort()) { const id = nameNode(name); if (id) edge(id, `c:${c.id}`); }
  }
  const ruleNode: FlowNode = {
    id: ruleNodeId, kind: 'rule', ref: rule.id,
    label: nodeLabel(rule),
    detail: [rule.kind === 'recommendation' ? `Grade${rule.clauses.length > 1 ? 's' : ''} ${rule.clauses.map((c) => c.grade ?? 'ungraded').join(', ')}` : 'Practice point (ungraded)'],
  };
  if (ruleResult) { ruleNode.status = ruleResult.status; ruleNode.value = STATUS_TEXT[ruleResult.status]; }
  nodes.set(ruleNodeId, ruleNode);
  for (const id of clauseIds) edge(id, ruleNodeId);
  if (population) {
    const pid = nameNode(population);
    if (pid) {
      const p = nodes.get(pid)!;
      p.kind = 'population';
      if (!/^population/i.test(p.label)) p.label = `Population: ${p.label}`;
      edge(pid, ruleNodeId, 'only if');
    }
  }
  return {
    id: `rule-${rule.id}`,
    title: `${nodeLabel(rule)}: what decides it`,
    notice: r ? 'With the open patient\'s values: each fact and derived value as the engine computed it, each clause\'s status.' : undefined,
    derived: false,
    direction: 'RIGHT',
    nodes: [...nodes.values()],
    edges,
  };
}

/** Every node a rule flow would draw for a node id; used by the editor to offer the flow. */
export function hasFlow(n: GuidelineNode | undefined): n is RuleNode {
  return !!n && (n.kind === 'recommendation' || n.kind === 'practice-point');
}
