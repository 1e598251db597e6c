// The analysis wing's formula IR: every expression of the guideline (definitions, clauses, options,
// populations, invariants) translated once into a small typed tree over *slots*. A slot is a
// scalar input, or one field of one item of a list input (lists are unrolled to a bound), and
// every slot has two parts: its value and whether it is known. "Not known" is thus a state of
// every input, as in the interpreter, and the presence operators (`missing`, `var` with a
// default) read the known part.
//
// Each IR node has two meanings, computed together by both backends (evalIR here, z3.ts):
//  - v: its value for the completion the slot values describe (every slot's value is used, known
//    or not; presence still reads the known flags): what json-logic gives once the absent facts
//    are supplied with those values;
//  - k: whether it is decided in strong Kleene logic from the known slots alone (and(x, false)
//    is decided; if with an undecided condition is decided when both branches agree...).
// The interpreter is sound for v (a value it decides is the value of every completion) and decides
// at least what k decides (test/analysis.test.ts checks both on generated patients); that is what
// the proofs in analyze.ts rely on.
import type { Guideline, InputDef, JsonValue, Logic } from '../runtime/index.ts';

export type Ty = 'bool' | 'num' | 'str' | 'null' | 'mix';

export type IR =
  | { op: 'const'; ty: Ty; value: null | boolean | number | string }
  | { op: 'val'; ty: Ty; slot: string }
  | { op: 'known'; ty: 'bool'; slot: string }
  | { op: 'inlist'; ty: 'bool'; list: string; index: number }
  | { op: 'not'; ty: 'bool'; a: IR }
  | { op: 'truthy'; ty: 'bool'; a: IR }
  | { op: 'and' | 'or'; ty: 'bool'; args: IR[] }
  | { op: 'ite'; ty: Ty; c: IR; a: IR; b: IR }
  | { op: 'cmp'; ty: 'bool'; k: '==' | '!=' | '<' | '<=' | '>' | '>='; a: IR; b: IR }
  | { op: 'arith'; ty: 'num'; k: '+' | '-' | '*' | '/' | 'max' | 'min' | 'sqrt' | 'neg'; args: IR[] }
  | { op: 'in'; ty: 'bool'; a: IR; set: (string | number)[] };

/** A slot of the domain: a scalar input or one field of one list item. */
export interface Slot {
  id: string;
  type: 'bool' | 'num' | 'enum';
  /** numbers: plausible range and integrality; enums: their values */
  min?: number;
  max?: number;
  integer?: boolean;
  values?: string[];
  /** list item field: the list, the item's index and the field name */
  list?: string;
  index?: number;
  field?: string;
}

export interface ListSlot { id: string; bound: number; fields: string[] }

/** The default bound on a list's length: every list has 0..LIST_BOUND items in the analysis. */
export const LIST_BOUND = 4;

export class Untranslatable extends Error {}

export interface Translation {
  slots: Map<string, Slot>;
  lists: Map<string, ListSlot>;
  /** IR of each definition, by id (translated on demand, shared) */
  definition(id: string): IR;
  /** IR of an expression (root scope) */
  expr(logic: Logic, where: string): IR;
  /** every string the IR uses, with a stable code (enum values and string literals) */
  codes: Map<string, number>;
  bound: number;
}

const C = (value: null | boolean | number | string): IR => ({ op: 'const', ty: value === null ? 'null' : typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'num' : 'str', value });
const TRUE = C(true);
const FALSE = C(false);

function join(a: Ty, b: Ty): Ty { return a === b ? a : 'mix'; }

export function slotId(list: string, index: number, field: string): string { return `${list}[${index}].${field}`; }

