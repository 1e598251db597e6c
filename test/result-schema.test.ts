// schema/result.schema.json (published next to every bundle) describes what evaluate() returns:
// its members match the EvaluationResult type key for key, and every case's result validates.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import resultSchema from '../schema/result.schema.json' with { type: 'json' };
import { evaluate, type ClauseResult, type EvaluationResult, type OptionResult, type RuleResult, type ValueResult } from '../engine/runtime/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);
const validate = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true }).compile(resultSchema);
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
const keysOf = (o: object) => Object.keys(o).sort();

describe('result.schema.json', () => {
  it('matches the EvaluationResult type key for key (required and optional)', () => {
    // Each record must list exactly the keys of its type: the compiler rejects a missing or extra key.
    const all: Record<keyof EvaluationResult, true> = { engine: true, guideline: true, facts: true, values: true, rules: true, trace: true };
    const required: Record<RequiredKeys<EvaluationResult>, true> = { engine: true, guideline: true, facts: true, values: true, rules: true };
    const engine: Record<keyof EvaluationResult['engine'], true> = { version: true, resultFormat: true };
    const g: Record<keyof EvaluationResult['guideline'], true> = { id: true, version: true, hash: true };
    const rule: Record<keyof RuleResult, true> = { kind: true, status: true, missing: true, population: true, clauses: true };
    const clause: Record<keyof ClauseResult, true> = { id: true, grade: true, status: true, missing: true, options: true };
    const option: Record<keyof OptionResult, true> = { intervention: true, status: true, missing: true };
    const value: Record<keyof ValueResult, true> = { value: true, missing: true, possible: true };
    const s = resultSchema;
    expect(keysOf(all)).toEqual(keysOf(s.properties));
    expect(keysOf(required)).toEqual([...s.required].sort());
    expect(keysOf(engine)).toEqual(keysOf(s.properties.engine.properties));
    expect(keysOf(g)).toEqual(keysOf(s.properties.guideline.properties));
    expect(keysOf(rule)).toEqual(keysOf(s.$defs.rule.properties));
    expect(keysOf(clause)).toEqual(keysOf(s.$defs.clause.properties));
    expect(keysOf(value)).toEqual(keysOf(s.$defs.value.properties));
    expect(keysOf(option)).toEqual(keysOf(s.$defs.option.properties));
  });

  it('validates the result of every case, with and without the trace', () => {
    expect(guideline.cases.length).toBeGreaterThan(10);
    for (const c of guideline.cases) {
      const r = evaluate(guideline, c.facts, { trace: c === guideline.cases[0] });
      expect(validate(JSON.parse(JSON.stringify(r))), `${c.id}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(r.engine.resultFormat).toBe(resultSchema.properties.engine.properties.resultFormat.const);
    }
  });

  it('refuses a result with a member the type does not have', () => {
    const r = JSON.parse(JSON.stringify(evaluate(guideline, {})));
    expect(validate(r)).toBe(true);
    expect(validate({ ...r, extra: 1 })).toBe(false);
  });
});
