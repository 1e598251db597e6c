// The three-valued JSON-Logic interpreter. This is the only module that imports json-logic-js:
// every operator on known values is computed by json-logic-js itself, so that with all facts
// known our results agree with it; what this module adds is control flow that understands
// "unknown" (a fact that is absent), a trace, safe variable lookup and limits.
import jsonLogic from 'json-logic-js';
import { EngineError } from './errors.ts';
import type { JsonValue, Logic } from './types.ts';

/**
 * A finite table of an unknown value over the completions of the facts it depends on: `vars`
 * (fact ids, sorted), the `domains` each can take, and `values`, one per completion in
 * mixed-radix order (the first var is the most significant digit).
 */
export interface Table { readonly vars: readonly string[]; readonly domains: readonly (readonly JsonValue[])[]; readonly values: readonly JsonValue[] }

/** What is known about an unknown value beyond its possible values. */
export interface UnknownInfo {
  /** the value is certainly a boolean (a comparison, `!`, `some`...) */
  readonly boolean?: boolean;
  /** its truthiness is known although its value is not (`and(unknown, false)` is falsy) */
  readonly truthy?: boolean;
  /** its exact value for every completion of the few finite facts it depends on */
  readonly table?: Table;
}

/** The value of an expression that needs facts nobody supplied. */
export class Unknown {
  /**
   * `missing`: the facts that could decide it. `possible`: when known, the few values it can
   * still take (a superset of the reachable values; exactly the reachable ones when it has a
   * table), so that e.g. "category is not definite" is decided when no branch gives "definite".
   * A set of exactly {false, true} is not listed: `info.boolean` says it.
   */
  readonly info: UnknownInfo;
  constructor(readonly missing: readonly string[], readonly possible?: readonly JsonValue[], info?: UnknownInfo) {
    this.info = info ? clean(info) : NO_INFO;
  }
}
/** Without a prototype: nothing planted on Object.prototype reads as known information. */
const NO_INFO: UnknownInfo = Object.freeze(Object.create(null) as UnknownInfo);
export type Val = JsonValue | Unknown;
export const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;

/** Most values an Unknown tracks, and most operand combinations or completions tried. */
const MAX_POSSIBLE = 16;
const MAX_COMBINATIONS = 64;
/** Largest integer range that counts as a finite domain (ECOG 0-4, a 0-10 pain score). */
const MAX_INTEGER_DOMAIN = 12;
const BOOLEANS: readonly JsonValue[] = [false, true];

/** The values a Val can take, or undefined when they are not known to be few. */
function possibleValues(v: Val): readonly JsonValue[] | undefined {
  if (!isUnknown(v)) return [v];
  return v.possible ?? (v.info.boolean ? BOOLEANS : undefined);
}

/** Truthiness when it is decided, even for an Unknown whose every possible value agrees. */
export function truthiness(v: Val): boolean | undefined {
  if (!isUnknown(v)) return truthy(v);
  if (v.info.truthy !== undefined) return v.info.truthy;
  if (!v.possible?.length) return undefined;
  const first = truthy(v.possible[0]);
  return v.possible.every((p) => truthy(p) === first) ? first : undefined;
}

function distinct(values: readonly JsonValue[]): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of values) if (!out.some((o) => sameJson(o, v))) out.push(v);
  return out;
}

/**
 * A value that is one of `values` (known if they all agree), needing `missing` to decide which.
 * `values` undefined: not known to be few; `info` adds what is known anyway.
 */
function oneOf(values: readonly JsonValue[] | undefined, missing: readonly string[], given: UnknownInfo = NO_INFO): Val {
  const info = clean(given);
  if (values) {
    const d = distinct(values);
    if (d.length === 1) return d[0];
    const t = d.length ? truthy(d[0]) : undefined;
    const agreed = d.every((x) => truthy(x) === t) ? t : info.truthy;
    if (d.length === 2 && d.every((x) => typeof x === 'boolean')) return new Unknown(missing, undefined, infoOf(true, agreed, info.table));
    if (d.length <= MAX_POSSIBLE) return new Unknown(missing, d, infoOf(info.boolean === true, agreed, info.table));
    return new Unknown(missing, undefined, infoOf(info.boolean === true || d.every((x) => typeof x === 'boolean'), agreed, info.table));
  }
  return new Unknown(missing, undefined, info);
}

