// Patient facts are checked against the data dictionary before anything is evaluated.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError, validateFacts } from '../engine/runtime/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { FIXTURES } from './helpers.ts';

const { guideline } = loadGuideline(join(FIXTURES, 'mini'));
const problemsOf = (facts: unknown) => {
  try {
    validateFacts(guideline.inputs, facts);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return (e as EngineError).problems.map((p) => `${p.field} ${p.code}`);
  }
};

describe('validateFacts', () => {
  it('accepts valid facts and drops nulls (null means "not known")', () => {
    expect(validateFacts(guideline.inputs, { albumin: 3.5, ascites: null })).toEqual({ albumin: 3.5 });
  });

  it('lists every problem at once, each naming the field', () => {
    expect(problemsOf({ albumin: 35, bilirubin: '1.0', ascites: 'mild', albumine: 3 })).toEqual([
      'albumin out-of-range', 'albumine unknown-fact', 'ascites not-allowed', 'bilirubin wrong-type',
    ]);
  });

  it('checks the items of a list, field by field', () => {
    expect(problemsOf({ therapies: [{ agent: 'sorafenib', weeks: -1 }, { agent: 'x' }, 'y', { drug: 'a' }] })).toEqual([
      'therapies[0].weeks out-of-range', 'therapies[1].agent not-allowed', 'therapies[2] wrong-type', 'therapies[3].drug unknown-fact',
    ]);
  });

  it('rejects non-objects, NaN-like values and prototype keys', () => {
    expect(problemsOf([1, 2])).toEqual([' not-an-object']);
    expect(problemsOf(null)).toEqual([' not-an-object']);
    expect(problemsOf(JSON.parse('{"__proto__": {"albumin": 3}}'))).toEqual(['__proto__ unknown-fact']);
    expect(problemsOf({ albumin: Infinity })).toEqual(['albumin wrong-type']);
  });

  it('rejects deeply nested or huge input with a clear error', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = { a: deep };
    expect(() => validateFacts(guideline.inputs, { albumin: deep })).toThrow(/too large or too deeply nested/);
  });
});
