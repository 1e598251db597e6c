// The three-valued semantics, the safety rules and the limits of the interpreter.
import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { EngineError, evaluateLogic, Unknown, type JsonValue, type TraceEvent } from '../engine/runtime/index.ts';
import { truthiness } from '../engine/runtime/logic.ts';

const ev = (rule: JsonValue, data: JsonValue = {}) => evaluateLogic(rule, { mode: 'unknown', node: 't', data });
const missing = (v: unknown) => (v instanceof Unknown ? [...v.missing] : 'known');

describe('three-valued logic', () => {
  it('an absent fact is unknown, not false or null', () => {
    expect(missing(ev({ var: 'ecog' }))).toEqual(['ecog']);
    expect(missing(ev({ '<=': [{ var: 'ecog' }, 1] }))).toEqual(['ecog']);
  });

  it('plain json-logic-js would let a patient with unknown ECOG pass "ECOG ≤ 1"; we do not', () => {
    expect(jsonLogic.apply({ '<=': [{ var: 'ecog' }, 1] }, {})).toBe(true); // the silent wrong answer
    expect(ev({ '<=': [{ var: 'ecog' }, 1] })).toBeInstanceOf(Unknown);
  });

  it('and(false, unknown) is false and or(true, unknown) is true, in either order', () => {
    expect(ev({ and: [false, { var: 'x' }] })).toBe(false);
    expect(ev({ or: [true, { var: 'x' }] })).toBe(true);
    // json-logic returns an operand, not a boolean: and(x, false) is x when x is falsy (0, ""),
    // so only its truthiness is decided; with boolean operands the value is decided too.
    expect(truthiness(ev({ and: [{ var: 'x' }, false] }))).toBe(false);
    expect(truthiness(ev({ or: [{ var: 'x' }, true] }))).toBe(true);
    expect(ev({ and: [{ '>': [{ var: 'x' }, 1] }, false] })).toBe(false);
    expect(ev({ or: [{ '>': [{ var: 'x' }, 1] }, true] })).toBe(true);
  });

  it('and(true, unknown) and or(false, unknown) stay unknown and name every fact still needed', () => {
    expect(missing(ev({ and: [true, { var: 'x' }, { '>': [{ var: 'y' }, 1] }] }))).toEqual(['x', 'y']);
    expect(missing(ev({ or: [false, { var: 'y' }, { var: 'x' }] }))).toEqual(['x', 'y']);
  });

  it('! of unknown is unknown', () => {
    expect(missing(ev({ '!': { var: 'x' } }))).toEqual(['x']);
  });

  it('if with an unknown condition is known only when every branch it could take agrees', () => {
    expect(ev({ if: [{ var: 'x' }, 'A', 'A'] })).toBe('A');
    expect(missing(ev({ if: [{ var: 'x' }, 'A', 'B'] }))).toEqual(['x']);
    expect(missing(ev({ if: [{ var: 'x' }, { var: 'y' }, 'B'] }))).toEqual(['x', 'y']);
    // a decided condition never reads the other branch's facts
    expect(ev({ if: [true, 'A', { var: 'y' }] })).toBe('A');
  });

  it('an unknown that can only be one of a few values decides what every one of them decides', () => {
    const category = { if: [{ var: 'aphe' }, 'probable', 'indeterminate'] };
    expect(ev({ '!=': [category, 'definite'] })).toBe(true);
    const eq = ev({ '==': [category, 'probable'] });
    expect(missing(eq)).toEqual(['aphe']);
    // a set of exactly {false, true} is not listed: the Unknown is marked boolean instead
    expect((eq as Unknown).possible).toBeUndefined();
    expect((eq as Unknown).info.boolean).toBe(true);
    // an unknown whose every possible value is truthy decides "or", and an "if" condition
    expect(truthiness(ev({ or: [{ var: 'x' }, { '!=': [category, 'definite'] }] }))).toBe(true);
    expect(ev({ or: [{ '!': { var: 'x' } }, { '!=': [category, 'definite'] }] })).toBe(true);
    expect(ev({ if: [{ '!=': [category, 'definite'] }, 'yes', 'no'] })).toBe('yes');
    // arithmetic over the combinations: 1 + (1 or 2) is 2 or 3, and below 4 either way
    expect(ev({ '<': [{ '+': [1, { if: [{ var: 'y' }, 1, 2] }] }, 4] })).toBe(true);
  });

  it('too many combinations stay plainly unknown', () => {
    const sum: JsonValue = { '+': Array.from({ length: 5 }, (_, i): JsonValue => ({ if: [{ var: `x${i}` }, 1, { if: [{ var: `y${i}` }, 2, 3] }] })) };
    const r = ev(sum);
    expect(r).toBeInstanceOf(Unknown);
    expect((r as Unknown).possible).toBeUndefined();
  });

  it('an arithmetic or comparison operator with an unknown operand is unknown', () => {
    expect(missing(ev({ '+': [1, { var: 'a' }, { var: 'b' }] }))).toEqual(['a', 'b']);
    expect(missing(ev({ '==': [{ var: 'a' }, null] }))).toEqual(['a']);
  });

  it('a fact present as a value is used as it is', () => {
    expect(ev({ '<=': [{ var: 'ecog' }, 1] }, { ecog: 0 })).toBe(true);
    expect(ev({ '<=': [{ var: 'ecog' }, 1] }, { ecog: 2 })).toBe(false);
  });

  it('some / all / none over a list: one decisive item decides, otherwise unknown items name their fields', () => {
    const list: JsonValue = { items: [{ a: 1 }, {}] };
    expect(ev({ some: [{ var: 'items' }, { '==': [{ var: 'a' }, 1] }] }, list)).toBe(true);
    expect(missing(ev({ some: [{ var: 'items' }, { '==': [{ var: 'a' }, 2] }] }, list))).toEqual(['items[1].a']);
    expect(ev({ all: [{ var: 'items' }, { '==': [{ var: 'a' }, 2] }] }, list)).toBe(false);
    expect(missing(ev({ all: [{ var: 'items' }, { '==': [{ var: 'a' }, 1] }] }, list))).toEqual(['items[1].a']);
    expect(ev({ none: [{ var: 'items' }, { '==': [{ var: 'a' }, 1] }] }, list)).toBe(false);
    expect(missing(ev({ some: [{ var: 'nothing' }, true] }))).toEqual(['nothing']);
    expect(ev({ some: [{ var: 'items' }, true] }, { items: [] })).toBe(false);
  });

  it('reduce names the item field it misses', () => {
    const r = ev({ reduce: [{ var: 'xs' }, { '+': [{ var: 'current.n' }, { var: 'accumulator' }] }, 0] }, { xs: [{ n: 1 }, {}] });
    expect(missing(r)).toEqual(['xs[1].n']);
  });

  it('an explicit default is honoured (the author chose it)', () => {
    expect(ev({ var: ['x', 5] })).toBe(5);
  });

  it('is deterministic: the same input gives byte-identical traces', () => {
    const rule: JsonValue = { and: [{ '<=': [{ var: 'ecog' }, 1] }, { or: [{ var: 'a' }, { '>': [{ var: 'b' }, 2] }] }] };
    const traced = () => {
      const trace: TraceEvent[] = [];
      const v = evaluateLogic(rule, { mode: 'unknown', node: 't', data: { ecog: 1, b: 3 }, trace });
      return JSON.stringify({ v, trace });
    };
    expect(traced()).toBe(traced());
  });

  it('the trace records each fact read and each sub-expression value by JSON pointer', () => {
    const trace: TraceEvent[] = [];
    evaluateLogic({ and: [{ '<=': [{ var: 'ecog' }, 1] }, { var: 'x' }] }, { mode: 'unknown', node: 'n', data: { ecog: 0 }, trace }, '/when');
    expect(trace).toEqual([
      { type: 'read', node: 'n', pointer: '/when/and/0/<=/0', name: 'ecog', value: 0 },
      { type: 'op', node: 'n', pointer: '/when/and/0', op: '<=', value: true },
      { type: 'read', node: 'n', pointer: '/when/and/1', name: 'x', missing: ['x'] },
      { type: 'op', node: 'n', pointer: '/when', op: 'and', missing: ['x'] },
    ]);
  });
});

