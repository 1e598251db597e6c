// Outcome comparison between two versions of a guideline over the same regression cases: which
// cases change, which recommendation or clause moved between applies / does-not-apply /
// undecided, which definition changed value. One function for the editor's impact panel and the
// reviewer's diff.
import { evaluate, populationOf, reevaluate, type EvaluationResult } from '../runtime/evaluate.ts';
import { definitionOrder, rootNames } from '../runtime/graph.ts';
import { EngineError } from '../runtime/errors.ts';
import { sameJson } from '../runtime/logic.ts';
import { validateFacts, type Facts } from '../runtime/facts.ts';
import type { Case, DefinitionNode, Guideline, GuidelineNode, InputDef, JsonValue, RuleNode } from '../runtime/types.ts';

export interface StatusChange { key: string; before: string; after: string }
/** A clause the patient's result lists (it applies or is undecided) whose GRADE grade changed. */
export interface GradeChange { key: string; status: string; before: string | null; after: string | null }
export interface ValueChange { id: string; before: JsonValue | { undecided: string[] }; after: JsonValue | { undecided: string[] } }

export interface CaseChange {
  id: string;
  title: string;
  /** recommendations ("rule") and clauses ("rule.clause") whose status moved */
  outcomes: StatusChange[];
  /** definitions whose value changed, appeared or disappeared */
  values: ValueChange[];
  /**
   * clauses whose grade changed while the case's result carries them (the clause applies or is
   * undecided): the same advice with a different strength or evidence is a change for that patient
   */
  grades?: GradeChange[];
  /** set when one side cannot evaluate the case (e.g. its facts use an input that was removed) */
  error?: { before?: string; after?: string };
}

export interface Comparison {
  casesCompared: number;
  changed: CaseChange[];
}

/** One case evaluated against one guideline: its result, or the error that stopped it. */
export type CaseOutcome = { result?: EvaluationResult; error?: string };
type Outcome = CaseOutcome;

// Validated facts per data dictionary and case: a case's facts do not change between the many
// comparisons an editing session makes, so they are checked once per dictionary content (drafts
// rebuild the dictionary's array on every edit, so its identity alone would never match).
const dictionaryKeys = new WeakMap<readonly InputDef[], string>();
const validated = new Map<string, WeakMap<Case, { facts?: Facts; error?: string }>>();

function dictionaryKey(inputs: readonly InputDef[]): string {
  let k = dictionaryKeys.get(inputs);
  if (k === undefined) dictionaryKeys.set(inputs, (k = JSON.stringify(inputs)));
  return k;
}

function run(g: Guideline, c: Case): Outcome {
  const dict = dictionaryKey(g.inputs);
  let byCase = validated.get(dict);
  if (!byCase) {
    if (validated.size > 4) validated.clear();
    validated.set(dict, (byCase = new WeakMap()));
  }
  let v = byCase.get(c);
  if (!v) {
    try {
      v = { facts: validateFacts(g.inputs, c.facts) };
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      v = { error: e.message };
    }
    byCase.set(c, v);
  }
  if (v.error !== undefined) return { error: v.error };
  return { result: evaluate(g, v.facts, { trustedFacts: true }) };
}

const shown = (v: { value?: JsonValue; missing?: string[] } | undefined): JsonValue | { undecided: string[] } =>
  v === undefined ? null : v.missing ? { undecided: v.missing } : v.value!;