function clean(info: UnknownInfo): UnknownInfo {
  if (info === NO_INFO || (Object.getPrototypeOf(info) === null && Object.isFrozen(info))) return info;
  return infoOf(own(info, 'boolean') === true, own(info, 'truthy'), own(info, 'table'));
}

/**
 * The frozen, prototype-less UnknownInfo with these members. Without a table it is one of nine
 * shared objects (an Unknown is built for almost every operator on unknown operands: allocating
 * a fresh info each time was a good part of the three-valued path's cost).
 */
function infoOf(boolean: boolean, truthyValue: unknown, table: Table | undefined): UnknownInfo {
  const t = typeof truthyValue === 'boolean' ? truthyValue : undefined;
  if (!table) return SHARED_INFOS[(boolean ? 3 : 0) + (t === undefined ? 0 : t ? 1 : 2)];
  return makeInfo(boolean, t, table);
}

function makeInfo(boolean: boolean, t: boolean | undefined, table: Table | undefined): UnknownInfo {
  const out = Object.create(null) as { -readonly [K in keyof UnknownInfo]: UnknownInfo[K] };
  if (boolean) out.boolean = true;
  if (t !== undefined) out.truthy = t;
  if (table) out.table = table;
  return Object.freeze(out);
}
const SHARED_INFOS: readonly UnknownInfo[] = [false, true].flatMap((b) => [undefined, true, false].map((t) => makeInfo(b, t, undefined)));

/**
 * The value of a fact nobody supplied. A boolean, an enum or a small integer range has a finite
 * domain: the Unknown then carries it (possible values and a one-fact table), so that the
 * expressions reading it can be decided by trying every completion.
 */
export function unknownFact(name: string, field?: { type: string; values?: readonly { value: string }[]; integer?: boolean; minimum?: number; maximum?: number }): Unknown {
  const domain = field ? finiteDomain(ownProperties(field)) : undefined;
  if (!domain) return new Unknown([name]);
  const table: Table = { vars: [name], domains: [domain], values: domain };
  if (field!.type === 'boolean') return new Unknown([name], undefined, { boolean: true, table });
  return new Unknown([name], domain.length <= MAX_POSSIBLE ? domain : undefined, { table });
}

function finiteDomain(f: { type: string; values?: readonly { value: string }[]; integer?: boolean; minimum?: number; maximum?: number }): JsonValue[] | undefined {
  if (f.type === 'boolean') return [false, true];
  if (f.type === 'enum' && Array.isArray(f.values) && f.values.length && f.values.length <= MAX_COMBINATIONS) return f.values.map((v) => v.value);
  if (f.type === 'number' && f.integer === true && Number.isInteger(f.minimum) && Number.isInteger(f.maximum) && f.maximum! >= f.minimum! && f.maximum! - f.minimum! < MAX_INTEGER_DOMAIN) {
    return Array.from({ length: f.maximum! - f.minimum! + 1 }, (_, i) => f.minimum! + i);
  }
  return undefined;
}

export const truthy = (v: JsonValue): boolean => jsonLogic.truthy(v);

/**
 * `sqrt`, an operator of our own (json-logic has no square root): one operand, a number that is
 * not negative. Anything else (a negative number, a string, null, a list) throws, and the
 * interpreter reports it as `evaluation-failed`; the checker refuses what it can see statically.
 * It is registered with json-logic-js, so that with every fact known our result is still the one
 * json-logic-js computes.
 */
export function sqrtOperation(x: unknown): number {
  if (typeof x !== 'number' || !(x >= 0)) throw new Error(`sqrt needs a number that is not negative, got ${typeof x === 'number' ? String(x) : JSON.stringify(x) ?? String(x)}`);
  return Math.sqrt(x);
}
jsonLogic.add_operation('sqrt', sqrtOperation);

const ownCopies = new WeakMap<object, object>();
/**
 * The object's own properties on an object without a prototype (cached): a dictionary entry
 * read through it never sees what was planted on Object.prototype (`integer`, `maxItems`...).
 */
export function ownProperties<T extends object>(obj: T): T {
  let c = ownCopies.get(obj);
  if (!c) {
    c = Object.assign(Object.create(null) as object, obj);
    ownCopies.set(obj, c);
  }
  return c as T;
}

