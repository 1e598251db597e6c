// Every regression case of the shipped guideline, from the source tree and from the bundle.
import { describe, expect, it } from 'vitest';
import { canonicalJson, makeBundle, readBundle, runCase } from '../engine/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

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
    const run = runCase(guideline, c);
    expect(run.error).toBeUndefined();
    expect(run.mismatches).toEqual([]);
    const fromBundle = runCase(bundle, c);
    expect(canonicalJson({ ...fromBundle.result, guideline: undefined })).toBe(canonicalJson({ ...run.result, guideline: undefined }));
  });
});
