// Outcome comparison between two versions of a guideline over the same regression cases: which
// cases change, which recommendation or clause moved between applies / does-not-apply /
// undecided, which definition changed value. One function for the editor's impact panel and the
// reviewer's diff.
import { evaluate, type EvaluationResult } from './evaluate.ts';
import { EngineError } from './errors.ts';
import { sameJson } from './logic.ts';
import { validateFacts, type Facts } from './facts.ts';
import type { Case, Guideline, InputDef, JsonValue } from './types.ts';

export interface StatusChange { key: string; before: string; after: string }
export interface ValueChange { id: string; before: JsonValue | { undecided: string[] }; after: JsonValue | { undecided: string[] } }

export interface CaseChange {
  id: string;
  title: string;
  /** recommendations ("rule") and clauses ("rule.clause") whose status moved */
  outcomes: StatusChange[];
  /** definitions whose value changed, appeared or disappeared */
  values: ValueChange[];
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

/** Compare two results of the same case. */
export function diffResults(before: EvaluationResult, after: EvaluationResult): { outcomes: StatusChange[]; values: ValueChange[] } {
  const outcomes: StatusChange[] = [];
  const ruleIds = [...new Set([...Object.keys(before.rules), ...Object.keys(after.rules)])].sort();
  for (const id of ruleIds) {
    const a = before.rules[id];
    const b = after.rules[id];
    const sa = a?.status ?? 'absent';
    const sb = b?.status ?? 'absent';
    if (sa !== sb) outcomes.push({ key: id, before: sa, after: sb });
    const clauseIds = [...new Set([...(a?.clauses ?? []).map((c) => c.id), ...(b?.clauses ?? []).map((c) => c.id)])];
    for (const cid of clauseIds) {
      const ca = a?.clauses.find((c) => c.id === cid)?.status ?? 'absent';
      const cb = b?.clauses.find((c) => c.id === cid)?.status ?? 'absent';
      if (ca !== cb && (a?.clauses.length ?? 0) + (b?.clauses.length ?? 0) > 2) outcomes.push({ key: `${id}.${cid}`, before: ca, after: cb });
    }
  }
  const values: ValueChange[] = [];
  const defIds = [...new Set([...Object.keys(before.values), ...Object.keys(after.values)])].sort();
  for (const id of defIds) {
    const a = shown(before.values[id]);
    const b = shown(after.values[id]);
    if (!sameJson(a, b)) values.push({ id, before: a, after: b });
  }
  return { outcomes, values };
}

export interface CompareOptions {
  /**
   * Results of the cases against `base`, kept between calls by a caller that compares many
   * drafts with one saved version (the editor): the base side is then evaluated once per case.
   */
  baselineCache?: Map<Case, CaseOutcome>;
}

/**
 * Evaluate every case against both versions and return the cases whose outcome differs.
 * `cases` defaults to the union of both versions' cases (by id; the draft's copy wins).
 */
export function compare(base: Guideline, draft: Guideline, cases?: Case[], options: CompareOptions = {}): Comparison {
  const all = cases ?? [...new Map([...base.cases, ...draft.cases].map((c) => [c.id, c])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const changed: CaseChange[] = [];
  const cache = options.baselineCache;
  for (const c of all) {
    let a = cache?.get(c);
    if (!a) {
      a = run(base, c);
      cache?.set(c, a);
    }
    const b = run(draft, c);
    if (a.error || b.error) {
      if (a.error !== b.error) changed.push({ id: c.id, title: c.title, outcomes: [], values: [], error: { before: a.error, after: b.error } });
      continue;
    }
    const d = diffResults(a.result!, b.result!);
    if (d.outcomes.length || d.values.length) changed.push({ id: c.id, title: c.title, ...d });
  }
  return { casesCompared: all.length, changed };
}
