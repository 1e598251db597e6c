// Every regression case of the shipped guideline, from the source tree and from the bundle.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenOf } from '../engine/authoring/golden.ts';
import { canonicalJson, makeBundle, readBundle } from '../engine/runtime/index.ts';
import { runCase } from '../engine/authoring/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR, ROOT } from './helpers.ts';

const { guideline, findings } = loadGuideline(GUIDELINE_DIR);
const bundle = readBundle(JSON.stringify(makeBundle(guideline)));

describe('shipped guideline', () => {
  it('has no checker errors', () => {
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
  it('has cases', () => {
    expect(guideline.cases.length).toBeGreaterThan(50);
  });
});

describe.each(guideline.cases.map((c) => [c.id, c] as const))('case %s', (_id, c) => {
  it(c.title, () => {
    const run = runCase(guideline, c, { trace: true });
    expect(run.error).toBeUndefined();
    expect(run.mismatches).toEqual([]);
    const fromBundle = runCase(bundle, c, { trace: true });
    expect(canonicalJson({ ...fromBundle.result, guideline: undefined })).toBe(canonicalJson({ ...run.result, guideline: undefined }));
    // Golden trace: written by "guideline test --update", reviewed in diffs.
    const golden = join(ROOT, 'test', 'golden', guideline.manifest.id, `${c.id}.json`);
    expect(existsSync(golden), `missing golden ${golden}: run npx guideline test --update`).toBe(true);
    expect(goldenOf(guideline, c, run)).toBe(readFileSync(golden, 'utf8'));
  });
});