/** A property of an options or context object, read only when it is its own (never Object.prototype's). */
export function own<T extends object, K extends keyof T>(obj: T | null | undefined, key: K): T[K] | undefined {
  return obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/**
 * Operators a guideline may use. `log` (side effect) is left out; json-logic-js 2.0.5 has no
 * `method`. `sqrt` is ours (see sqrtOperation).
 */
export const ALLOWED_OPERATORS: readonly string[] = [
  'var', 'missing', 'missing_some', 'if', '?:', '==', '===', '!=', '!==', '>', '>=', '<', '<=',
  '!', '!!', 'and', 'or', '%', '+', '-', '*', '/', 'min', 'max', 'cat', 'substr', 'in', 'merge',
  'map', 'filter', 'reduce', 'all', 'none', 'some', 'sqrt',
];
const ALLOWED = new Set(ALLOWED_OPERATORS);

/**
 * How many operands each operator takes, [min, max] (max Infinity: any number). Outside it
 * json-logic-js throws (`{"*": []}`), returns something that is not JSON (`{"max": []}` is
 * -Infinity) or silently ignores operands; the checker reports `arity`.
 */
export const OPERATOR_ARITY: Readonly<Record<string, readonly [number, number]>> = {
  var: [0, 2], missing: [0, Infinity], missing_some: [2, 2], if: [0, Infinity], '?:': [0, Infinity],
  '==': [2, 2], '===': [2, 2], '!=': [2, 2], '!==': [2, 2], '>': [2, 2], '>=': [2, 2], '<': [2, 3], '<=': [2, 3],
  '!': [1, 1], '!!': [1, 1], and: [1, Infinity], or: [1, Infinity], '%': [2, 2], '+': [1, Infinity], '-': [1, 2],
  '*': [1, Infinity], '/': [2, 2], min: [1, Infinity], max: [1, Infinity], cat: [0, Infinity], substr: [2, 3],
  in: [2, 2], merge: [0, Infinity], map: [2, 2], filter: [2, 2], reduce: [2, 3], all: [2, 2], none: [2, 2], some: [2, 2],
  sqrt: [1, 1],
};
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
const dataWithinLimits = new WeakSet<object>();

/** Limits on the data an expression reads (ctx.data), as for facts: no stack overflow, no stall. */
export const DATA_LIMITS = { maxDepth: 100, maxSize: 100000 };

/**
 * What the evaluation of one expression saw: the root variables it read that were unknown
 * (for the case split) and whether it used an operator that observes presence (`missing`).
 */
interface Reads { unknown: Map<string, Unknown>; known: Map<string, Val>; presence: boolean }
let collecting: Reads | undefined;

/**
 * Evaluate a JSON-Logic expression, three-valued. `pointer` is where the expression sits in its node.
 * Throws only EngineError: limits, operators not allowed, and any failure of json-logic-js on
 * hostile data (own toString/valueOf, wrong arity) as `evaluation-failed`.
 */
export function evaluateLogic(logic: Logic, context: EvalContext, pointer = ''): Val {
  // The context is read as own properties only: a `trace` or `resolveRoot` planted on
  // Object.prototype changes nothing.
  const resolveRoot = own(context, 'resolveRoot');
  const trace = own(context, 'trace');
  const ctx: EvalContext = {
    mode: own(context, 'mode') === 'null' ? 'null' : 'unknown',
    node: String(own(context, 'node') ?? ''),
    data: own(context, 'data') ?? null,
    // both set, even when undefined, so that neither is looked up on the prototype
    resolveRoot: typeof resolveRoot === 'function' ? resolveRoot : undefined,
    trace: Array.isArray(trace) ? trace : undefined,
  };
  // Measuring walks the whole expression: do it once per expression object, not per patient.
  if (logic === null || typeof logic !== 'object' || !withinLimits.has(logic)) {
    assertWithinLimits(logic, { node: ctx.node, pointer });
    if (logic !== null && typeof logic === 'object') withinLimits.add(logic);
  }
  const data = ctx.data;
  if (data !== null && typeof data === 'object' && !dataWithinLimits.has(data)) {
    const { depth, size } = measure(data);
    if (depth > DATA_LIMITS.maxDepth || size > DATA_LIMITS.maxSize) {
      throw new EngineError('data-too-large', `the data nests ${depth} levels deep and has ${size} values; the limits are ${DATA_LIMITS.maxDepth} and ${DATA_LIMITS.maxSize}.`, { node: ctx.node, pointer });
    }
    dataWithinLimits.add(data);
  }
  const outer = collecting;
  const reads: Reads = { unknown: new Map(), known: new Map(), presence: false };
  collecting = reads;
  try {
    const v = ev(logic, ctx, { data, path: '', reduce: false, root: true }, pointer, 0);
    collecting = undefined;
    return isUnknown(v) && ctx.mode === 'unknown' && !reads.presence && reads.unknown.size ? caseSplit(logic, ctx, pointer, v, reads) : v;
  } catch (e) {
    if (e instanceof EngineError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new EngineError('evaluation-failed', `the expression could not be evaluated on these values (${message.slice(0, 200)}). Check operator arity and the data's types.`, { node: ctx.node, pointer });
  } finally {
    collecting = outer;
  }
}

/**
 * One completion of a case split evaluated by other means than the tree walk (compiled code):
 * `completed` holds the value of every unknown read. Undefined when it does not cover this
 * completion; the interpreter then evaluates it.
 */
export type Completion = (completed: ReadonlyMap<string, JsonValue>) => Val | undefined;

/**
 * Decide an unknown result by case split. Each unknown root variable the expression read is
 * either a finite fact or a definition with a table over finite facts (its exact value per
 * completion), or only a set of possible values (taken as an independent variable: sound, maybe
 * loose). When the product of the domains is at most MAX_COMBINATIONS, the expression is
 * evaluated once per completion: it is decided when every completion agrees; otherwise its
 * possible values are the completions' results and its missing facts those on which the result
 * depends. Anything else (a number missing, too many completions, an unknown list item) keeps
 * the three-valued result.
 */
function caseSplit(logic: Logic, ctx: EvalContext, pointer: string, three: Unknown, reads: Reads, complete?: Completion): Val {
  // The result is a function of the root variables read: the same expression seeing the same
  // values (the same case re-evaluated, another patient with the same relevant facts) is not split again.
  let key: string | undefined;
  let memo: Map<string, Val> | undefined;
  if (logic !== null && typeof logic === 'object' && ctx.resolveRoot) {
    memo = splitMemo.get(logic);
    if (!memo) { memo = new Map(); splitMemo.set(logic, memo); }
    key = readsKey(reads);
    const hit = memo.get(key);
    if (hit !== undefined) return hit === NOT_SPLIT ? three : hit;
  }
  const v = caseSplitUncached(logic, ctx, pointer, three, reads, complete);
  if (memo && key !== undefined) {
    if (memo.size >= MEMO_PER_EXPRESSION) memo.clear();
    memo.set(key, v === three ? NOT_SPLIT : v);
  }
  return v;
}

const MEMO_PER_EXPRESSION = 512;
const NOT_SPLIT = new Unknown([]);
const splitMemo = new WeakMap<object, Map<string, Val>>();

function readsKey(reads: Reads): string {
  let key = '';
  for (const [name, v] of reads.known) key += `${name}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : typeof v === 'string' ? JSON.stringify(v) : String(v)};`;
  key += '|';
  for (const [name, v] of reads.unknown) key += `${name}=${unknownKey(v as Unknown)};`;
  return key;
}

const unknownKeys = new WeakMap<Unknown, string>();
function unknownKey(u: Unknown): string {
  let k = unknownKeys.get(u);
  if (k === undefined) {
    k = JSON.stringify([u.missing, u.possible ?? null, u.info.boolean ?? null, u.info.truthy ?? null, u.info.table ?? null]);
    unknownKeys.set(u, k);
  }
  return k;
}

let nextUnknownId = 0;
const unknownIds = new WeakMap<Unknown, number>();
const idsByKey = new Map<string, number>();
/**
 * A number naming an Unknown's content (its missing facts, possible values, type, truthiness and
 * table): equal content, equal number. Numbers are never reused, so forgetting old ones (past
 * 65,536 contents) can only cost a memo a miss, never give a wrong hit.
 */
export function unknownId(u: Unknown): number {
  let id = unknownIds.get(u);
  if (id === undefined) {
    const key = unknownKey(u);
    id = idsByKey.get(key);
    if (id === undefined) {
      if (idsByKey.size >= 65536) idsByKey.clear();
      id = nextUnknownId++;
      idsByKey.set(key, id);
    }
    unknownIds.set(u, id);
  }
  return id;
}

function caseSplitUncached(logic: Logic, ctx: EvalContext, pointer: string, three: Unknown, reads: Reads, complete?: Completion): Val {
  // Variables: fact ids (from tables) and, for unknowns without a table, the read itself.
  const varNames: string[] = [];
  const domains: (readonly JsonValue[])[] = [];
  const pseudo: boolean[] = [];
  const index = new Map<string, number>();
  const addVar = (name: string, domain: readonly JsonValue[], isPseudo: boolean): boolean => {
    if (index.has(name)) return true;
    index.set(name, varNames.length);
    varNames.push(name);
    domains.push(domain);
    pseudo.push(isPseudo);
    return true;
  };
  const readList = [...reads.unknown.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1));
  for (const [name, u] of readList) {
    if (u.info.table) { u.info.table.vars.forEach((f, i) => addVar(f, u.info.table!.domains[i], false)); continue; }
    const poss = possibleValues(u);
    if (!poss || !poss.length) return three;
    addVar(`\u0000${name}`, poss, true);
  }
  let product = 1;
  for (const d of domains) { product *= d.length; if (product > MAX_COMBINATIONS) return three; }
  const digits = new Array<number>(varNames.length).fill(0);
  const completed = new Map<string, JsonValue>();
  // Each read's value per completion: a table entry (its vars' digits) or the pseudo variable's value.
  const readers = readList.map(([name, u]) => {
    const t = u.info.table;
    if (!t) { const k = index.get(`\u0000${name}`)!; return { name, k, t: undefined, ks: [] as number[] }; }
    return { name, k: -1, t, ks: t.vars.map((f) => index.get(f)!) };
  });
  const inner = ctx.resolveRoot;
  const ctx2: EvalContext = {
    mode: ctx.mode, node: ctx.node, data: ctx.data, trace: undefined,
    resolveRoot: (name, c, p) => (completed.has(name) ? completed.get(name)! : inner ? inner(name, c, p) : lookup({ data: ctx.data, path: '', reduce: false, root: true }, name)),
  };
  const results: JsonValue[] = [];
  for (let n = 0; n < product; n++) {
    let rest = n;
    for (let k = varNames.length - 1; k >= 0; k--) { digits[k] = rest % domains[k].length; rest = Math.floor(rest / domains[k].length); }
    for (const r of readers) {
      if (!r.t) { completed.set(r.name, domains[r.k][digits[r.k]]); continue; }
      let at = 0;
      for (let i = 0; i < r.ks.length; i++) at = at * r.t.domains[i].length + digits[r.ks[i]];
      completed.set(r.name, r.t.values[at]);
    }
    let v: Val | undefined;
    if (complete) {
      try {
        v = complete(completed);
      } catch {
        v = undefined; // the tree walk below has the last word
      }
    }
    if (v === undefined) {
      try {
        v = ev(logic, ctx2, { data: ctx.data, path: '', reduce: false, root: true }, pointer, 0);
      } catch {
        return three;
      }
    }
    if (isUnknown(v)) return three;
    results.push(v);
  }
  // The variables the result depends on: changing that one alone changes it somewhere.
  const strides: number[] = [];
  let stride = 1;
  for (let k = varNames.length - 1; k >= 0; k--) { strides[k] = stride; stride *= domains[k].length; }
  const dependent = varNames.map((_, k) => {
    for (let n = 0; n < product; n++) {
      const digit = Math.floor(n / strides[k]) % domains[k].length;
      if (digit === 0) continue;
      if (!sameJson(results[n], results[n - digit * strides[k]])) return true;
    }
    return false;
  });
  const missing = new Set<string>();
  let table: Table | undefined;
  const deps = varNames.map((_, k) => k).filter((k) => dependent[k]);
  deps.forEach((k) => {
    if (!pseudo[k]) missing.add(varNames[k]);
    else for (const m of reads.unknown.get(varNames[k].slice(1))!.missing) missing.add(m);
  });
  if (deps.length && deps.every((k) => !pseudo[k])) {
    // Project onto the variables it depends on (the others at their first value).
    const values: JsonValue[] = [];
    let size = 1;
    for (const k of deps) size *= domains[k].length;
    for (let m = 0; m < size; m++) {
      let rest = m;
      let n = 0;
      for (let j = deps.length - 1; j >= 0; j--) {
        const k = deps[j];
        n += (rest % domains[k].length) * strides[k];
        rest = Math.floor(rest / domains[k].length);
      }
      values.push(results[n]);
    }
    table = { vars: deps.map((k) => varNames[k]), domains: deps.map((k) => domains[k]), values };
  }
  if (!missing.size) for (const m of three.missing) missing.add(m);
  return oneOf(results, sortedMissing(missing), table ? { table } : {});
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
    return arrayOf(items);
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
      result = applyThree(op, values);
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
  let first: Unknown | undefined;
  let merged: readonly string[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isUnknown(v)) continue;
    if (!first) { first = v; continue; }
    if (v.missing === first.missing) continue;
    merged = mergeMissing(merged ?? sortedUnique(first.missing), sortedUnique(v.missing));
  }
  if (!first) return undefined;
  // One unknown operand (the common case): its list, shared (a missing list is never mutated).
  return new Unknown(merged ?? sortedUnique(first.missing));
}

