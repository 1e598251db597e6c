// The three-valued JSON-Logic interpreter. This is the only module that imports json-logic-js:
// every operator on known values is computed by json-logic-js itself, so that with all facts
// known our results agree with it; what this module adds is control flow that understands
// "unknown" (a fact that is absent), a trace, safe variable lookup and limits.
import jsonLogic from 'json-logic-js';
import { EngineError } from './errors.ts';
import type { JsonValue, Logic } from './types.ts';

/** The value of an expression that needs facts nobody supplied. */
export class Unknown {
  /**
   * `missing`: the facts that could decide it. `possible`: when known, the few values it can
   * still take (an `if` whose condition is unknown can only give one of its branches), so that
   * e.g. "category is not definite" is decided when no branch gives "definite".
   */
  constructor(readonly missing: readonly string[], readonly possible?: readonly JsonValue[]) {}
}
export type Val = JsonValue | Unknown;
export const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;

/** Most values an Unknown tracks, and most operand combinations tried through an operator. */
const MAX_POSSIBLE = 16;
const MAX_COMBINATIONS = 64;

/** The values a Val can take, or undefined when they are not known to be few. */
function possibleValues(v: Val): readonly JsonValue[] | undefined {
  return isUnknown(v) ? v.possible : [v];
}

/** Truthiness when it is decided, even for an Unknown whose every possible value agrees. */
export function truthiness(v: Val): boolean | undefined {
  if (!isUnknown(v)) return truthy(v);
  if (!v.possible?.length) return undefined;
  const first = truthy(v.possible[0]);
  return v.possible.every((p) => truthy(p) === first) ? first : undefined;
}

function distinct(values: JsonValue[]): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of values) if (!out.some((o) => sameJson(o, v))) out.push(v);
  return out;
}

/** A value that is one of `values` (known if they all agree), needing `missing` to decide which. */
function oneOf(values: JsonValue[] | undefined, missing: readonly string[]): Val {
  if (values) {
    const d = distinct(values);
    if (d.length === 1) return d[0];
    if (d.length <= MAX_POSSIBLE) return new Unknown(missing, d);
  }
  return new Unknown(missing);
}

export const truthy = (v: JsonValue): boolean => jsonLogic.truthy(v);

/** Operators a guideline may use. `log` (side effect) is left out; json-logic-js 2.0.5 has no `method`. */
export const ALLOWED_OPERATORS: readonly string[] = [
  'var', 'missing', 'missing_some', 'if', '?:', '==', '===', '!=', '!==', '>', '>=', '<', '<=',
  '!', '!!', 'and', 'or', '%', '+', '-', '*', '/', 'min', 'max', 'cat', 'substr', 'in', 'merge',
  'map', 'filter', 'reduce', 'all', 'none', 'some',
];
const ALLOWED = new Set(ALLOWED_OPERATORS);
/** Operators that take a list and evaluate their second argument once per item. */
export const SCOPED_OPERATORS: readonly string[] = ['map', 'filter', 'reduce', 'all', 'none', 'some'];

export const LIMITS = {
  /** Deepest nesting of one expression; json-logic-js itself overflows the stack near 5,000. */
  maxDepth: 100,
  /** Most operators and literals in one expression. */
  maxSize: 20000,
};

/** Path segments that never read anything: they would reach the prototype chain. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isLogicObject(x: unknown): x is Record<string, JsonValue> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
}

/** Operands of an operator, with json-logic's unary shorthand ({"!": x} == {"!": [x]}). */
export function operands(value: JsonValue): JsonValue[] {
  return Array.isArray(value) ? value : [value];
}

/** JSON-pointer segment escaping (RFC 6901). */
export function escapeSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Depth and size of a JSON value, measured without recursion so hostile input cannot overflow. */
export function measure(value: unknown): { depth: number; size: number } {
  let depth = 0;
  let size = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    size++;
    if (d > depth) depth = d;
    if (v && typeof v === 'object') {
      for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
    }
  }
  return { depth, size };
}

function assertWithinLimits(logic: unknown, where: { node?: string; pointer?: string } = {}): void {
  const { depth, size } = measure(logic);
  if (depth > LIMITS.maxDepth) {
    throw new EngineError('logic-too-deep', `expression nests ${depth} levels deep (objects and arrays); the limit is ${LIMITS.maxDepth}. Split it into definitions.`, where);
  }
  if (size > LIMITS.maxSize) {
    throw new EngineError('logic-too-large', `expression has ${size} parts; the limit is ${LIMITS.maxSize}. Split it into definitions.`, where);
  }
}