/** Translate the guideline's dictionary into slots, and its expressions into IR on demand. */
export function translate(g: Guideline, bound = LIST_BOUND): Translation {
  const slots = new Map<string, Slot>();
  const lists = new Map<string, ListSlot>();
  const inputs = new Map<string, InputDef>(g.inputs.map((i) => [i.id, i]));
  const codes = new Map<string, number>();
  const code = (s: string) => { if (!codes.has(s)) codes.set(s, codes.size + 1); return codes.get(s)!; };
  code('');
  const scalar = (id: string, f: { type: string; minimum?: number; maximum?: number; integer?: boolean; values?: { value: string }[] }, extra: Partial<Slot> = {}): Slot => {
    const s: Slot = f.type === 'boolean' ? { id, type: 'bool', ...extra }
      : f.type === 'enum' ? { id, type: 'enum', values: f.values!.map((v) => v.value), ...extra }
      : { id, type: 'num', min: f.minimum, max: f.maximum, integer: f.integer === true, ...extra };
    for (const v of s.values ?? []) code(v);
    slots.set(id, s);
    return s;
  };
  for (const i of g.inputs) {
    if (i.type === 'list') {
      const fields = Object.keys(i.items!.fields);
      const b = Math.min(bound, i.items!.maxItems ?? bound);
      lists.set(i.id, { id: i.id, bound: b, fields });
      for (let k = 0; k < b; k++) for (const f of fields) scalar(slotId(i.id, k, f), i.items!.fields[f], { list: i.id, index: k, field: f });
    } else scalar(i.id, i);
  }
  const defs = new Map(g.nodes.filter((n) => n.kind === 'definition').map((n) => [n.id, n as { id: string; expr: Logic }]));
  const done = new Map<string, IR>();
  const inProgress = new Set<string>();

  const ty = (x: IR) => x.ty;
  const truthy = (x: IR): IR => (x.ty === 'bool' ? x : { op: 'truthy', ty: 'bool', a: x });
  const not = (x: IR): IR => (x.op === 'const' ? C(!truthyJs(x.value)) : { op: 'not', ty: 'bool', a: truthy(x) });
  const ite = (c: IR, a: IR, b: IR): IR => {
    if (c.op === 'const') return truthyJs(c.value) ? a : b;
    return { op: 'ite', ty: join(ty(a), ty(b)), c: truthy(c), a, b };
  };

  type Scope =
    | { kind: 'root' }
    | { kind: 'item'; list: string; index: number }
    | { kind: 'reduce'; current: Scope | IR; acc: IR }
    | { kind: 'value'; value: IR };

  const readVar = (name: string, scope: Scope, where: string): IR => {
    if (scope.kind === 'item') {
      const l = lists.get(scope.list)!;
      if (!l.fields.includes(name)) throw new Untranslatable(`${where}: item field "${name}" of ${scope.list}`);
      const s = slotId(scope.list, scope.index, name);
      return { op: 'val', ty: slots.get(s)!.type === 'bool' ? 'bool' : slots.get(s)!.type === 'num' ? 'num' : 'str', slot: s };
    }
    if (scope.kind === 'reduce') {
      if (name === 'accumulator') return scope.acc;
      if (name === 'current') { if ('op' in scope.current) return scope.current; throw new Untranslatable(`${where}: a whole list item`); }
      if (name.startsWith('current.')) { const cur = scope.current; if ('op' in cur) throw new Untranslatable(`${where}: ${name} of a value`); return readVar(name.slice(8), cur, where); }
      throw new Untranslatable(`${where}: variable "${name}" inside reduce`);
    }
    if (scope.kind === 'value') { if (name === '') return scope.value; throw new Untranslatable(`${where}: "${name}" of a literal item`); }
    if (inputs.has(name)) {
      const i = inputs.get(name)!;
      if (i.type === 'list') throw new Untranslatable(`${where}: list "${name}" used as a value`);
      return { op: 'val', ty: i.type === 'boolean' ? 'bool' : i.type === 'number' ? 'num' : 'str', slot: name };
    }
    if (defs.has(name)) return definition(name);
    throw new Untranslatable(`${where}: unknown variable "${name}"`);
  };

  const listOf = (logic: Logic, scope: Scope, where: string): { list: string } | { items: IR[] } => {
    if (Array.isArray(logic)) return { items: logic.map((x) => tr(x, scope, where)) };
    if (logic && typeof logic === 'object' && 'var' in logic && scope.kind === 'root') {
      const name = (logic as { var: JsonValue }).var;
      if (typeof name === 'string' && lists.has(name)) return { list: name };
    }
    throw new Untranslatable(`${where}: a list that is not a list input or a literal`);
  };

  const scoped = (op: string, args: JsonValue[], scope: Scope, where: string): IR => {
    const src = listOf(args[0], scope, where);
    const perItem = (body: Logic, extra?: IR) => {
      if ('list' in src) {
        const l = lists.get(src.list)!;
        return Array.from({ length: l.bound }, (_, i) => ({ guard: { op: 'inlist', ty: 'bool', list: src.list, index: i } as IR, s: { kind: 'item', list: src.list, index: i } as Scope }));
      }
      void body; void extra;
      return src.items.map((it) => ({ guard: TRUE, s: { kind: 'value', value: it } as Scope }));
    };
    if (op === 'some' || op === 'none' || op === 'all') {
      const items = perItem(args[1]);
      const bodies = items.map(({ guard, s }) => ({ guard, b: truthy(tr(args[1], s, where)) }));
      if (op === 'some') return bodies.length ? { op: 'or', ty: 'bool', args: bodies.map(({ guard, b }) => ({ op: 'and', ty: 'bool', args: [guard, b] })) } : FALSE;
      if (op === 'none') return bodies.length ? not({ op: 'or', ty: 'bool', args: bodies.map(({ guard, b }) => ({ op: 'and', ty: 'bool', args: [guard, b] })) }) : TRUE;
      // all: false on the empty list (json-logic)
      if (!bodies.length) return FALSE;
      return { op: 'and', ty: 'bool', args: [bodies[0].guard, ...bodies.map(({ guard, b }) => ({ op: 'or', ty: 'bool', args: [not(guard), b] }) as IR)] };
    }
    if (op === 'reduce') {
      let acc = args.length > 2 ? tr(args[2], scope, where) : C(null);
      if ('list' in src) {
        const l = lists.get(src.list)!;
        for (let i = 0; i < l.bound; i++) {
          const body = tr(args[1], { kind: 'reduce', current: { kind: 'item', list: src.list, index: i }, acc }, where);
          acc = ite({ op: 'inlist', ty: 'bool', list: src.list, index: i }, body, acc);
        }
      } else for (const it of src.items) acc = tr(args[1], { kind: 'reduce', current: it, acc }, where);
      return acc;
    }
    throw new Untranslatable(`${where}: operator ${op}`);
  };

  const tr = (logic: Logic, scope: Scope, where: string): IR => {
    if (logic === null || typeof logic !== 'object') return C(logic as null | boolean | number | string);
    if (Array.isArray(logic)) throw new Untranslatable(`${where}: an array literal as a value`);
    const keys = Object.keys(logic);
    if (keys.length !== 1) throw new Untranslatable(`${where}: an object literal`);
    const op = keys[0];
    const raw = (logic as Record<string, JsonValue>)[op];
    const args = Array.isArray(raw) ? raw : [raw];
    const a = (i: number) => tr(args[i], scope, where);
    switch (op) {
      case 'var': {
        const name = args[0];
        if (typeof name !== 'string') throw new Untranslatable(`${where}: var of a non-string`);
        const read = readVar(name, scope, where);
        if (args.length < 2) return read;
        // a default: the fact's presence decides which
        if (read.op !== 'val') throw new Untranslatable(`${where}: default on a definition`);
        const d = tr(args[1], scope, where);
        return ite({ op: 'known', ty: 'bool', slot: read.slot }, read, d);
      }
      case 'missing': {
        if (scope.kind !== 'root') throw new Untranslatable(`${where}: missing inside a list`);
        const names = args.map((n) => { if (typeof n !== 'string' || !slots.has(n)) throw new Untranslatable(`${where}: missing of "${String(n)}"`); return n; });
        // json-logic returns the list of absent names; the guideline only tests its truthiness
        return { op: 'or', ty: 'bool', args: names.map((n) => not({ op: 'known', ty: 'bool', slot: n })) };
      }
      case '!': return not(a(0));
      case '!!': return truthy(a(0));
      case 'and': case 'or': {
        const xs = args.map((_, i) => a(i));
        if (xs.every((x) => x.ty === 'bool')) return xs.length === 1 ? xs[0] : { op: op as 'and' | 'or', ty: 'bool', args: xs };
        // json-logic returns an operand: the first falsy (and) / truthy (or) one, else the last
        let out = xs[xs.length - 1];
        for (let i = xs.length - 2; i >= 0; i--) out = op === 'and' ? ite(xs[i], out, xs[i]) : ite(xs[i], xs[i], out);
        return out;
      }
      case 'if': case '?:': {
        const go = (i: number): IR => (i >= args.length ? C(null) : i === args.length - 1 ? a(i) : ite(a(i), a(i + 1), go(i + 2)));
        return go(0);
      }
      case '==': case '===': case '!=': case '!==': {
        const k = op.startsWith('!') ? '!=' : '==';
        return { op: 'cmp', ty: 'bool', k, a: a(0), b: a(1) };
      }
      case '<': case '<=': case '>': case '>=': {
        const xs = args.map((_, i) => a(i));
        for (const x of xs) if (x.ty !== 'num') throw new Untranslatable(`${where}: ${op} on a ${x.ty}`);
        if (xs.length === 3) return { op: 'and', ty: 'bool', args: [{ op: 'cmp', ty: 'bool', k: op, a: xs[0], b: xs[1] }, { op: 'cmp', ty: 'bool', k: op, a: xs[1], b: xs[2] }] };
        return { op: 'cmp', ty: 'bool', k: op, a: xs[0], b: xs[1] };
      }
      case '+': case '*': case '-': case '/': case 'max': case 'min': case 'sqrt': {
        const xs = args.map((_, i) => a(i)).map((x) => (x.ty === 'bool' ? ite(x, C(1), C(0)) : x));
        for (const x of xs) if (x.ty !== 'num') throw new Untranslatable(`${where}: ${op} on a ${x.ty}`);
        if (op === '-' && xs.length === 1) return { op: 'arith', ty: 'num', k: 'neg', args: xs };
        if (xs.length === 1 && op !== 'sqrt') return xs[0];
        return { op: 'arith', ty: 'num', k: op as 'sqrt', args: xs };
      }
      case 'in': {
        const set = args[1];
        if (!Array.isArray(set) || !set.every((x) => typeof x === 'string' || typeof x === 'number')) throw new Untranslatable(`${where}: in over something else than a literal list`);
        for (const s of set) if (typeof s === 'string') code(s);
        return { op: 'in', ty: 'bool', a: a(0), set: set as (string | number)[] };
      }
      case 'some': case 'none': case 'all': case 'reduce': return scoped(op, args, scope, where);
      default: throw new Untranslatable(`${where}: operator ${op}`);
    }
  };

  function definition(id: string): IR {
    const hit = done.get(id);
    if (hit) return hit;
    if (inProgress.has(id)) throw new Untranslatable(`definition ${id}: a cycle`);
    inProgress.add(id);
    const ir = tr(defs.get(id)!.expr, { kind: 'root' }, `definition ${id}`);
    inProgress.delete(id);
    done.set(id, ir);
    return ir;
  }
  const expr = (logic: Logic, where: string) => {
    const ir = tr(logic, { kind: 'root' }, where);
    collectCodes(ir, code);
    return ir;
  };
  for (const id of defs.keys()) { try { collectCodes(definition(id), code); } catch (e) { if (!(e instanceof Untranslatable)) throw e; } }
  return { slots, lists, definition: (id) => { const d = definition(id); collectCodes(d, code); return d; }, expr, codes, bound };
}