function sortedUnique(a: readonly string[]): readonly string[] {
  return isSortedUnique(a) ? a : sortedMissing(a);
}

/** The sorted union of two sorted lists without repeats (a new list): a linear merge, not a sort. */
export function mergeMissing(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) { out.push(x); i++; j++; } else if (x < y) { out.push(x); i++; } else { out.push(y); j++; }
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

function unionUnknown(...values: Val[]): Unknown {
  return anyUnknown(values) ?? new Unknown([]);
}

function isSortedUnique(a: readonly string[]): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i - 1] < a[i])) return false;
  return true;
}

export function sortedMissing(missing: Iterable<string>): string[] {
  if (Array.isArray(missing) && isSortedUnique(missing)) return missing.slice();
  return [...new Set(missing)].sort();
}

// Cached rules {op: [{"var":"0"}, ..., {"var":"n-1"}]} let json-logic-js apply an operator to
// values that are arrays or objects without reading them as logic.
const templates = new Map<string, JsonValue>();

/** Apply a non-control operator to known values, with json-logic-js. */
function applyOperator(op: string, values: JsonValue[]): JsonValue {
  const primitive = values.every((v) => v === null || typeof v !== 'object');
  if (primitive) {
    // The comparisons and negations, as json-logic-js 2.0.5 defines them (logic.js, operations),
    // without building a rule object per application; everything else through json-logic-js.
    const [a, b, c] = values as (string | number | boolean | null)[];
    switch (op) {
      case '==': return a == b;
      case '===': return a === b;
      case '!=': return a != b;
      case '!==': return a !== b;
      case '>': return (a as number) > (b as number);
      case '>=': return (a as number) >= (b as number);
      case '<': return c === undefined ? (a as number) < (b as number) : (a as number) < (b as number) && (b as number) < (c as number);
      case '<=': return c === undefined ? (a as number) <= (b as number) : (a as number) <= (b as number) && (b as number) <= (c as number);
      case '!': return !truthy(a);
      case '!!': return truthy(a);
    }
    return jsonLogic.apply({ [op]: values } as never) as JsonValue;
  }
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
  return eitherBranch(cond, then, otherwise);
}

