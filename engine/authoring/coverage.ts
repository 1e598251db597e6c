// Which cases exercise which clause and definition. A case "asserts" a node when its
// expectations name it; coverage counts asserted cases only, so a clause counts as tested
// on a side (applies / does not apply / undecided) only if some case checks that side.
import type { CaseRun } from './cases.ts';
import type { Case, Guideline, RuleNode } from '../runtime/types.ts';

export interface CoverageEntry {
  /** "rule.clause" or a definition id */
  key: string;
  kind: 'clause' | 'definition';
  /** case ids per observed outcome: applies / does-not-apply / undecided, or a definition's value */
  outcomes: Record<string, string[]>;
}

export interface CoverageReport {
  entries: CoverageEntry[];
  /** clauses and definitions no case asserts */
  untested: string[];
  /** clauses asserted on one side only (never applies, or never does not apply) */
  oneSided: string[];
}

function assertedKeys(c: Case, g: Guideline): Set<string> {
  const keys = new Set<string>();
  const rules = new Map(g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point').map((r) => [r.id, r]));
  for (const section of [c.expect.outcomes, c.expect.missing]) {
    for (const key of Object.keys(section ?? {})) {
      const [rule, clause] = key.split('.');
      if (clause) keys.add(key);
      else for (const cl of rules.get(rule)?.clauses ?? []) keys.add(`${rule}.${cl.id}`);
    }
  }
  for (const id of [...Object.keys(c.expect.values ?? {}), ...Object.keys(c.expect.undecided ?? {})]) keys.add(id);
  return keys;
}

export function coverage(g: Guideline, runs: CaseRun[]): CoverageReport {
  const entries = new Map<string, CoverageEntry>();
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  for (const r of rules) for (const c of r.clauses) entries.set(`${r.id}.${c.id}`, { key: `${r.id}.${c.id}`, kind: 'clause', outcomes: {} });
  for (const n of g.nodes) if (n.kind === 'definition') entries.set(n.id, { key: n.id, kind: 'definition', outcomes: {} });
  const cases = new Map(g.cases.map((c) => [c.id, c]));
  for (const run of runs) {
    if (!run.result) continue;
    for (const key of assertedKeys(cases.get(run.id)!, g)) {
      const entry = entries.get(key);
      if (!entry) continue;
      let outcome: string;
      if (entry.kind === 'clause') {
        const [rule, clause] = key.split('.');
        outcome = run.result.rules[rule]?.clauses.find((c) => c.id === clause)?.status ?? 'missing';
      } else {
        const v = run.result.values[key];
        outcome = v.missing ? 'undecided' : JSON.stringify(v.value);
      }
      (entry.outcomes[outcome] ??= []).push(run.id);
    }
  }
  const list = [...entries.values()];
  return {
    entries: list,
    untested: list.filter((e) => Object.keys(e.outcomes).length === 0).map((e) => e.key),
    oneSided: list.filter((e) => e.kind === 'clause' && Object.keys(e.outcomes).length > 0 && (!e.outcomes.applies || !e.outcomes['does-not-apply'])).map((e) => e.key),
  };
}
