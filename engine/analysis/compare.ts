// The change in analysis between two versions (issue 13: `guideline diff --analysis`): invariants
// whose status changed (or that appeared or went), conflicts, dead clauses, clauses for everyone,
// undecidable clauses and chapter gaps found in one version and not the other, and the boundary
// coverage of each with the thresholds that became covered or uncovered. Pure: the reports come
// from analyze() on each side; the node wing runs them and prints this.
import type { AnalysisReport, ConflictFinding } from './analyze.ts';

export interface AddedRemoved { added: string[]; removed: string[] }
export interface AnalysisDiff {
  invariants: { id: string; base: string; head: string }[];
  conflicts: AddedRemoved;
  dead: AddedRemoved;
  everyone: AddedRemoved;
  undecidable: AddedRemoved;
  gaps: AddedRemoved;
  boundaries: { base: { covered: number; total: number }; head: { covered: number; total: number }; covered: string[]; uncovered: string[]; added: string[]; removed: string[] };
  /** nothing changed */
  same: boolean;
}

export const conflictKey = (c: ConflictFinding) => `${c.kind ?? 'recommend-vs-not-recommended'} ${c.intervention}: ${c.a.clause} ${c.a.action} / ${c.b.clause} ${c.b.action}${c.b.intervention ? ` ${c.b.intervention}` : ''}`;

function addedRemoved(base: string[], head: string[]): AddedRemoved {
  const b = new Set(base);
  const h = new Set(head);
  return { added: [...h].filter((x) => !b.has(x)).sort(), removed: [...b].filter((x) => !h.has(x)).sort() };
}

export function compareAnalyses(base: AnalysisReport, head: AnalysisReport): AnalysisDiff {
  const status = (r: AnalysisReport) => new Map(r.invariants.map((i) => [i.id, i.status as string]));
  const sb = status(base);
  const sh = status(head);
  const invariants = [...new Set([...sb.keys(), ...sh.keys()])].sort()
    .map((id) => ({ id, base: sb.get(id) ?? 'absent', head: sh.get(id) ?? 'absent' }))
    .filter((x) => x.base !== x.head);
  const point = (p: AnalysisReport['boundaries']['points'][number]) => `${p.operand} ${p.op} ${p.threshold}`;
  const cov = (r: AnalysisReport) => new Map(r.boundaries.points.map((p) => [point(p), p.covered]));
  const cb = cov(base);
  const ch = cov(head);
  const boundaries = {
    base: { covered: base.boundaries.covered, total: base.boundaries.total },
    head: { covered: head.boundaries.covered, total: head.boundaries.total },
    covered: [...ch].filter(([k, v]) => v && cb.get(k) === false).map(([k]) => k).sort(),
    uncovered: [...ch].filter(([k, v]) => !v && cb.get(k) === true).map(([k]) => k).sort(),
    ...addedRemoved([...cb.keys()], [...ch.keys()]),
  };
  const d: Omit<AnalysisDiff, 'same'> = {
    invariants,
    conflicts: addedRemoved(base.conflicts.map(conflictKey), head.conflicts.map(conflictKey)),
    dead: addedRemoved(base.dead.map((x) => x.clause), head.dead.map((x) => x.clause)),
    everyone: addedRemoved(base.everyone.map((x) => x.clause), head.everyone.map((x) => x.clause)),
    undecidable: addedRemoved(base.undecidable.map((x) => x.clause), head.undecidable.map((x) => x.clause)),
    gaps: addedRemoved(base.gaps.map((x) => x.chapter), head.gaps.map((x) => x.chapter)),
    boundaries,
  };
  const lists = [d.conflicts, d.dead, d.everyone, d.undecidable, d.gaps].flatMap((x) => [...x.added, ...x.removed]);
  const same = !invariants.length && !lists.length && !boundaries.covered.length && !boundaries.uncovered.length && !boundaries.added.length && !boundaries.removed.length;
  return { ...d, same };
}

/** The analysis diff as plain text lines (markdown-friendly: a heading and bullets). */
export function formatAnalysisDiff(d: AnalysisDiff, heading = '## Analysis'): string {
  const lines = [heading, ''];
  if (d.same) lines.push('No change in the analysis (invariants, conflicts, dead clauses, gaps, boundary coverage).');
  for (const i of d.invariants) lines.push(`- invariant ${i.id}: ${i.base} -> ${i.head}`);
  const list = (name: string, x: AddedRemoved) => { for (const a of x.added) lines.push(`- new ${name}: ${a}`); for (const r of x.removed) lines.push(`- ${name} gone: ${r}`); };
  list('conflict', d.conflicts);
  list('dead clause', d.dead);
  list('clause for everyone', d.everyone);
  list('undecidable clause', d.undecidable);
  list('gap in chapter', d.gaps);
  const b = d.boundaries;
  lines.push(`- boundary coverage: ${b.base.covered}/${b.base.total} -> ${b.head.covered}/${b.head.total}`);
  for (const k of b.covered) lines.push(`  - now covered: ${k}`);
  for (const k of b.uncovered) lines.push(`  - no longer covered: ${k}`);
  for (const k of b.added) lines.push(`  - new threshold: ${k}`);
  for (const k of b.removed) lines.push(`  - threshold gone: ${k}`);
  return lines.join('\n') + '\n';
}