export interface TraceEvent {
  type: 'read' | 'op' | 'definition' | 'clause' | 'rule';
  node: string;
  pointer: string;
  /** operator (op), variable name (read), clause id (clause) */
  op?: string;
  name?: string;
  clause?: string;
  /** read events: where the value came from */
  source?: 'fact' | 'definition';
  /** list item the event belongs to, inside some/all/none/map/filter/reduce */
  scope?: string;
  /** present when known */
  value?: JsonValue;
  /** present when unknown: the facts still needed */
  missing?: string[];
  /** present when unknown but known to be one of a few values */
  possible?: JsonValue[];
  status?: string;
  grade?: string | null;
}

/** How a variable is looked up at the root of an expression. */
export type RootResolver = (name: string, ctx: EvalContext, pointer: string) => Val | typeof ABSENT;

export interface EvalContext {
  /** 'null': json-logic semantics, an absent variable is null. 'unknown': it is Unknown. */
  mode: 'null' | 'unknown';
  node: string;
  /** Root-scope variable lookup; when absent, variables read the data object. */
  resolveRoot?: RootResolver;
  data: JsonValue;
  trace?: TraceEvent[];
}

interface Scope {
  data: JsonValue;
  /** name used for missing facts inside this scope, e.g. prior_systemic_therapies[2] */
  path: string;
  /** reduce scope: "current" maps to the item, "accumulator" to the running value */
  reduce?: boolean;
  root: boolean;
}

const ABSENT = Symbol('absent');
const withinLimits = new WeakSet<object>();

/** Evaluate a JSON-Logic expression, three-valued. `pointer` is where the expression sits in its node. */
export function evaluateLogic(logic: Logic, ctx: EvalContext, pointer = ''): Val {
  // Measuring walks the whole expression: do it once per expression object, not per patient.
  if (logic === null || typeof logic !== 'object' || !withinLimits.has(logic)) {
    assertWithinLimits(logic, { node: ctx.node, pointer });
    if (logic !== null && typeof logic === 'object') withinLimits.add(logic);
  }
  return ev(logic, ctx, { data: ctx.data, path: '', root: true }, pointer, 0);
}

/** One operator application being evaluated: its operands and where it sits. */
interface Call {
  op: string;
  args: JsonValue[];
  /** operands written as an array ({"op": [a, b]}) rather than the unary shorthand */
  array: boolean;
  ctx: EvalContext;
  scope: Scope;
  ptr: string;
  depth: number;
}

const escapedOps = new Map<string, string>();
function esc(op: string): string {
  let e = escapedOps.get(op);
  if (e === undefined) { e = escapeSegment(op); escapedOps.set(op, e); }
  return e;
}

/** Evaluate operand i of a call, in the call's scope unless another is given. */
function sub(c: Call, i: number, scope: Scope = c.scope): Val {
  // Pointers are only needed by the trace; building them for every operand costs time.
  const ptr = c.ctx.trace ? (c.array ? `${c.ptr}/${esc(c.op)}/${i}` : `${c.ptr}/${esc(c.op)}`) : c.ptr;
  return ev(c.args[i], c.ctx, scope, ptr, c.depth + 1);
}

function ev(logic: JsonValue, ctx: EvalContext, scope: Scope, ptr: string, depth: number): Val {
  if (depth > LIMITS.maxDepth) {
    throw new EngineError('logic-too-deep', `expression nests deeper than ${LIMITS.maxDepth} levels`, { node: ctx.node, pointer: ptr });
  }
  if (Array.isArray(logic)) {
    const items: Val[] = [];
    for (let i = 0; i < logic.length; i++) items.push(ev(logic[i], ctx, scope, ctx.trace ? `${ptr}/${i}` : ptr, depth + 1));
    return anyUnknown(items) ?? (items as JsonValue[]);
  }
  if (!isLogicObject(logic)) return logic;

  const op = Object.keys(logic)[0];
  if (!ALLOWED.has(op)) {
    throw new EngineError('unknown-operator', `operator "${op}" is not allowed; allowed operators: ${ALLOWED_OPERATORS.join(', ')}`, { node: ctx.node, pointer: ptr });
  }
  const raw = logic[op];
  const c: Call = { op, args: operands(raw), array: Array.isArray(raw), ctx, scope, ptr, depth };

  let result: Val;
  switch (op) {
    case 'var':
      result = evalVar(c);
      break;
    case 'missing':
    case 'missing_some':
      result = evalMissing(c);
      break;
    case 'if':
    case '?:':
      result = evalIf(c, 0);
      break;
    case 'and':
    case 'or':
      result = evalAndOr(c);
      break;
    case 'map': case 'filter': case 'reduce': case 'all': case 'none': case 'some':
      result = evalScoped(c);
      break;
    default: {
      const values: Val[] = [];
      for (let i = 0; i < c.args.length; i++) values.push(sub(c, i));
      const unknown = anyUnknown(values);
      result = unknown ? applyOverPossible(op, values, unknown) : applyOperator(op, values as JsonValue[]);
    }
  }
  if (ctx.trace && op !== 'var') record(ctx, { type: 'op', node: ctx.node, pointer: ptr, op }, scope, result);
  return result;
}