/** A value that is one of `vals` (which one is not known): their possible values, type and truthiness joined. */
function eitherOf(vals: Val[], missing: readonly string[]): Val {
  const sets = vals.map(possibleValues);
  const all = sets.every((x) => x !== undefined) ? sets.flatMap((x) => x!) : undefined;
  const ts = vals.map(truthiness);
  const truthyAgreed = ts.every((t) => t !== undefined && t === ts[0]) ? ts[0] : undefined;
  const boolean = vals.every((v) => (isUnknown(v) ? v.info.boolean === true : typeof v === 'boolean'));
  return oneOf(all, missing, { boolean, truthy: truthyAgreed });
}

/**
 * An operator with unknown operands: when each unknown operand is one of a few values, try every
 * combination; if they all give the same result, that result is known.
 */
function applyOverPossible(op: string, values: Val[], unknown: Unknown): Val {
  const info: UnknownInfo = BOOLEAN_OPERATORS.has(op) ? SHARED_INFOS[3] : NO_INFO;
  const options: (readonly JsonValue[])[] = [];
  let count = 1;
  for (let k = 0; k < values.length; k++) {
    const o = possibleValues(values[k]);
    if (!o || count * o.length > MAX_COMBINATIONS) return new Unknown(unknown.missing, undefined, info);
    options.push(o);
    count *= o.length;
  }
  // Every combination, the first operand the most significant digit (the order of the results).
  const results: JsonValue[] = [];
  const args: JsonValue[] = new Array<JsonValue>(values.length);
  for (let n = 0; n < count; n++) {
    let rest = n;
    for (let k = values.length - 1; k >= 0; k--) {
      const o = options[k];
      args[k] = o[rest % o.length];
      rest = Math.floor(rest / o.length);
    }
    results.push(applyOperator(op, args));
  }
  return oneOf(results, unknown.missing, info);
}

