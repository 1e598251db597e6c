// JSON-Logic conformance. With every variable present our interpreter must agree with
// json-logic-js: the official suite (277 cases) in json-logic mode, and a differential run of
// the community suites against json-logic-js itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { ALLOWED_OPERATORS, evaluateLogic, Unknown } from '../engine/runtime/index.ts';
import type { JsonValue } from '../engine/runtime/index.ts';

// Copied unmodified from ../shared/jsonlogic-tests (MIT; provenance in SOURCE.md beside them).
const SHARED = join(import.meta.dirname, 'fixtures', 'jsonlogic');
type Row = [JsonValue, JsonValue, JsonValue];
const official = (JSON.parse(readFileSync(join(SHARED, 'tests.json'), 'utf8')) as unknown[]).filter(Array.isArray) as Row[];

const run = (rule: JsonValue, data: JsonValue, mode: 'null' | 'unknown') => evaluateLogic(rule, { mode, node: 'test', data });

describe('official JSON-Logic suite (tests.json)', () => {
  it('has the 277 cases it is documented to have', () => {
    expect(official.length).toBe(277);
  });

  it('passes every case in json-logic mode (absent variable = null)', () => {
    const failures = official.filter(([rule, data, expected]) => JSON.stringify(run(rule, data, 'null')) !== JSON.stringify(expected));
    expect(failures).toEqual([]);
  });

  it('deviates in guideline mode only where a variable is absent, and then says which', () => {
    const deviations = official.filter(([rule, data, expected]) => JSON.stringify(run(rule, data, 'unknown')) !== JSON.stringify(expected));
    // Each deviation is an expression over data that lacks the variable: json-logic says null (or
    // an empty default), we say "unknown, needs <name>". That is the point of the engine.
    for (const [rule, data] of deviations) {
      const r = run(rule, data, 'unknown');
      expect(r).toBeInstanceOf(Unknown);
      expect((r as Unknown).missing.length).toBeGreaterThan(0);
    }
    expect(deviations.length).toBe(10);
  });
});

function suiteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? suiteFiles(p) : f.endsWith('.json') ? [p] : [];
  });
}

function usesOnlyAllowed(rule: unknown): boolean {
  if (Array.isArray(rule)) return rule.every(usesOnlyAllowed);
  if (rule && typeof rule === 'object') {
    const keys = Object.keys(rule);
    if (keys.length === 1 && !ALLOWED_OPERATORS.includes(keys[0])) return false;
    return Object.values(rule).every(usesOnlyAllowed);
  }
  return true;
}

describe('community suites, differential against json-logic-js', () => {
  const cases: { rule: JsonValue; data: JsonValue; file: string }[] = [];
  for (const file of suiteFiles(join(SHARED, 'extended', 'suites'))) {
    for (const t of JSON.parse(readFileSync(file, 'utf8')) as unknown[]) {
      if (typeof t === 'string') continue;
      if (Array.isArray(t)) cases.push({ rule: t[0], data: t[1] ?? null, file });
      else if (t && typeof t === 'object' && 'rule' in t) cases.push({ rule: (t as { rule: JsonValue }).rule, data: (t as { data?: JsonValue }).data ?? null, file });
    }
  }

  it('agrees with json-logic-js wherever json-logic-js answers and only allowed operators are used', () => {
    let compared = 0;
    const disagreements: string[] = [];
    for (const c of cases) {
      if (!usesOnlyAllowed(c.rule)) continue;
      let reference: unknown;
      try {
        reference = jsonLogic.apply(c.rule as never, c.data as never);
      } catch {
        continue; // json-logic-js itself rejects it: nothing to agree with
      }
      // undefined ({"and": []}), NaN and Infinity are not JSON values; we answer null there.
      if (reference === undefined || (typeof reference === 'number' && !Number.isFinite(reference))) continue;
      compared++;
      let ours: unknown;
      try {
        ours = run(c.rule, c.data, 'null');
      } catch (e) {
        ours = `threw ${(e as Error).message}`;
      }
      if (JSON.stringify(ours) !== JSON.stringify(reference)) disagreements.push(`${c.file}: ${JSON.stringify(c.rule)} -> ours ${JSON.stringify(ours)}, json-logic-js ${JSON.stringify(reference)}`);
    }
    expect(disagreements).toEqual([]);
    console.info(`community suites: ${compared} of ${cases.length} cases compared with json-logic-js, ${disagreements.length} disagreements`);
    expect(compared).toBeGreaterThan(500);
  });
});

// `sqrt` is an operator of our own: one number that is not negative. Registered with
// json-logic-js, so the two agree on it too.
describe('the sqrt operator', () => {
  const cases: [JsonValue, JsonValue, number][] = [
    [{ sqrt: [16] }, null, 4],
    [{ sqrt: 2 }, null, Math.SQRT2],
    [{ sqrt: [0] }, null, 0],
    [{ sqrt: [{ var: 'alt' }] }, { alt: 25 }, 5],
    [{ sqrt: [{ var: 'alt' }] }, { alt: 20000 }, Math.sqrt(20000)],
    [{ '*': [{ sqrt: [{ var: 'x' }] }, { sqrt: [{ var: 'x' }] }] }, { x: 9 }, 9],
  ];
  it('computes the square root, in both modes, as json-logic-js does', () => {
    for (const [rule, data, expected] of cases) {
      expect(run(rule, data, 'null')).toBe(expected);
      expect(run(rule, data, 'unknown')).toBe(expected);
      expect(jsonLogic.apply(rule as never, data as never)).toBe(expected);
    }
  });
  it('refuses a negative number or anything that is not a number with an EngineError', () => {
    for (const x of [-1, -0.0001, '4', null, true, [4]] as JsonValue[]) {
      let code: string | undefined;
      try { run({ sqrt: [x] }, null, 'null'); } catch (e) { code = (e as { code?: string }).code; }
      expect(code, JSON.stringify(x)).toBe('evaluation-failed');
    }
  });
  it('is unknown when its operand is, naming the fact', () => {
    const r = run({ sqrt: [{ var: 'alt' }] }, {}, 'unknown');
    expect(r).toBeInstanceOf(Unknown);
    expect((r as Unknown).missing).toEqual(['alt']);
  });
  it('is on the allow-list', () => {
    expect(ALLOWED_OPERATORS).toContain('sqrt');
  });
});