function record(ctx: EvalContext, event: TraceEvent, scope: Scope, value: Val): void {
  if (!scope.root) event.scope = scope.path;
  if (isUnknown(value)) {
    event.missing = [...value.missing];
    if (value.possible) event.possible = [...value.possible];
  } else event.value = value;
  ctx.trace!.push(event);
}

function anyUnknown(values: Val[]): Unknown | undefined {
  let missing: Set<string> | undefined;
  for (const v of values) {
    if (isUnknown(v)) {
      missing ??= new Set();
      for (const m of v.missing) missing.add(m);
    }
  }
  return missing ? new Unknown(sortedMissing(missing)) : undefined;
}

function unionUnknown(...values: Val[]): Unknown {
  return anyUnknown(values) ?? new Unknown([]);
}

export function sortedMissing(missing: Iterable<string>): string[] {
  return [...new Set(missing)].sort();
}

// Cached rules {op: [{"var":"0"}, ..., {"var":"n-1"}]} let json-logic-js apply an operator to
// values that are arrays or objects without reading them as logic.
const templates = new Map<string, JsonValue>();

/** Apply a non-control operator to known values, with json-logic-js. */
function applyOperator(op: string, values: JsonValue[]): JsonValue {
  const primitive = values.every((v) => v === null || typeof v !== 'object');
  if (primitive) return jsonLogic.apply({ [op]: values } as never) as JsonValue;
  const key = `${op}/${values.length}`;
  let rule = templates.get(key);
  if (!rule) {
    rule = { [op]: values.map((_, i) => ({ var: String(i) })) };
    templates.set(key, rule);
  }
  return jsonLogic.apply(rule as never, values as never) as JsonValue;
}

function evalIf(c: Call, i: number): Val {
  const n = c.args.length;
  if (i >= n) return null;
  if (i === n - 1) return sub(c, i);
  const cond = sub(c, i);
  const t = truthiness(cond);
  if (t !== undefined) return t ? sub(c, i + 1) : evalIf(c, i + 2);
  // The condition is unknown: the result is one of the branches it could take, known if they agree.
  const then = sub(c, i + 1);
  const otherwise = evalIf(c, i + 2);
  const a = possibleValues(then);
  const b = possibleValues(otherwise);
  return oneOf(a && b ? [...a, ...b] : undefined, unionUnknown(cond, then, otherwise).missing);
}

/**
 * An operator with unknown operands: when each unknown operand is one of a few values, try every
 * combination; if they all give the same result, that result is known.
 */
function applyOverPossible(op: string, values: Val[], unknown: Unknown): Val {
  let combos: JsonValue[][] = [[]];
  for (const v of values) {
    const options = possibleValues(v);
    if (!options || combos.length * options.length > MAX_COMBINATIONS) return unknown;
    combos = combos.flatMap((prefix) => options.map((o) => [...prefix, o]));
  }
  return oneOf(combos.map((args) => applyOperator(op, args)), unknown.missing);
}

function evalAndOr(c: Call): Val {
  // Kleene logic: one known falsy operand decides "and", one known truthy operand decides "or",
  // whatever the unknown operands turn out to be.
  const decisive = c.op !== 'and';
  let current: Val = null;
  const unknowns: Unknown[] = [];
  for (let i = 0; i < c.args.length; i++) {
    current = sub(c, i);
    const t = truthiness(current);
    if (t === undefined) { unknowns.push(current as Unknown); continue; }
    if (t === decisive) return current;
  }
  if (unknowns.length) return unionUnknown(...unknowns);
  return current;
}

function evalVar(c: Call): Val {
  const { args, ctx, scope, ptr } = c;
  const pathVal = args.length ? sub(c, 0) : null;
  if (isUnknown(pathVal)) return pathVal;
  const hasDefault = args.length > 1;
  const path = pathVal === undefined || pathVal === null || pathVal === '' ? '' : String(pathVal);
  let found: Val | typeof ABSENT;
  if (scope.root && ctx.resolveRoot && path !== '') found = ctx.resolveRoot(path, ctx, ptr);
  else found = lookup(scope, path);
  let result: Val;
  if (found === ABSENT) {
    if (hasDefault) result = sub(c, 1);
    else if (ctx.mode === 'null') result = null;
    else result = new Unknown([scopedName(scope, path)]);
  } else if (isUnknown(found) && hasDefault) {
    result = sub(c, 1);
  } else {
    result = found;
  }
  if (ctx.trace && !(scope.root && ctx.resolveRoot)) {
    record(ctx, { type: 'read', node: ctx.node, pointer: ptr, name: path }, scope, result);
  }
  return result;
}