/** Operators whose result is always true or false. */
const BOOLEAN_OPERATORS: ReadonlySet<string> = new Set(['==', '===', '!=', '!==', '>', '>=', '<', '<=', '!', '!!', 'in', 'some', 'all', 'none']);

/**
 * json-logic's and/or: the first operand whose truthiness decides (falsy for and, truthy for or),
 * else the last operand; later operands are not evaluated. Three-valued: when an operand before
 * the deciding one is unknown, the result is one of the unknown operands or the deciding one, so
 * it is unknown, but its truthiness is known when an operand decided (Kleene: `and(unknown,
 * false)` is falsy). Its possible values are those each operand could return given that the
 * operands before it could all pass.
 */
function evalAndOr(c: Call): Val {
  const decisive = c.op !== 'and';
  const parts: Val[] = [];
  let decided = false;
  for (let i = 0; i < c.args.length; i++) {
    const v = sub(c, i);
    parts.push(v);
    if (truthiness(v) === decisive) { decided = true; break; }
  }
  return andOrResult(parts, decisive, decided);
}

/** and/or's value from the operands it evaluated (`decided`: the last one decided it). */
function andOrResult(parts: Val[], decisive: boolean, decided: boolean): Val {
  if (!parts.length) return null;
  const unknown = anyUnknown(parts);
  if (!unknown) return parts[parts.length - 1];
  // The values the result can take: part j's value when every part before it can pass.
  let results: JsonValue[] | undefined = [];
  let canReach = true;
  for (let j = 0; j < parts.length && canReach && results; j++) {
    const poss = possibleValues(parts[j]);
    if (!poss) { results = undefined; break; }
    const last = j === parts.length - 1;
    for (const p of poss) if (last || truthy(p) === decisive) results.push(p);
    canReach = poss.some((p) => truthy(p) !== decisive);
  }
  const boolean = parts.every((v) => (isUnknown(v) ? v.info.boolean === true : typeof v === 'boolean'));
  return oneOf(results, unknown.missing, { boolean, truthy: decided ? decisive : undefined });
}