function collectCodes(ir: IR, code: (s: string) => number, seen = new Set<IR>()): void {
  if (seen.has(ir)) return;
  seen.add(ir);
  if (ir.op === 'const' && typeof ir.value === 'string') code(ir.value);
  for (const c of children(ir)) collectCodes(c, code, seen);
}

export function children(ir: IR): IR[] {
  switch (ir.op) {
    case 'not': case 'truthy': case 'in': return [ir.a];
    case 'and': case 'or': case 'arith': return ir.args;
    case 'ite': return [ir.c, ir.a, ir.b];
    case 'cmp': return [ir.a, ir.b];
    default: return [];
  }
}

/** The slots (and lists) an IR reads, transitively. */
export function slotsOf(ir: IR, out = new Set<string>(), seen = new Set<IR>()): Set<string> {
  if (seen.has(ir)) return out;
  seen.add(ir);
  if (ir.op === 'val' || ir.op === 'known') out.add(ir.slot);
  if (ir.op === 'inlist') out.add(ir.list);
  for (const c of children(ir)) slotsOf(c, out, seen);
  return out;
}

export function truthyJs(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return !!v;
}

/** One assignment of the domain: a value and a known flag per slot, a known flag and length per list. */
export interface Assignment {
  value: Map<string, JsonValue>;
  known: Map<string, boolean>;
  /** list id -> length */
  length: Map<string, number>;
}