function scopedName(scope: Scope, path: string): string {
  if (scope.root) return path;
  if (scope.reduce) return path.replace(/^current(?=\.|$)/, scope.path);
  return path ? `${scope.path}.${path}` : scope.path;
}

/** Read a dotted path from the scope's data, own properties only; ABSENT when nothing is there. */
function lookup(scope: Scope, path: string): JsonValue | typeof ABSENT {
  let data: JsonValue | undefined = scope.data;
  if (path === '') return data;
  for (const seg of path.split('.')) {
    if (data === null || data === undefined || typeof data !== 'object') return ABSENT;
    if (FORBIDDEN_SEGMENTS.has(seg) || !Object.prototype.hasOwnProperty.call(data, seg)) return ABSENT;
    data = (data as Record<string, JsonValue>)[seg];
    if (data === undefined) return ABSENT;
  }
  return data;
}

function evalMissing(c: Call): Val {
  const { op, ctx, scope } = c;
  const values = c.args.map((_, i) => sub(c, i));
  const unknown = anyUnknown(values);
  if (unknown) return unknown;
  const isMissing = (key: JsonValue): boolean => {
    const path = key === null ? '' : String(key);
    let v: Val | typeof ABSENT;
    if (scope.root && ctx.resolveRoot && path !== '') v = ctx.resolveRoot(path, ctx, '');
    else v = lookup(scope, path);
    return v === ABSENT || isUnknown(v) || v === null || v === '';
  };
  if (op === 'missing') {
    const keys = Array.isArray(values[0]) ? (values[0] as JsonValue[]) : (values as JsonValue[]);
    return keys.filter(isMissing);
  }
  const need = Number(values[0]);
  const options = Array.isArray(values[1]) ? (values[1] as JsonValue[]) : [];
  const absent = options.filter(isMissing);
  return options.length - absent.length >= need ? [] : absent;
}

function evalScoped(c: Call): Val {
  const { op, args, scope } = c;
  const list = sub(c, 0);
  if (isUnknown(list)) return list;
  const base = listName(args[0], scope);
  if (op === 'reduce') {
    let acc: Val = args.length > 2 ? sub(c, 2) : null;
    if (!Array.isArray(list)) return acc;
    const unknowns: Unknown[] = [];
    list.forEach((item, i) => {
      const accValue: JsonValue = isUnknown(acc) ? null : acc;
      const s: Scope = { data: { current: item, accumulator: accValue }, path: `${base}[${i}]`, reduce: true, root: false };
      if (isUnknown(acc)) unknowns.push(acc);
      acc = sub(c, 1, s);
    });
    return unknowns.length || isUnknown(acc) ? unionUnknown(acc, ...unknowns) : acc;
  }
  if (!Array.isArray(list)) {
    return op === 'none' ? true : op === 'map' || op === 'filter' ? [] : false;
  }
  if (list.length === 0) return op === 'none' ? true : op === 'map' || op === 'filter' ? [] : false;
  const results = list.map((item, i) => sub(c, 1, { data: item, path: `${base}[${i}]`, root: false }));
  switch (op) {
    case 'map':
      return anyUnknown(results) ?? (results as JsonValue[]);
    case 'filter':
      return anyUnknown(results) ?? list.filter((_, i) => truthy(results[i] as JsonValue));
    case 'some':
    case 'none': {
      if (results.some((r) => !isUnknown(r) && truthy(r))) return op === 'some';
      return anyUnknown(results) ?? op === 'none';
    }
    default: { // all
      if (results.some((r) => !isUnknown(r) && !truthy(r))) return false;
      return anyUnknown(results) ?? true;
    }
  }
}

function listName(arg: JsonValue, scope: Scope): string {
  if (isLogicObject(arg) && 'var' in arg) {
    const path = operands(arg.var)[0];
    if (typeof path === 'string' && path !== '') return scopedName(scope, path);
  }
  return scope.root ? 'item' : `${scope.path}.item`;
}

/** Structural equality of two JSON values (for "both branches agree"). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson((a as Record<string, JsonValue>)[k], (b as Record<string, JsonValue>)[k]));
}

/** Names a root variable path refers to: the first segment of a literal path. */
export function varPath(arg: JsonValue): string | undefined {
  const path = operands(arg)[0];
  if (typeof path === 'number') return String(path);
  return typeof path === 'string' ? path : undefined;
}

export { ABSENT };
