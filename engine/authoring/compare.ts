// Outcome comparison between two versions of a guideline over the same regression cases: which
// cases change, which recommendation or clause moved between applies / does-not-apply /
// undecided, which definition changed value. One function for the editor's impact panel and the
// reviewer's diff.
import { evaluate, nodeReads, populationOf, reevaluate, type ClauseResult, type DefinitionMemo, type EvaluationResult, type RuleResult, type ValueResult } from '../runtime/evaluate.ts';
import { definitionOrder } from '../runtime/graph.ts';
import { EngineError } from '../runtime/errors.ts';
import { sameJson, unknownFact } from '../runtime/logic.ts';
import { validateFacts, type Facts } from '../runtime/facts.ts';
import type { Case, DefinitionNode, Guideline, InputDef, JsonValue, RuleNode } from '../runtime/types.ts';

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
type Validated = WeakMap<Case, { facts?: Facts; error?: string }>;
const validated = new Map<string, Validated>();
// the entry of `validated` per dictionary array: looking a draft's dictionary up by its content on
// every case compared the whole text (tens of kilobytes) each time
const validatedByArray = new WeakMap<readonly InputDef[], Validated>();

function validatedFor(inputs: readonly InputDef[]): Validated {
  let byCase = validatedByArray.get(inputs);
  if (!byCase) {
    const dict = JSON.stringify(inputs);
    byCase = validated.get(dict);
    if (!byCase) {
      if (validated.size > 4) validated.clear();
      validated.set(dict, (byCase = new WeakMap()));
    }
    validatedByArray.set(inputs, byCase);
  }
  return byCase;
}

function run(g: Guideline, c: Case): Outcome {
  const byCase = validatedFor(g.inputs);
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
  const ruleIds = only ? only.rules : [...new Set([...Object.keys(before.rules), ...Object.keys(after.rules)])].sort();
  const valueIds = only ? only.values : [...new Set([...Object.keys(before.values), ...Object.keys(after.values)])].sort();
  return diffWith(before, after.rules, after.values, ruleIds, valueIds);
}

type Diff = ReturnType<typeof diffResults>;

/**
 * A patched draft result, as the nodes re-evaluated for the case (never assembled into a whole
 * result): every other node keeps its base result, except the removed ones, which are absent.
 */
interface Patch {
  /** definitions and rules of the base the draft no longer has */
  removed: ReadonlySet<string>;
  /** the rules whose clause ids are unique in both versions */
  uniqueClauses: ReadonlySet<string>;
}

function diffWith(before: EvaluationResult, afterRules: Record<string, RuleResult>, afterValues: Record<string, ValueResult>, ruleIds: readonly string[], valueIds: readonly string[], patch?: Patch): Diff {
  const d: Diff = { outcomes: [], values: [], grades: [] };
  for (const id of ruleIds) {
    // A node the patch did not re-evaluate keeps its base result: not even read (the base results
    // of 10,000 cases are far apart in memory, and reading them was much of the diff's cost).
    if (patch && !hasOwn(afterRules, id) && !patch.removed.has(id)) continue;
    const a = before.rules[id];
    const b = patch && !hasOwn(afterRules, id) ? undefined : afterRules[id]; // removed
    if (a === b) continue; // the same result object
    diffRule(d, id, a, b, !!patch?.uniqueClauses.has(id));
  }
  for (const id of valueIds) {
    if (patch && !hasOwn(afterValues, id) && !patch.removed.has(id)) continue;
    const va = before.values[id];
    const vb = patch && !hasOwn(afterValues, id) ? undefined : afterValues[id]; // removed
    if (va === vb) continue;
    const a = shown(va);
    const b = shown(vb);
    if (!sameJson(a, b)) d.values.push({ id, before: a, after: b });
  }
  return d;
}

function diffRule(d: Diff, id: string, a: RuleResult | undefined, b: RuleResult | undefined, uniqueClauses: boolean): void {
  const sa = a?.status ?? 'absent';
  const sb = b?.status ?? 'absent';
  if (sa !== sb) d.outcomes.push({ key: id, before: sa, after: sb });
  const na = a?.clauses.length ?? 0;
  const nb = b?.clauses.length ?? 0;
  // The same clauses in the same order (clause ids unique in both versions): side by side, in the
  // order the general case below gives.
  if (a && b && na === nb && uniqueClauses && a.clauses.every((x, i) => x.id === b.clauses[i].id)) {
    for (let i = 0; i < na; i++) diffClause(d, id, a.clauses[i].id, a.clauses[i], b.clauses[i], na, nb);
    return;
  }
  const clauseIds = [...new Set([...(a?.clauses ?? []).map((c) => c.id), ...(b?.clauses ?? []).map((c) => c.id)])];
  for (const cid of clauseIds) diffClause(d, id, cid, a?.clauses.find((c) => c.id === cid), b?.clauses.find((c) => c.id === cid), na, nb);
}

