// The properties of issue 12 at CI size: FUZZ_RUNS per expression property (default 20,000),
// fewer for the whole-guideline ones (see each property's scale). Seeded: FUZZ_SEED.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { PROPERTIES, runsOf, SEED } from './properties.ts';

describe('properties (issue 12)', () => {
  for (const p of PROPERTIES) {
    it(`${p.name} [${runsOf(p)} runs, seed ${SEED}]`, () => {
      fc.assert(p.property(), { numRuns: runsOf(p), seed: SEED, endOnFailure: false });
    }, 600_000);
  }
});