export interface Tri { k: boolean; v: JsonValue }

/** Evaluate an IR on an assignment: its completion value v and its Kleene decidedness k. */
export function evalIR(ir: IR, a: Assignment, memo = new Map<IR, Tri>()): Tri {
  const hit = memo.get(ir);
  if (hit) return hit;
  const r = evalUncached(ir, a, memo);
  memo.set(ir, r);
  return r;
}

function slotKnown(slot: string, a: Assignment): boolean {
  const k = a.known.get(slot) ?? false;
  const l = slot.indexOf('[');
  return l > 0 ? k && (a.known.get(slot.slice(0, l)) ?? false) : k;
}

function looseEq(x: JsonValue, y: JsonValue): boolean {
  // eslint-disable-next-line eqeqeq
  return x == y;
}

function evalUncached(ir: IR, a: Assignment, memo: Map<IR, Tri>): Tri {
  const ev = (x: IR) => evalIR(x, a, memo);
  switch (ir.op) {
    case 'const': return { k: true, v: ir.value };
    case 'val': return { k: slotKnown(ir.slot, a), v: a.value.get(ir.slot) ?? null };
    case 'known': return { k: true, v: a.known.get(ir.slot) ?? false };
    case 'inlist': return { k: a.known.get(ir.list) ?? false, v: ir.index < (a.length.get(ir.list) ?? 0) };
    case 'not': { const x = ev(ir.a); return { k: x.k, v: !truthyJs(x.v) }; }
    case 'truthy': { const x = ev(ir.a); return { k: x.k, v: truthyJs(x.v) }; }
    case 'and': case 'or': {
      const xs = ir.args.map(ev);
      const decisive = ir.op === 'and' ? false : true;
      const v = ir.op === 'and' ? xs.every((x) => truthyJs(x.v)) : xs.some((x) => truthyJs(x.v));
      const k = xs.every((x) => x.k) || xs.some((x) => x.k && truthyJs(x.v) === decisive);
      return { k, v };
    }
    case 'ite': {
      const c = ev(ir.c);
      const t = ev(ir.a);
      const e = ev(ir.b);
      const v = truthyJs(c.v) ? t.v : e.v;
      const k = (c.k && (truthyJs(c.v) ? t.k : e.k)) || (t.k && e.k && t.v === e.v);
      return { k, v };
    }
    case 'cmp': {
      const x = ev(ir.a);
      const y = ev(ir.b);
      const xv = x.v as number;
      const yv = y.v as number;
      const v = ir.k === '==' ? looseEq(x.v, y.v) : ir.k === '!=' ? !looseEq(x.v, y.v) : ir.k === '<' ? xv < yv : ir.k === '<=' ? xv <= yv : ir.k === '>' ? xv > yv : xv >= yv;
      return { k: x.k && y.k, v };
    }
    case 'arith': {
      const xs = ir.args.map(ev);
      const n = xs.map((x) => Number(x.v));
      let v: number;
      switch (ir.k) {
        case '+': v = n.reduce((s, x) => s + x, 0); break;
        case '*': v = n.reduce((s, x) => s * x, 1); break;
        case '-': v = n[0] - n[1]; break;
        case '/': v = n[0] / n[1]; break;
        case 'max': v = Math.max(...n); break;
        case 'min': v = Math.min(...n); break;
        case 'sqrt': v = Math.sqrt(n[0]); break;
        case 'neg': v = -n[0]; break;
      }
      return { k: xs.every((x) => x.k), v };
    }
    case 'in': { const x = ev(ir.a); return { k: x.k, v: ir.set.some((s) => s === x.v) }; }
  }
}

