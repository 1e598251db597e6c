// Regression cases: run each against a guideline and compare with what it expects. The same
// function serves vitest, the CLI, the editor's impact panel and the review diff.
import { evaluate, type EvaluationResult } from '../runtime/evaluate.ts';
import { EngineError } from '../runtime/errors.ts';
import { checkInvariants, type InvariantBreak } from '../runtime/invariants.ts';
import { goldenNodes } from './golden.ts';
import { sameJson } from '../runtime/logic.ts';
import type { Case, Guideline, JsonValue } from '../runtime/types.ts';

export interface Mismatch {
  /** what was checked: "values.child_pugh_class", "outcomes.hepatic_resection_1.a", ... */
  key: string;
  expected: JsonValue;
  actual: JsonValue;
}

export interface CaseRun {
  id: string;
  title: string;
  passed: boolean;
  mismatches: Mismatch[];
  /** set when the case could not be evaluated at all (invalid facts) */
  error?: string;
  result?: EvaluationResult;
  /** safety invariants this case's patient breaks (reported apart from its expectations) */
  invariantBreaks?: InvariantBreak[];
}

export interface RunOptions {
  /** true: the whole trace; 'golden': the trace of the nodes the case's golden file shows (goldenNodes) */
  trace?: boolean | 'golden';
  /** check the safety invariants (default true) */
  invariants?: boolean;
}

export function runCase(g: Guideline & { hash?: string }, c: Case, options: RunOptions = {}): CaseRun {
  let result: EvaluationResult;
  try {
    result = evaluate(g, c.facts, options.trace === 'golden' ? { trace: true, traceNodes: goldenNodes(g, c) } : { trace: options.trace === true });
  } catch (e) {
    if (e instanceof EngineError) return { id: c.id, title: c.title, passed: false, mismatches: [], error: e.message };
    throw e;
  }
  const mismatches = compareExpectations(c, result);
  const breaks = options.invariants === false ? [] : checkInvariants(g, result);
  return { id: c.id, title: c.title, passed: mismatches.length === 0, mismatches, result, ...(breaks.length ? { invariantBreaks: breaks } : {}) };
}

export function runCases(g: Guideline & { hash?: string }, options: RunOptions = {}): CaseRun[] {
  return g.cases.map((c) => runCase(g, c, options));
}

export function compareExpectations(c: Case, r: EvaluationResult): Mismatch[] {
  const out: Mismatch[] = [];
  const e = c.expect;
  const push = (key: string, expected: JsonValue, actual: JsonValue) => {
    if (!sameJson(expected, actual)) out.push({ key, expected, actual });
  };
  for (const [id, expected] of Object.entries(e.values ?? {})) {
    const v = r.values[id];
    push(`values.${id}`, expected, v === undefined ? '(no such definition)' : v.missing ? { undecided: v.missing } : v.value!);
  }
  for (const [id, expected] of Object.entries(e.undecided ?? {})) {
    const v = r.values[id];
    push(`undecided.${id}`, [...expected].sort(), v === undefined ? '(no such definition)' : v.missing ? v.missing : { known: v.value! });
  }
  for (const [key, expected] of Object.entries(e.outcomes ?? {})) {
    push(`outcomes.${key}`, expected, lookupStatus(r, key)?.status ?? '(no such rule or clause)');
  }
  for (const [key, expected] of Object.entries(e.missing ?? {})) {
    const s = lookupStatus(r, key);
    push(`missing.${key}`, [...expected].sort(), s ? s.missing ?? [] : '(no such rule or clause)');
  }
  return out;
}

/** The status of "rule" or "rule.clause" in a result. */
export function lookupStatus(r: EvaluationResult, key: string): { status: string; missing?: string[] } | undefined {
  const [ruleId, clauseId] = key.split('.');
  const rule = r.rules[ruleId];
  if (!rule) return undefined;
  if (clauseId === undefined) return rule;
  return rule.clauses.find((c) => c.id === clauseId);
}