/** Compare two results of the same case (only the given rules and values, when lists are given). */
export function diffResults(before: EvaluationResult, after: EvaluationResult, only?: { rules: string[]; values: string[] }): { outcomes: StatusChange[]; values: ValueChange[]; grades: GradeChange[] } {
  const outcomes: StatusChange[] = [];
  const grades: GradeChange[] = [];
  const ruleIds = only ? only.rules : [...new Set([...Object.keys(before.rules), ...Object.keys(after.rules)])].sort();
  for (const id of ruleIds) {
    const a = before.rules[id];
    const b = after.rules[id];
    if (a === b) continue; // the same result object (a patched result keeps the base's)
    const sa = a?.status ?? 'absent';
    const sb = b?.status ?? 'absent';
    if (sa !== sb) outcomes.push({ key: id, before: sa, after: sb });
    const clauseIds = [...new Set([...(a?.clauses ?? []).map((c) => c.id), ...(b?.clauses ?? []).map((c) => c.id)])];
    for (const cid of clauseIds) {
      const xa = a?.clauses.find((c) => c.id === cid);
      const xb = b?.clauses.find((c) => c.id === cid);
      const ca = xa?.status ?? 'absent';
      const cb = xb?.status ?? 'absent';
      if (ca !== cb && (a?.clauses.length ?? 0) + (b?.clauses.length ?? 0) > 2) outcomes.push({ key: `${id}.${cid}`, before: ca, after: cb });
      if (xa && xb && ca === cb && (cb === 'applies' || cb === 'undecided') && xa.grade !== xb.grade) {
        grades.push({ key: (a?.clauses.length ?? 0) > 1 ? `${id}.${cid}` : id, status: cb, before: xa.grade, after: xb.grade });
      }
    }
  }
  const values: ValueChange[] = [];
  const defIds = only ? only.values : [...new Set([...Object.keys(before.values), ...Object.keys(after.values)])].sort();
  for (const id of defIds) {
    if (before.values[id] === after.values[id]) continue;
    const a = shown(before.values[id]);
    const b = shown(after.values[id]);
    if (!sameJson(a, b)) values.push({ id, before: a, after: b });
  }
  return { outcomes, values, grades };
}

export interface CompareOptions {
  /**
   * Results of the cases against `base`, kept between calls by a caller that compares many
   * drafts with one saved version (the editor): the base side is then evaluated once per case.
   */
  baselineCache?: Map<Case, CaseOutcome>;
  /**
   * Re-evaluate only the changed nodes for each case when the change allows it (default true).
   * The result is the same as evaluating the whole draft; `false` forces the whole evaluation.
   */
  incremental?: boolean;
}

/**
 * What changed between two versions, when it can be re-evaluated node by node: the changed
 * definitions (in the draft's dependency order) and rules. Undefined when the change is
 * structural (an input, an added or removed definition or rule, a changed kind): then every case
 * is evaluated in full.
 */
interface Delta {
  /** the changed definitions and rules */
  changed: Set<string>;
  /** the changed nodes and everything that reads a changed definition, transitively, in order */
  downstream: (DefinitionNode | RuleNode)[];
  /** what each downstream node reads (a rule's population included) */
  reads: Map<string, string[]>;
  /** the rule and value ids of `downstream`, sorted (the only ones a patched result can change) */
  ruleIds: string[];
  valueIds: string[];
}

/**
 * An input as evaluation sees it: its text for readers (description, citations, interpretations,
 * terminology codes) left out, so rewording an input's description re-evaluates nothing. The title
 * and hint stay: validation messages quote them, and a case's error is part of its outcome.
 */
function inputLogic(inputs: Guideline['inputs']): string {
  const bare = (f: object): object => {
    const { description: _d, citations: _c, interpretations: _i, codes: _k, ...rest } = f as Record<string, unknown>;
    const items = rest.items as { fields?: Record<string, object> } | undefined;
    if (items?.fields) rest.items = { ...items, fields: Object.fromEntries(Object.entries(items.fields).map(([k, v]) => [k, bare(v)])) };
    return rest;
  };
  return JSON.stringify(inputs.map(bare));
}

