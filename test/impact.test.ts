// The editor's cached comparison agrees with the engine's compare() (editor/impact.ts).
import { describe, expect, it } from 'vitest';
import { compare, parseSource } from '../engine/index.ts';
import { readSourceFiles } from '../engine/node/load.ts';
import { CachedComparer } from '../editor/impact.ts';
import { withDrafts } from '../editor/model.ts';
import { GUIDELINE_DIR } from './helpers.ts';

describe('editor impact comparison', () => {
  it('gives the same result as compare() over repeated edits of a threshold', () => {
    const files = readSourceFiles(GUIDELINE_DIR);
    const base = parseSource(files).guideline;
    const path = 'nodes/treatment-overview/child_pugh_albumin_points.json';
    const original = files.find((f) => f.path === path)!;
    const comparer = new CachedComparer();
    for (const threshold of [3.4, 3.6, 3.0, 3.5, 2.0]) {
      const doc = JSON.parse(original.text);
      doc.expr.if[0]['>'][1] = threshold;
      const spliced = withDrafts(base, files.find((f) => f.path === 'manifest.json'), [{ path, text: JSON.stringify(doc) }]);
      const full = parseSource(files.map((f) => (f.path === path ? { path, text: JSON.stringify(doc) } : f))).guideline;
      expect(spliced.guideline).toEqual(full);
      const expected = compare(base, full);
      expect(comparer.compare('k', base, spliced.guideline)).toEqual(expected);
      if (threshold !== 3.5) expect(expected.changed.length).toBeGreaterThan(0);
    }
  });
});
