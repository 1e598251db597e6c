// Golden traces: per case, the canonical result and trace of the nodes the case asserts and of
// every definition they read, transitively. Reviewed in diffs, reset on purpose (test --update).
import { canonicalJson } from '../runtime/canonical.ts';
import type { CaseRun } from './cases.ts';
import { nodeReads } from '../runtime/evaluate.ts';
import type { Case, Guideline } from '../runtime/types.ts';

// Per guideline, what each node reads (its root names and its population): built once, read for
// every case (recomputing the names per case and visit was a tenth of "guideline test").
const readsMaps = new WeakMap<Guideline, Map<string, readonly string[]>>();

function readsOf(g: Guideline): Map<string, readonly string[]> {
  let m = readsMaps.get(g);
  if (!m) {
    m = new Map();
    for (const node of g.nodes) m.set(node.id, nodeReads(g, node));
    readsMaps.set(g, m);
  }
  return m;
}

/** The nodes a case's golden file shows: those its expectations name and every definition they read, transitively. */
export function goldenNodes(g: Guideline, c: Case): Set<string> {
  const reads = readsOf(g);
  const focus = new Set<string>();
  const visit = (id: string) => {
    if (focus.has(id)) return;
    const names = reads.get(id);
    if (!names) return;
    focus.add(id);
    for (const dep of names) visit(dep);
  };
  for (const key of [...Object.keys(c.expect.values ?? {}), ...Object.keys(c.expect.undecided ?? {}), ...Object.keys(c.expect.outcomes ?? {}), ...Object.keys(c.expect.missing ?? {})]) visit(key.split('.')[0]);
  return focus;
}

/** The golden file of a case run with a trace (a full one, or one of goldenNodes: `runCase(..., { trace: 'golden' })`). */
export function goldenOf(g: Guideline, c: Case, run: CaseRun): string {
  const r = run.result!;
  const focus = goldenNodes(g, c);
  const values: Record<string, unknown> = {};
  const rules: Record<string, unknown> = {};
  for (const id of [...focus].sort()) {
    if (r.values[id]) values[id] = r.values[id];
    if (r.rules[id]) rules[id] = r.rules[id];
  }
  // Grouped by node (stable: each node's events keep their order), so that adding an unrelated
  // definition, which can shift the global evaluation order, does not rewrite every golden.
  const trace = (r.trace ?? []).filter((e) => focus.has(e.node)).sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return canonicalJson({ case: c.id, facts: r.facts, values, rules, trace }, 1) + '\n';
}