function evalVar(c: Call): Val {
  const { args, ctx, scope, ptr } = c;
  const pathVal = args.length ? sub(c, 0) : null;
  // A path that is not known reads a variable nobody can name yet: only its missing facts are known.
  if (isUnknown(pathVal)) return new Unknown(pathVal.missing);
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
    if (collecting && scope.root && path !== '') (isUnknown(found) ? collecting.unknown : collecting.known).set(path, found);
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
  if (collecting) collecting.presence = true;
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
  const list = sub(c, 0);
  if (!isUnknown(list)) return scopedOver(c, list);
  // The list is not known. When it is one of a few lists, the result is one of the results over
  // each; never the list's own possible values.
  const info: UnknownInfo = c.op === 'some' || c.op === 'all' || c.op === 'none' ? { boolean: true } : {};
  const lists = possibleValues(list);
  if (!lists) return overUnknownList(c.op, list)!;
  if (lists.length * Math.max(1, ...lists.map((l) => (Array.isArray(l) ? l.length : 1))) > MAX_COMBINATIONS * 4) return new Unknown(list.missing, undefined, info);
  const results = lists.map((l) => scopedOver(c, l));
  return eitherOf(results.map((r) => (isUnknown(r) ? new Unknown(r.missing, r.possible, r.info) : r)), unionUnknown(list, ...results).missing);
}

