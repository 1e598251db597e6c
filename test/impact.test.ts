// The editor's impact comparison, split across workers and joined again, agrees with the engine's
// compare() over all cases (editor/impact.ts), edit after edit with the saved side cached.
import { describe, expect, it } from 'vitest';
import { compare, parseSource, type CaseOutcome } from '../engine/authoring/index.ts';
import { type Case } from '../engine/runtime/index.ts';
import { readSourceFiles } from '../engine/node/load.ts';
import { compareShard, mergeComparisons } from '../editor/impact.ts';
import { withDrafts } from '../editor/model.ts';
import { GUIDELINE_DIR } from './helpers.ts';

describe('editor impact comparison', () => {
  it('gives the same result as compare() over repeated edits of a threshold, in one or two shares', () => {
    const files = readSourceFiles(GUIDELINE_DIR);
    const base = parseSource(files).guideline;
    const path = 'nodes/treatment-overview/child_pugh_albumin_points.json';
    const original = files.find((f) => f.path === path)!;
    const caches = [new Map<Case, CaseOutcome>(), new Map<Case, CaseOutcome>(), new Map<Case, CaseOutcome>()];
    for (const threshold of [3.4, 3.6, 3.0, 3.5, 2.0]) {
      const doc = JSON.parse(original.text);
      doc.expr.if[0]['>'][1] = threshold;
      const spliced = withDrafts(base, files.find((f) => f.path === 'manifest.json'), [{ path, text: JSON.stringify(doc) }]);
      const full = parseSource(files.map((f) => (f.path === path ? { path, text: JSON.stringify(doc) } : f))).guideline;
      expect(spliced.guideline).toEqual(full);
      const expected = compare(base, full);
      expect(compareShard(base, spliced.guideline, { index: 0, count: 1 }, caches[0])).toEqual(expected);
      const halves = [0, 1].map((index) => compareShard(base, spliced.guideline, { index, count: 2 }, caches[index + 1]));
      expect(halves[0].casesCompared + halves[1].casesCompared).toBe(expected.casesCompared);
      expect(mergeComparisons(halves)).toEqual(expected);
      if (threshold !== 3.5) expect(expected.changed.length).toBeGreaterThan(0);
    }
  }, 240_000); // 10 comparisons of 320 cases; the case split (issue 12) costs up to 2x per evaluation
});