describe('safety', () => {
  it('json-logic-js reads the prototype chain; we read nothing there', () => {
    expect(jsonLogic.apply({ var: '__proto__' }, {})).toBe(Object.prototype);
    expect(jsonLogic.apply({ var: 'constructor' }, {})).toBe(Object);
    expect(missing(ev({ var: '__proto__' }))).toEqual(['__proto__']);
    expect(missing(ev({ var: 'constructor' }))).toEqual(['constructor']);
    expect(missing(ev({ var: 'constructor.prototype' }))).toEqual(['constructor.prototype']);
    expect(evaluateLogic({ var: 'constructor' }, { mode: 'null', node: 't', data: {} })).toBe(null);
  });

  it('values planted on Object.prototype are not read', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.planted_fact = true;
    try {
      expect(jsonLogic.apply({ var: 'planted_fact' }, {})).toBe(true);
      expect(missing(ev({ var: 'planted_fact' }))).toEqual(['planted_fact']);
    } finally {
      delete proto.planted_fact;
    }
  });

  it('a missing fact named like a prototype member is reported missing', () => {
    expect(jsonLogic.apply({ missing: ['toString'] }, {})).toEqual([]); // json-logic-js misses it
    expect(ev({ missing: ['toString'] })).toEqual(['toString']);
    expect(missing(ev({ var: 'toString' }))).toEqual(['toString']);
  });

  it('a rule nested 5,000 deep fails with a clear error instead of overflowing the stack', () => {
    let rule: JsonValue = { var: 'x' };
    for (let i = 0; i < 5000; i++) rule = { '!': [rule] };
    expect(() => jsonLogic.apply(rule as never, {})).toThrow(RangeError);
    expect(() => ev(rule)).toThrow(EngineError);
    expect(() => ev(rule)).toThrow(/nests 10002 levels deep \(objects and arrays\); the limit is 100/);
  });

  it('only allow-listed operators run', () => {
    expect(() => ev({ log: 'x' })).toThrow(/operator "log" is not allowed/);
    expect(() => ev({ method: ['x', 'toUpperCase'] })).toThrow(/not allowed/);
  });

  it('an over-large expression fails with a clear error', () => {
    const big = { and: Array.from({ length: 25000 }, () => true) };
    expect(() => ev(big)).toThrow(/parts; the limit is 20000/);
  });
});
