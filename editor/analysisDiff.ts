// What a draft changes in the analysis: the saved guideline's report against the draft's. An
// invariant the draft breaks comes first in the Analysis view ("this edit breaks ..."), so a
// committee member sees it before saving.
import type { AnalysisReport, ClauseFinding, ConflictFinding, GapFinding, InvariantFinding } from './analysisReport.ts';

export interface AnalysisChange {
  /** refuted in the draft, not refuted in the saved guideline (or new in the draft) */
  broken: InvariantFinding[];
  /** refuted in the saved guideline, proved in the draft */
  fixed: InvariantFinding[];
  /** proved in the saved guideline, no longer proved nor refuted (the solver gave up) */
  undecided: InvariantFinding[];
  newConflicts: ConflictFinding[];
  resolvedConflicts: ConflictFinding[];
  newDead: ClauseFinding[];
  newGaps: GapFinding[];
  closedGaps: GapFinding[];
  boundaries: { before: { covered: number; total: number }; after: { covered: number; total: number } };
}

const conflictKey = (c: ConflictFinding) => `${c.intervention}|${c.a.clause}|${c.b.clause}`;

export function compareAnalyses(saved: AnalysisReport, draft: AnalysisReport): AnalysisChange {
  const before = new Map(saved.invariants.map((i) => [i.id, i]));
  const after = new Map(draft.invariants.map((i) => [i.id, i]));
  const conflictsBefore = new Set(saved.conflicts.map(conflictKey));
  const conflictsAfter = new Set(draft.conflicts.map(conflictKey));
  const deadBefore = new Set(saved.dead.map((d) => d.clause));
  const gapsBefore = new Set(saved.gaps.map((g) => g.chapter));
  const gapsAfter = new Set(draft.gaps.map((g) => g.chapter));
  return {
    broken: draft.invariants.filter((i) => i.status === 'refuted' && before.get(i.id)?.status !== 'refuted'),
    fixed: saved.invariants.filter((i) => i.status === 'refuted' && after.get(i.id)?.status === 'proved').map((i) => after.get(i.id)!),
    undecided: draft.invariants.filter((i) => i.status === 'unknown' && before.get(i.id)?.status === 'proved'),
    newConflicts: draft.conflicts.filter((c) => !conflictsBefore.has(conflictKey(c))),
    resolvedConflicts: saved.conflicts.filter((c) => !conflictsAfter.has(conflictKey(c))),
    newDead: draft.dead.filter((d) => !deadBefore.has(d.clause)),
    newGaps: draft.gaps.filter((g) => !gapsBefore.has(g.chapter)),
    closedGaps: saved.gaps.filter((g) => !gapsAfter.has(g.chapter)),
    boundaries: {
      before: { covered: saved.boundaries.covered, total: saved.boundaries.total },
      after: { covered: draft.boundaries.covered, total: draft.boundaries.total },
    },
  };
}

/** Whether the draft changes anything the view reports as a change. */
export function changesAnything(c: AnalysisChange): boolean {
  return c.broken.length + c.fixed.length + c.undecided.length + c.newConflicts.length + c.resolvedConflicts.length + c.newDead.length + c.newGaps.length + c.closedGaps.length > 0
    || c.boundaries.before.covered !== c.boundaries.after.covered || c.boundaries.before.total !== c.boundaries.after.total;
}