/** The assignment a facts object describes (absent facts: not known, value from `fill`). */
export function assignmentOf(t: Translation, facts: Record<string, JsonValue>, fill?: (slot: Slot) => JsonValue): Assignment {
  const value = new Map<string, JsonValue>();
  const known = new Map<string, boolean>();
  const length = new Map<string, number>();
  for (const s of t.slots.values()) {
    if (s.list) continue;
    const has = Object.prototype.hasOwnProperty.call(facts, s.id) && facts[s.id] !== null;
    known.set(s.id, has);
    value.set(s.id, has ? facts[s.id] : fill ? fill(s) : null);
  }
  for (const l of t.lists.values()) {
    const v = facts[l.id];
    const has = Array.isArray(v);
    known.set(l.id, has);
    const items = has ? (v as Record<string, JsonValue>[]) : [];
    if (items.length > l.bound) throw new Error(`${l.id} has ${items.length} items; the analysis bounds it to ${l.bound}`);
    length.set(l.id, has ? items.length : fill ? 0 : 0);
    for (let i = 0; i < l.bound; i++) {
      for (const f of l.fields) {
        const id = slotId(l.id, i, f);
        const item = items[i];
        const hasF = !!item && Object.prototype.hasOwnProperty.call(item, f) && item[f] !== null;
        known.set(id, hasF);
        value.set(id, hasF ? item[f] : fill ? fill(t.slots.get(id)!) : null);
      }
    }
  }
  return { value, known, length };
}