function diffClause(d: Diff, id: string, cid: string, xa: ClauseResult | undefined, xb: ClauseResult | undefined, na: number, nb: number): void {
  const ca = xa?.status ?? 'absent';
  const cb = xb?.status ?? 'absent';
  if (ca !== cb && na + nb > 2) d.outcomes.push({ key: `${id}.${cid}`, before: ca, after: cb });
  if (xa && xb && ca === cb && (cb === 'applies' || cb === 'undecided') && xa.grade !== xb.grade) {
    d.grades.push({ key: na > 1 ? `${id}.${cid}` : id, status: cb, before: xa.grade, after: xb.grade });
  }
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
  /**
   * Filled with how the draft's side of each case was obtained: evaluated in full, patched (some
   * nodes re-evaluated) or reused (nothing the edit changed can reach the case). For tests and
   * benchmarks: the results are the same either way.
   */
  counts?: { full: number; patched: number; reused: number };
}


/**
 * What changed between two versions, when the draft's results can be derived case by case from
 * the base's: the changed nodes, the removed ones, the changed inputs, and everything downstream.
 * Undefined when that cannot be shown to give what a full evaluation gives (a definition became
 * a rule, a draft node reads a removed definition): then every case is evaluated in full.
 */
interface Delta extends Patch {
  /** definitions and rules whose logic or population changed, and the added ones */
  changed: ReadonlySet<string>;
  inputs?: InputDelta;
  /** every node a change can reach (the changed ones, readers of a changed input, and what reads those, transitively), in order */
  downstream: (DefinitionNode | RuleNode)[];
  /** what each downstream node reads (a rule's population included) */
  reads: Map<string, string[]>;
  /** the rule and value ids a patched result can differ in (downstream and removed), sorted */
  ruleIds: string[];
  valueIds: string[];
  /** per set of missing changed inputs (key: their ids), the nodes to re-evaluate */
  perMissing: Map<string, ReadonlySet<string>>;
  /** the draft's definition values by the values they read, shared by every case's re-evaluation */
  memo: DefinitionMemo;
}

/**
 * The inputs that differ between the versions. An input's definition reaches the results in two
 * ways only: the validation of the facts (whether a case is accepted, and its error message) and
 * the value a node sees when the fact is missing (unknownFact: a boolean's, an enum's or a small
 * integer range's possible values). A fact that is present and accepted by both versions is the
 * same value for both, so the nodes reading it give the same result.
 */
interface InputDelta {
  /** the draft's definitions of the changed and added inputs: each case's facts for them are validated again */
  draft: readonly InputDef[];
  /** each of `draft` alone (frozen: validateFacts keeps its index) */
  single: ReadonlyMap<string, readonly InputDef[]>;
  /** per changed input, whether the draft accepts a given number, text or boolean (filled as cases come) */
  accepts: Map<string, Map<JsonValue, boolean>>;
  /** ids of the inputs the draft removed: a case giving one is evaluated in full (its error) */
  removed: readonly string[];
  /** inputs whose missing-fact value differs (added and removed ones included), with the draft nodes that read each */
  moved: readonly (readonly [id: string, readers: readonly string[]])[];
}

/**
 * An input as evaluation sees it: its text for readers (description, citations, interpretations,
 * terminology codes) left out, so rewording an input's description re-evaluates nothing. The title
 * and hint stay: validation messages quote them, and a case's error is part of its outcome.
 */
function inputLogic(f: object): string {
  const bare = (f: object): object => {
    const { description: _d, citations: _c, interpretations: _i, codes: _k, ...rest } = f as Record<string, unknown>;
    const items = rest.items as { fields?: Record<string, object> } | undefined;
    if (items?.fields) rest.items = { ...items, fields: Object.fromEntries(Object.entries(items.fields).map(([k, v]) => [k, bare(v)])) };
    return rest;
  };
  return JSON.stringify(bare(f));
}

// The saved side's inputs are the same array from one edit to the next: their logic is kept.
const inputLogicCache = new WeakMap<readonly InputDef[], Map<string, { def: InputDef; logic: string }>>();
function inputsById(inputs: readonly InputDef[]): Map<string, { def: InputDef; logic: string }> {
  let m = inputLogicCache.get(inputs);
  if (!m) inputLogicCache.set(inputs, (m = new Map(inputs.map((f) => [f.id, { def: f, logic: inputLogic(f) }]))));
  return m;
}

/** What a node sees for a missing fact of this input (none: the id is not an input). */
const missingValue = (f: InputDef | undefined): string => (f ? JSON.stringify(unknownFact(f.id, f)) : 'not an input');

