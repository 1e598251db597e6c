// The Analysis view's comparison of a draft's analysis with the saved guideline's (editor/analysisDiff.ts).
import { describe, expect, it } from 'vitest';
import { changesAnything, compareAnalyses } from '../editor/analysisDiff.ts';
import type { AnalysisReport, InvariantFinding } from '../editor/analysisReport.ts';

const witness = { facts: { ecog: 3 }, reproduced: true };
const inv = (id: string, status: InvariantFinding['status']): InvariantFinding => ({ id, title: `rule ${id}`, status, ms: 1, ...(status === 'refuted' ? { witness } : {}) });
const report = (over: Partial<AnalysisReport>): AnalysisReport => ({
  invariants: [], conflicts: [], dead: [], everyone: [], gaps: [], undecidable: [], untranslatable: [],
  boundaries: { total: 10, covered: 4, uncovered: [] }, ms: { total: 1, invariants: 1 }, ...over,
});

describe('compareAnalyses', () => {
  it('puts an invariant the draft refutes among the broken, one it proves again among the fixed', () => {
    const saved = report({ invariants: [inv('a', 'proved'), inv('b', 'refuted'), inv('c', 'proved'), inv('d', 'refuted')] });
    const draft = report({ invariants: [inv('a', 'refuted'), inv('b', 'proved'), inv('c', 'unknown'), inv('d', 'refuted'), inv('e', 'refuted')] });
    const c = compareAnalyses(saved, draft);
    expect(c.broken.map((i) => i.id)).toEqual(['a', 'e']); // d was broken already: not the edit's doing
    expect(c.broken[0].witness).toEqual(witness);
    expect(c.fixed.map((i) => i.id)).toEqual(['b']);
    expect(c.undecided.map((i) => i.id)).toEqual(['c']);
    expect(changesAnything(c)).toBe(true);
  });

  it('matches conflicts, dead clauses and gaps by what they are about, and reports coverage', () => {
    const conflict = { intervention: 'tace', a: { clause: 'x.a', action: 'recommend' }, b: { clause: 'y.b', action: 'not-recommended' }, witness, ms: 1 };
    const gap = (chapter: string) => ({ chapter, population: 'population_hcc', witness, ms: 1 });
    const saved = report({ conflicts: [conflict], gaps: [gap('tace-tare')] });
    const draft = report({ conflicts: [{ ...conflict, b: { clause: 'z.a', action: 'not-recommended' } }], dead: [{ clause: 'x.a', chapter: 'tace-tare', ms: 1 }], gaps: [gap('ebrt')], boundaries: { total: 11, covered: 4, uncovered: [] } });
    const c = compareAnalyses(saved, draft);
    expect(c.newConflicts.map((x) => x.b.clause)).toEqual(['z.a']);
    expect(c.resolvedConflicts.map((x) => x.b.clause)).toEqual(['y.b']);
    expect(c.newDead.map((d) => d.clause)).toEqual(['x.a']);
    expect(c.newGaps.map((g) => g.chapter)).toEqual(['ebrt']);
    expect(c.closedGaps.map((g) => g.chapter)).toEqual(['tace-tare']);
    expect(c.boundaries).toEqual({ before: { covered: 4, total: 10 }, after: { covered: 4, total: 11 } });
  });

  it('finds no change between two equal reports', () => {
    const r = report({ invariants: [inv('a', 'proved')] });
    expect(changesAnything(compareAnalyses(r, structuredClone(r)))).toBe(false);
  });
});