/** The facts object of an assignment: every known slot (list items up to the list's length). */
export function factsOf(t: Translation, a: Assignment): Record<string, JsonValue> {
  const facts: Record<string, JsonValue> = {};
  for (const s of t.slots.values()) if (!s.list && a.known.get(s.id)) facts[s.id] = a.value.get(s.id)!;
  for (const l of t.lists.values()) {
    if (!a.known.get(l.id)) continue;
    const items: Record<string, JsonValue>[] = [];
    for (let i = 0; i < (a.length.get(l.id) ?? 0); i++) {
      const item: Record<string, JsonValue> = {};
      for (const f of l.fields) { const id = slotId(l.id, i, f); if (a.known.get(id)) item[f] = a.value.get(id)!; }
      items.push(item);
    }
    facts[l.id] = items;
  }
  return Object.fromEntries(Object.entries(facts).sort(([x], [y]) => (x < y ? -1 : 1)));
}

/** A small seeded generator (mulberry32): the analysis and its tests draw the same patients for a seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random assignment of the domain: each slot known with probability `pKnown` (lists too),
 * numbers mostly at a constant they are compared with or one step beside it, else anywhere in
 * their range (one decimal, or integral); every slot has a value (the completion).
 */
export function randomAssignment(t: Translation, r: () => number, constants: Map<string, Set<number>>, pKnown = 1): Assignment {
  const value = new Map<string, JsonValue>();
  const known = new Map<string, boolean>();
  const length = new Map<string, number>();
  for (const s of t.slots.values()) {
    known.set(s.id, r() < pKnown);
    value.set(s.id, randomValue(s, r, constants.get(s.list ? `${s.list}[].${s.field}` : s.id) ?? constants.get(s.id)));
  }
  for (const l of t.lists.values()) {
    known.set(l.id, r() < pKnown);
    length.set(l.id, Math.floor(r() * (l.bound + 1)));
  }
  return { value, known, length };
}

export function randomValue(s: Slot, r: () => number, cs?: Set<number>): JsonValue {
  if (s.type === 'bool') return r() < 0.5;
  if (s.type === 'enum') return s.values![Math.floor(r() * s.values!.length)];
  const min = s.min ?? 0;
  const max = s.max ?? 100;
  const step = s.integer ? 1 : 0.1;
  const near: number[] = [min, max];
  for (const c of cs ?? []) for (const x of [c - step, c, c + step]) if (x >= min && x <= max) near.push(s.integer ? Math.round(x) : Math.round(x * 100) / 100);
  if (r() < 0.7) return near[Math.floor(r() * near.length)];
  const x = min + r() * (max - min);
  return s.integer ? Math.round(x) : Math.round(x * 10) / 10;
}