function scopedOver(c: Call, list: JsonValue): Val {
  const { op, args, scope } = c;
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
    return reduceResult(acc, unknowns);
  }
  if (!Array.isArray(list)) {
    return op === 'none' ? true : op === 'map' || op === 'filter' ? [] : false;
  }
  if (list.length === 0) return op === 'none' ? true : op === 'map' || op === 'filter' ? [] : false;
  const results = list.map((item, i) => sub(c, 1, { data: item, path: `${base}[${i}]`, reduce: false, root: false }));
  return scopedResult(op, list, results);
}

/** map/filter/some/none/all's value over a non-empty list from the predicate's value per item. */
function scopedResult(op: string, list: JsonValue[], results: Val[]): Val {
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
  if (Array.isArray(a)) {
    const y = b as JsonValue[];
    if (a.length !== y.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const x = a as Record<string, JsonValue>;
  const y = b as Record<string, JsonValue>;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (!Object.prototype.hasOwnProperty.call(y, k) || !sameJson(x[k], y[k])) return false;
  }
  return true;
}

/** Names a root variable path refers to: the first segment of a literal path. */
export function varPath(arg: JsonValue): string | undefined {
  const path = operands(arg)[0];
  if (typeof path === 'number') return String(path);
  return typeof path === 'string' ? path : undefined;
}

export { ABSENT };

// --- the three-valued semantics, shared with the compiler ----------------------------------------
// The compiled three-valued path (compile.ts) has its own control flow (slots, no tree walk, no
// Call objects) but combines values with these functions, the very ones the interpreter uses: one
// definition of what an operator does with an unknown operand.

/** A non-control operator on values that may be unknown (the interpreter's default case). */
export function applyThree(op: string, values: Val[]): Val {
  const unknown = anyUnknown(values);
  let result = unknown ? applyOverPossible(op, values, unknown) : applyOperator(op, values as JsonValue[]);
  if (isUnknown(result) && (op === '!' || op === '!!')) {
    // Only the first operand's truthiness counts, and it may be known when its value is not.
    const t = truthiness(values[0]);
    if (t !== undefined) result = op === '!' ? !t : t;
  }
  return result;
}

/** An array literal's value: unknown when an item is. */
export function arrayOf(items: Val[]): Val {
  return anyUnknown(items) ?? (items as JsonValue[]);
}

/** `if` whose condition is not decided: one of its two branches. */
export function eitherBranch(cond: Val, then: Val, otherwise: Val): Val {
  return eitherOf([then, otherwise], unionUnknown(cond, then, otherwise).missing);
}

/** A scoped operator over a list that is not known: undefined when the interpreter would try each possible list. */
export function overUnknownList(op: string, list: Unknown): Val | undefined {
  if (possibleValues(list)) return undefined;
  return new Unknown(list.missing, undefined, op === 'some' || op === 'all' || op === 'none' ? { boolean: true } : {});
}

/** The end of a reduce over a list: unknown when the accumulator was at any step. */
export function reduceResult(acc: Val, unknowns: Unknown[]): Val {
  return unknowns.length || isUnknown(acc) ? unionUnknown(acc, ...unknowns) : acc;
}

export { andOrResult, scopedResult };

/**
 * Whether the case split can try the values of this unknown read: a table, or a few possible
 * values. When one read has neither, the split gives the three-valued result as it is.
 */
export function splittable(u: Unknown): boolean {
  if (u.info.table) return true;
  const poss = possibleValues(u);
  return !!poss && poss.length > 0;
}

/**
 * Decide an unknown result by case split, as evaluateLogic does: `unknown` and `known` are the
 * root variables the evaluation read (in the order it read them), `resolveRoot` reads the rest.
 * `complete`, when given, evaluates each completion (compiled code); the tree walk covers the
 * completions it does not.
 */
export function splitResult(logic: Logic, context: Pick<EvalContext, 'node' | 'resolveRoot'>, pointer: string, three: Unknown, unknown: Map<string, Unknown>, known: Map<string, Val>, complete?: Completion): Val {
  const ctx: EvalContext = { mode: 'unknown', node: context.node, data: null, resolveRoot: context.resolveRoot, trace: undefined };
  const outer = collecting;
  collecting = undefined;
  try {
    return caseSplit(logic, ctx, pointer, three, { unknown, known, presence: false }, complete);
  } finally {
    collecting = outer;
  }
}