function deltaOf(base: Guideline, draft: Guideline): Delta | undefined {
  if (inputLogic(base.inputs) !== inputLogic(draft.inputs)) return undefined;
  // A chapter's population (manifest) or a node moved between chapters changes which rules are gated.
  if (JSON.stringify(base.manifest.chapters) !== JSON.stringify(draft.manifest.chapters)) return undefined;
  const evaluated = (g: Guideline) => new Map(g.nodes.filter((n) => n.kind !== 'table' && n.kind !== 'invariant').map((n) => [n.id, n]));
  const a = evaluated(base);
  const b = evaluated(draft);
  if (a.size !== b.size) return undefined;
  const changed = new Set<string>();
  for (const [id, nb] of b) {
    const na = a.get(id);
    if (!na || na.kind !== nb.kind) return undefined;
    if (base.origins[`node:${id}`]?.folder !== draft.origins[`node:${id}`]?.folder) return undefined;
    const logicOf = (n: GuidelineNode) => JSON.stringify(n.kind === 'definition' ? n.expr : [(n as RuleNode).population ?? null, (n as RuleNode).clauses.map((c) => [c.id, c.grade, c.when, c.action.options ?? null])]);
    if (logicOf(na) !== logicOf(nb)) changed.add(id);
  }
  const order = definitionOrder(draft);
  const allRules = draft.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  // Everything downstream of a changed definition: in dependency order, a node is affected when
  // it is changed or reads an affected definition.
  const affected = new Set(changed);
  for (const d of order) if (!affected.has(d.id) && [...rootNames(d)].some((n) => affected.has(n))) affected.add(d.id);
  const downstream = [...order.filter((d) => affected.has(d.id)), ...allRules.filter((r) => affected.has(r.id) || affected.has(populationOf(draft, r) ?? '') || [...rootNames(r)].some((n) => affected.has(n)))];
  const reads = new Map(downstream.map((n) => {
    const pop = n.kind === 'definition' ? undefined : populationOf(draft, n);
    return [n.id, [...rootNames(n), ...(pop ? [pop] : [])]];
  }));
  return {
    changed, downstream, reads,
    ruleIds: downstream.filter((n) => n.kind !== 'definition').map((n) => n.id).sort(),
    valueIds: downstream.filter((n) => n.kind === 'definition').map((n) => n.id).sort(),
  };
}

/**
 * The draft's result for one case from the base result: re-evaluate the changed nodes, and of the
 * nodes downstream only those that read a definition whose value moved for this patient (an
 * albumin threshold that moves the points but not the Child-Pugh class re-evaluates no rule).
 * Every other node reads only unchanged values and keeps its base result.
 */
function patched(draft: Guideline, facts: Facts, before: EvaluationResult, delta: Delta): EvaluationResult {
  const guideline = { id: draft.manifest.id, version: draft.manifest.version };
  const r = reevaluate(draft, facts, before, delta.downstream, { changed: delta.changed, reads: delta.reads });
  return { ...before, guideline, values: { ...before.values, ...r.values }, rules: { ...before.rules, ...r.rules } };
}

/**
 * Evaluate every case against both versions and return the cases whose outcome differs.
 * `cases` defaults to the union of both versions' cases (by id; the draft's copy wins).
 */
export function compare(base: Guideline, draft: Guideline, cases?: Case[], options: CompareOptions = {}): Comparison {
  const all = cases ?? [...new Map([...base.cases, ...draft.cases].map((c) => [c.id, c])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const changed: CaseChange[] = [];
  const cache = options.baselineCache;
  const delta = options.incremental === false ? undefined : deltaOf(base, draft);
  for (const c of all) {
    let a = cache?.get(c);
    if (!a) {
      a = run(base, c);
      cache?.set(c, a);
    }
    // `a` was computed from this very case's facts, so the draft's result can start from it.
    const fast = delta && a.result ? patched(draft, a.result.facts, a.result, delta) : undefined;
    const b = fast ? { result: fast } : run(draft, c);
    if (a.error || b.error) {
      if (a.error !== b.error) changed.push({ id: c.id, title: c.title, outcomes: [], values: [], error: { before: a.error, after: b.error } });
      continue;
    }
    // A patched result differs from the base only in the downstream nodes: diff those alone.
    const d = diffResults(a.result!, b.result!, fast ? { rules: delta!.ruleIds, values: delta!.valueIds } : undefined);
    if (d.outcomes.length || d.values.length || d.grades.length) {
      const { grades, ...rest } = d;
      changed.push({ id: c.id, title: c.title, ...rest, ...(grades.length ? { grades } : {}) });
    }
  }
  return { casesCompared: all.length, changed };
}