function changedInputs(base: readonly InputDef[], draft: readonly InputDef[]): { draft: InputDef[]; removed: string[]; ids: string[] } | undefined {
  const a = inputsById(base);
  const b = inputsById(draft);
  const changed: InputDef[] = [];
  const removed = [...a.keys()].filter((id) => !b.has(id));
  for (const [id, { def, logic }] of b) if (a.get(id)?.logic !== logic) changed.push(def);
  if (!changed.length && !removed.length) return undefined;
  return { draft: changed, removed, ids: [...changed.map((f) => f.id), ...removed] };
}

type EvaluatedNode = DefinitionNode | RuleNode;
const isRule = (n: EvaluatedNode): n is RuleNode => n.kind !== 'definition';
/** The part of a node that evaluation reads (a rule's population aside: see populationOf). */
const logicOf = (n: EvaluatedNode) => JSON.stringify(n.kind === 'definition' ? n.expr : [n.kind, n.population ?? null, n.clauses.map((c) => [c.id, c.grade, c.when, c.action.options ?? null])]);

function deltaOf(base: Guideline, draft: Guideline): Delta | undefined {
  const evaluated = (g: Guideline) => new Map(g.nodes.filter((n): n is EvaluatedNode => n.kind !== 'table' && n.kind !== 'invariant').map((n) => [n.id, n]));
  const a = evaluated(base);
  const b = evaluated(draft);
  const changed = new Set<string>();
  const removed = new Set<string>();
  for (const [id, na] of a) {
    const nb = b.get(id);
    if (!nb) removed.add(id);
    else if ((na.kind === 'definition') !== (nb.kind === 'definition')) return undefined;
  }
  for (const [id, nb] of b) {
    const na = a.get(id);
    // A rule's population also comes from its chapter (its folder and the manifest's chapters).
    if (!na || logicOf(na) !== logicOf(nb) || (isRule(nb) && populationOf(base, na as RuleNode) !== populationOf(draft, nb))) changed.add(id);
  }
  const order = definitionOrder(draft);
  const allRules = draft.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const readsOf = new Map<string, string[]>([...order, ...allRules].map((n) => [n.id, nodeReads(draft, n)]));
  // A draft node reading a removed definition is an error of the draft the full evaluation reports.
  for (const names of readsOf.values()) if (names.some((n) => removed.has(n) && a.get(n)!.kind === 'definition')) return undefined;

  let inputs: InputDelta | undefined;
  const ci = changedInputs(base.inputs, draft.inputs);
  if (ci) {
    const before = inputsById(base.inputs);
    const after = inputsById(draft.inputs);
    const moved = ci.ids
      .filter((id) => missingValue(before.get(id)?.def) !== missingValue(after.get(id)?.def))
      .map((id) => [id, [...readsOf].filter(([, names]) => names.includes(id)).map(([n]) => n)] as const);
    inputs = { draft: ci.draft, single: new Map(ci.draft.map((f) => [f.id, Object.freeze([f])])), accepts: new Map(), removed: ci.removed, moved };
  }

  // Everything downstream of a change: in dependency order, a node is affected when it is changed,
  // reads a changed input, or reads an affected definition.
  const affected = new Set([...changed, ...(inputs?.moved ?? []).flatMap(([, readers]) => readers)]);
  for (const d of order) if (!affected.has(d.id) && readsOf.get(d.id)!.some((n) => affected.has(n))) affected.add(d.id);
  const downstream = [...order.filter((d) => affected.has(d.id)), ...allRules.filter((r) => affected.has(r.id) || readsOf.get(r.id)!.some((n) => affected.has(n)))];
  const reads = new Map(downstream.map((n) => [n.id, readsOf.get(n.id)!]));
  const kindOf = (id: string) => (b.get(id) ?? a.get(id))!.kind;
  const ids = [...downstream.map((n) => n.id), ...removed].sort();
  return {
    changed, removed, inputs, downstream, reads,
    ruleIds: ids.filter((id) => kindOf(id) !== 'definition'),
    valueIds: ids.filter((id) => kindOf(id) === 'definition'),
    perMissing: new Map([['', changed]]),
    memo: new Map(),
    uniqueClauses: new Set(ids.filter((id) => [a.get(id), b.get(id)].every((n) => n && isRule(n) && new Set(n.clauses.map((c) => c.id)).size === n.clauses.length))),
  };
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Whether the draft's input `f` accepts the fact `v` and cleans it to what the base's validation
 * gave (`facts`): then this fact is the same for both versions. A number, text or boolean is
 * accepted or not whatever the rest of the case, so that answer is kept per value (10,000 cases
 * give a few hundred distinct values).
 */
function accepted(inputs: InputDelta, f: InputDef, v: JsonValue, facts: Facts): boolean {
  const y = hasOwn(facts, f.id) ? facts[f.id] : undefined;
  if (v === null) return y === undefined; // not known: dropped by every version
  if (typeof v !== 'object') {
    let byValue = inputs.accepts.get(f.id);
    if (!byValue) inputs.accepts.set(f.id, (byValue = new Map()));
    let ok = byValue.get(v);
    if (ok === undefined) byValue.set(v, (ok = cleaned(inputs, f, v)?.[f.id] === v));
    return ok && y === v;
  }
  const clean = cleaned(inputs, f, v);
  // Accepted by both, a list cleans to the same items; checked, not assumed.
  return clean !== undefined && hasOwn(clean, f.id) && y !== undefined && sameJson(clean[f.id], y);
}

/** The fact `v` as the draft's input `f` alone validates it; undefined when it rejects it. */
function cleaned(inputs: InputDelta, f: InputDef, v: JsonValue): Facts | undefined {
  try {
    return validateFacts(inputs.single.get(f.id)!, { [f.id]: v });
  } catch (e) {
    if (e instanceof EngineError) return undefined; // rejected: the full validation gives the case's message
    throw e;
  }
}

/** The draft's side of one case needs the full evaluation (its validation may fail, or it may throw). */
const FULL = Symbol('full');

/**
 * The draft's result for one case from the base result, as the nodes where it can differ: the
 * changed nodes, the readers of a changed input whose fact this patient lacks, and of the nodes
 * downstream only those that read a definition whose value moved for this patient (an albumin
 * threshold that moves the points but not the Child-Pugh class re-evaluates no rule). Every other
 * node reads only unchanged values and keeps its base result. Undefined: nothing can differ.
 */
function patched(draft: Guideline, c: Case, before: EvaluationResult, delta: Delta): { values: Record<string, ValueResult>; rules: Record<string, RuleResult> } | undefined | typeof FULL {
  const facts = before.facts;
  let nodes = delta.changed;
  const inputs = delta.inputs;
  if (inputs) {
    const raw = c.facts as Record<string, JsonValue>;
    for (const id of inputs.removed) if (hasOwn(raw, id)) return FULL;
    // The base accepted every other fact; the changed inputs' facts are checked against the draft.
    for (const f of inputs.draft) if (hasOwn(raw, f.id) && !accepted(inputs, f, raw[f.id], facts)) return FULL;
    let key = '';
    for (const [id] of inputs.moved) if (!hasOwn(facts, id)) key += `${id}\n`;
    if (key) {
      let set = delta.perMissing.get(key);
      if (!set) {
        const missing = new Set(key.split('\n'));
        delta.perMissing.set(key, (set = new Set([...delta.changed, ...inputs.moved.filter(([id]) => missing.has(id)).flatMap(([, readers]) => readers)])));
      }
      nodes = set;
    }
  }
  if (nodes.size === 0 && delta.removed.size === 0) return undefined;
  try {
    return reevaluate(draft, facts, before, delta.downstream, { changed: nodes, reads: delta.reads, memo: delta.memo });
  } catch {
    return FULL; // a node that cannot be evaluated: the full evaluation reports it as it would
  }
}

/**
 * Evaluate every case against both versions and return the cases whose outcome differs.
 * `cases` defaults to the union of both versions' cases (by id; the draft's copy wins).
 */
export function compare(base: Guideline, draft: Guideline, cases?: Case[], options: CompareOptions = {}): Comparison {
  const all = cases ?? [...new Map([...base.cases, ...draft.cases].map((c) => [c.id, c])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const changed: CaseChange[] = [];
  const cache = options.baselineCache;
  const counts = options.counts;
  const delta = options.incremental === false ? undefined : deltaOf(base, draft);
  const push = (c: Case, d: Diff) => {
    if (d.outcomes.length || d.values.length || d.grades.length) {
      const { grades, ...rest } = d;
      changed.push({ id: c.id, title: c.title, ...rest, ...(grades.length ? { grades } : {}) });
    }
  };
  for (const c of all) {
    let a = cache?.get(c);
    if (!a) {
      a = run(base, c);
      cache?.set(c, a);
    }
    // `a` was computed from this very case's facts, so the draft's result can start from it.
    const fast = delta && a.result ? patched(draft, c, a.result, delta) : FULL;
    if (counts) counts[fast === undefined ? 'reused' : fast === FULL ? 'full' : 'patched']++;
    if (fast === undefined) continue;
    if (fast !== FULL) {
      // Only the downstream and removed nodes can differ: diff those alone.
      push(c, diffWith(a.result!, fast.rules, fast.values, delta!.ruleIds, delta!.valueIds, delta!));
      continue;
    }
    const b = run(draft, c);
    if (a.error || b.error) {
      if (a.error !== b.error) changed.push({ id: c.id, title: c.title, outcomes: [], values: [], error: { before: a.error, after: b.error } });
      continue;
    }
    push(c, diffResults(a.result!, b.result!));
  }
  return { casesCompared: all.length, changed };
}
