// The compiler: one JSON-Logic expression of a node into JavaScript functions, built once when a
// guideline is prepared. Variables are resolved to slots at compile time and each operator's
// json-logic-js semantics is inlined (no call into json-logic-js, no tree walk). Two variants:
//
// - the two-valued fast path: each read checks a byte of presence (`K[slot] === 1`, known) on the
//   path the evaluation actually takes; when a read is not known it returns FALLBACK.
// - the three-valued path (`three`), run when the fast path fell back: values may be Unknown, and
//   an operator with an unknown operand combines them with the interpreter's own functions
//   (logic.ts, "shared with the compiler"); known operands still take the inlined code. It logs the
//   root slots it reads (`R`), so that an unknown result is decided by the interpreter's case split
//   on exactly the reads the interpreter would have made.
//
// With the same values both take the interpreter's path and give its value; where either meets
// what it does not cover at run time (a definition not computed yet, an operator that throws, a
// list whose possible values would have to be tried) it returns FALLBACK and the caller runs the
// interpreter (the reference) on that expression. `test/compile.test.ts` checks results and traces
// byte for byte against the interpreter.
//
// What is not compiled (the expression then always runs on the interpreter): `missing` and
// `missing_some` in the three-valued path and inside list operators (they observe presence),
// variables that are not a plain name of an input or an earlier definition, operators outside
// their arity, and expressions beyond the interpreter's limits.
import { escapeSegment, FORBIDDEN_SEGMENTS, isLogicObject, LIMITS, measure, OPERATOR_ARITY, operands, SCOPED_OPERATORS, sqrtOperation, truthy, type TraceEvent } from './logic.ts';
import { andOrResult, applyThree, arrayOf, eitherBranch, overUnknownList, reduceResult, scopedResult, truthiness, Unknown } from './logic.ts';
import type { JsonValue, Logic } from './types.ts';

/** Returned by a compiled expression when a value it reads is not known. */
export const FALLBACK: unique symbol = Symbol('fallback');

/**
 * A compiled expression. `V`: the value of each slot; `K`: 1 where that value is known, 2 where it
 * is unknown, 0 not computed yet; `T`: the trace to append to (only the tracing variants read it);
 * `N`: the node id (for trace events); `R`: the three-valued variant appends each root slot it
 * reads, in order (the fast path ignores it).
 */
export type CompiledExpression = (V: readonly unknown[], K: Uint8Array, T: TraceEvent[] | undefined, N: string, R?: number[]) => JsonValue | Unknown | typeof FALLBACK;

/** Where a root variable lives: its slot and, for the trace, whether it is a fact or a definition. */
export interface SlotRef { slot: number; source: 'fact' | 'definition' }

class Uncompilable extends Error {}

/**
 * Where generated code runs: the root (variables are slots) or a list operator's predicate
 * (`item`: the variable holding the item; `acc`: the accumulator, inside reduce; `path`: the
 * variable holding the scope's name for the trace, e.g. prior_systemic_therapies[1]).
 */
interface CScope { root: boolean; item: string; acc?: string; path: string }

let available: boolean | undefined;
/** Whether code can be generated here (a page under a strict CSP forbids `new Function`). */
export function compilerAvailable(): boolean {
  if (available === undefined) {
    try {
      available = (new Function('return 1') as () => number)() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}

/** parseFloat as json-logic's `+` and `*` apply it; a number is itself, except that -0 becomes 0. */
function pf(x: unknown): number {
  return typeof x === 'number' ? (x === 0 ? 0 : x) : parseFloat(x as string);
}
function tr(x: unknown): boolean {
  return truthy(x as JsonValue);
}
/** json-logic-js 2.0.5's `in`, verbatim in behaviour. */
function inOp(a: unknown, b: unknown): boolean {
  if (!b || typeof (b as { indexOf?: unknown }).indexOf === 'undefined') return false;
  return (b as { indexOf: (x: unknown) => number }).indexOf(a) !== -1;
}
/** json-logic-js 2.0.5's `substr`. */
function substr(source: unknown, start: number, end?: number): string {
  if ((end as number) < 0) {
    const temp = String(source).substr(start);
    return temp.substr(0, temp.length + (end as number));
  }
  return String(source).substr(start, end);
}
/** A dotted path read inside a list operator's item (own properties only), as the interpreter's lookup; AB when absent. */
const AB: unique symbol = Symbol('absent');
function look(data: unknown, segs: readonly string[]): unknown {
  for (let i = 0; i < segs.length; i++) {
    if (data === null || data === undefined || typeof data !== 'object') return AB;
    const seg = segs[i];
    if (FORBIDDEN_SEGMENTS.has(seg) || !Object.prototype.hasOwnProperty.call(data, seg)) return AB;
    data = (data as Record<string, unknown>)[seg];
    if (data === undefined) return AB;
  }
  return data;
}

function literal(v: JsonValue): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v); // boolean, null
}

/** The trace event `ev` with a value's fields (as the interpreter records them: missing and possible, or value). */
function recordValue(ev: TraceEvent, v: unknown): TraceEvent {
  if (v instanceof Unknown) {
    ev.missing = [...v.missing];
    if (v.possible) ev.possible = [...v.possible];
  } else ev.value = v as JsonValue;
  return ev;
}
/** A root read's trace event (the variable lookup records missing facts only, never possible values). */
function recordRead(ev: TraceEvent, v: unknown): TraceEvent {
  if (v instanceof Unknown) ev.missing = [...v.missing];
  else ev.value = v as JsonValue;
  return ev;
}

/** What the three-valued code calls: the interpreter's combinations (logic.ts) and the trace helpers. */
const THREE = {
  truth: truthiness, op: applyThree, arr: arrayOf, either: eitherBranch, andOr: andOrResult,
  scoped: scopedResult, ulist: overUnknownList, red: reduceResult, rec: recordValue, read: recordRead,
};

/** Compiles one expression, or returns undefined when it is outside what the compiler covers. */
export function compileExpression(logic: Logic, pointer: string, resolve: (name: string) => SlotRef | undefined, trace: boolean, three = false): CompiledExpression | undefined {
  if (!compilerAvailable()) return undefined;
  const code = generateExpression(logic, pointer, resolve, trace, three);
  if (!code) return undefined;
  let factory = factories.get(code.body);
  if (!factory) {
    if (factories.size >= MAX_FACTORIES) factories.clear();
    factory = new Function('C', ...HELPER_NAMES, code.body) as (...x: unknown[]) => CompiledExpression;
    factories.set(code.body, factory);
  }
  return factory(code.consts, ...helperValues());
}

/**
 * Generated code by its text: a guideline compiled again (each draft the editor compares, a
 * bundle read back) parses only what is new, and its functions share V8's optimised code with
 * the earlier ones. The constants are bound anew on each call.
 */
const factories = new Map<string, (...x: unknown[]) => CompiledExpression>();
const MAX_FACTORIES = 20_000;

/**
 * The slots an expression can read at its root (a list operator's predicate reads its items, not
 * slots), sorted: what its value is a function of. Undefined when a root variable is not a slot
 * or the expression observes presence (`missing`).
 */
export function staticReads(logic: Logic, resolve: (name: string) => SlotRef | undefined): number[] | undefined {
  const slots = new Set<number>();
  let ok = true;
  const walk = (l: JsonValue): void => {
    if (!ok || l === null || typeof l !== 'object') return;
    if (Array.isArray(l)) { l.forEach(walk); return; }
    if (!isLogicObject(l)) return;
    const op = Object.keys(l)[0];
    const args = operands(l[op]);
    if (op === 'var') {
      const ref = typeof args[0] === 'string' ? resolve(args[0]) : undefined;
      if (!ref) { ok = false; return; }
      slots.add(ref.slot);
      args.slice(1).forEach(walk);
      return;
    }
    if (SCOPED.has(op)) { walk(args[0]); if (args.length > 2) walk(args[2]); return; }
    // missing/missing_some read the presence of names given as data: not a static read set
    if (op === 'missing' || op === 'missing_some') { ok = false; return; }
    args.forEach(walk);
  };
  walk(logic as JsonValue);
  return ok ? [...slots].sort((a, b) => a - b) : undefined;
}
const SCOPED: ReadonlySet<string> = new Set(SCOPED_OPERATORS);

/** The helpers generated code calls, by the names it calls them (compiled-module.ts passes them too). */
export const HELPER_NAMES = ['pf', 'tr', 'inOp', 'substr', 'sq', 'look', 'AB', 'FB', 'U', 'H'] as const;
export function helperValues(): unknown[] {
  return [pf, tr, inOp, substr, sqrtOperation, look, AB, FALLBACK, Unknown, THREE];
}

/**
 * The JavaScript of one expression, as text (no code is run): `body` returns the compiled
 * function from the constants `C` (JSON values) and the helpers named in HELPER_NAMES.
 * Undefined when the expression is outside what the compiler covers.
 */
export function generateExpression(logic: Logic, pointer: string, resolve: (name: string) => SlotRef | undefined, trace: boolean, three = false): { body: string; consts: JsonValue[] } | undefined {
  const { depth, size } = measure(logic);
  if (depth > LIMITS.maxDepth || size > LIMITS.maxSize) return undefined;
  const consts: JsonValue[] = [];
  const lines: string[] = [];
  let n = 0;
  const temp = () => `t${n++}`;
  const konst = (v: JsonValue) => { consts.push(v); return `C[${consts.length - 1}]`; };
  const push = (s: string) => lines.push(s);
  const event = (fields: string) => { if (trace) push(`T.push({${fields}});`); };
  /** three-valued: an event whose value may be unknown (`how`: H.rec, or H.read for a root read) */
  const event3 = (fields: string, value: string, how = 'rec') => { if (trace) push(`T.push(H.${how}({${fields}}, ${value}));`); };
  /** a condition's truthiness, undefined when it is not decided */
  const truth = (v: string) => `(${v} instanceof U ? H.truth(${v}) : tr(${v}))`;

  function gen(l: JsonValue, ptr: string, sc: CScope): string {
    if (Array.isArray(l)) {
      const items = l.map((x, i) => gen(x, `${ptr}/${i}`, sc));
      const t = temp();
      push(three ? `const ${t} = H.arr([${items.join(', ')}]);` : `const ${t} = [${items.join(', ')}];`);
      return t;
    }
    if (l === null || typeof l !== 'object') return literal(l);
    if (!isLogicObject(l)) return konst(l); // the interpreter returns such an object itself
    const op = Object.keys(l)[0];
    const raw = l[op];
    const args = operands(raw);
    const arity = Object.prototype.hasOwnProperty.call(OPERATOR_ARITY, op) ? OPERATOR_ARITY[op] : undefined;
    if (!arity || args.length < arity[0] || args.length > arity[1]) throw new Uncompilable(op);
    const at = (i: number) => (Array.isArray(raw) ? `${ptr}/${escapeSegment(op)}/${i}` : `${ptr}/${escapeSegment(op)}`);
    const scopeField = sc.root ? '' : `, scope: ${sc.path}`;
    const opEvent = (value: string) => {
      const fields = `type: 'op', node: N, pointer: ${JSON.stringify(ptr)}, op: ${JSON.stringify(op)}${scopeField}`;
      if (three) event3(fields, value);
      else event(`${fields}, value: ${value}`);
    };

    if (op === 'var' && !sc.root) {
      // inside a list operator: the item (or {current, accumulator}); an absent value is unknown here
      const p0 = args[0];
      if (!(p0 === undefined || p0 === null || typeof p0 === 'string' || typeof p0 === 'number')) throw new Uncompilable('var');
      const path = p0 === undefined || p0 === null || p0 === '' ? '' : String(p0);
      const segs = path === '' ? [] : path.split('.');
      let base: string;
      let rest: string[];
      if (sc.acc !== undefined && segs[0] === 'current') { base = sc.item; rest = segs.slice(1); }
      else if (sc.acc !== undefined && segs[0] === 'accumulator') { base = sc.acc; rest = segs.slice(1); }
      else if (sc.acc !== undefined) { base = `{ current: ${sc.item}, accumulator: ${sc.acc} }`; rest = segs; }
      else { base = sc.item; rest = segs; }
      const t = temp();
      if (three) {
        // absent: the default when there is one, else unknown under the item's name (the interpreter's scopedName)
        push(`let ${t} = ${rest.length ? `look(${base}, ${konst(rest)})` : base};`);
        if (rest.length) {
          push(`if (${t} === AB) {`);
          if (args.length > 1) {
            const d = gen(args[1], at(1), sc);
            push(`${t} = ${d};`);
          } else {
            const name = sc.acc !== undefined
              ? (/^current(?=\.|$)/.test(path) ? `${sc.path} + ${JSON.stringify(path.slice('current'.length))}` : JSON.stringify(path))
              : `${sc.path} + ${JSON.stringify(`.${path}`)}`;
            push(`${t} = new U([${name}]);`);
          }
          push('}');
        }
        event3(`type: 'read', node: N, pointer: ${JSON.stringify(ptr)}, name: ${JSON.stringify(path)}${scopeField}`, t);
        return t;
      }
      if (rest.length) {
        push(`const ${t} = look(${base}, ${konst(rest)});`);
        push(`if (${t} === AB) return FB;`);
      } else push(`const ${t} = ${base};`);
      event(`type: 'read', node: N, pointer: ${JSON.stringify(ptr)}, name: ${JSON.stringify(path)}${scopeField}, value: ${t}`);
      return t;
    }
    if (op === 'var') {
      const name = args[0];
      if (typeof name !== 'string' || name === '') throw new Uncompilable('var');
      const ref = resolve(name);
      if (!ref) throw new Uncompilable('var');
      const t = temp();
      if (three) {
        // a definition not computed yet is the interpreter's error to report
        push(`if (K[${ref.slot}] === 0) return FB;`);
        push(`let ${t} = V[${ref.slot}];`);
        if (ptr) event3(`type: 'read', node: N, pointer: ${JSON.stringify(ptr)}, name: ${JSON.stringify(name)}, source: '${ref.source}'`, t, 'read');
        if (args.length > 1) {
          // an unknown value takes the default, and is then not a read the case split tries
          push(`if (${t} instanceof U) {`);
          const d = gen(args[1], at(1), sc);
          push(`${t} = ${d};`);
          push(`} else R.push(${ref.slot});`);
        } else push(`R.push(${ref.slot});`);
        return t;
      }
      push(`if (K[${ref.slot}] !== 1) return FB;`);
      push(`const ${t} = V[${ref.slot}];`);
      if (ptr) event(`type: 'read', node: N, pointer: ${JSON.stringify(ptr)}, name: ${JSON.stringify(name)}, source: '${ref.source}', value: ${t}`);
      return t;
    }
    if ((op === 'if' || op === '?:') && three) {
      // an undecided condition evaluates both branches (then first) and gives one of them
      const genIf = (i: number): string => {
        if (i >= args.length) return 'null';
        if (i === args.length - 1) return gen(args[i], at(i), sc);
        const r = temp();
        const tv = temp();
        const th = temp();
        const el = temp();
        push(`let ${r}, ${th}, ${el};`);
        const c = gen(args[i], at(i), sc);
        push(`const ${tv} = ${truth(c)};`);
        push(`if (${tv} !== false) {`);
        const then = gen(args[i + 1], at(i + 1), sc);
        push(`${th} = ${then};`);
        push('}');
        push(`if (${tv} !== true) {`);
        const otherwise = genIf(i + 2);
        push(`${el} = ${otherwise};`);
        push('}');
        push(`${r} = ${tv} === true ? ${th} : ${tv} === false ? ${el} : H.either(${c}, ${th}, ${el});`);
        return r;
      };
      const r = genIf(0);
      opEvent(r);
      return r;
    }
    if (op === 'if' || op === '?:') {
      const genIf = (i: number): string => {
        if (i >= args.length) return 'null';
        if (i === args.length - 1) return gen(args[i], at(i), sc);
        const r = temp();
        push(`let ${r};`);
        const c = gen(args[i], at(i), sc);
        push(`if (tr(${c})) {`);
        const then = gen(args[i + 1], at(i + 1), sc);
        push(`${r} = ${then};`);
        push('} else {');
        const otherwise = genIf(i + 2);
        push(`${r} = ${otherwise};`);
        push('}');
        return r;
      };
      const r = genIf(0);
      opEvent(r);
      return r;
    }
    if ((op === 'and' || op === 'or') && three) {
      // operands until one decides (by truthiness, which an unknown may have); H.andOr joins them
      const decisive = op !== 'and';
      const r = temp();
      const parts = temp();
      const decided = temp();
      push(`const ${parts} = []; let ${decided} = false;`);
      let open = 0;
      args.forEach((a, i) => {
        const v = gen(a, at(i), sc);
        push(`${parts}.push(${v});`);
        if (i < args.length - 1) { push(`if (${truth(v)} === ${decisive}) ${decided} = true; else {`); open++; }
        else push(`if (${truth(v)} === ${decisive}) ${decided} = true;`);
      });
      for (let i = 0; i < open; i++) push('}');
      push(`const ${r} = H.andOr(${parts}, ${decisive}, ${decided});`);
      opEvent(r);
      return r;
    }
    if (op === 'and' || op === 'or') {
      const r = temp();
      push(`let ${r};`);
      let open = 0;
      args.forEach((a, i) => {
        const v = gen(a, at(i), sc);
        push(`${r} = ${v};`);
        if (i < args.length - 1) { push(op === 'and' ? `if (tr(${r})) {` : `if (!tr(${r})) {`); open++; }
      });
      for (let i = 0; i < open; i++) push('}');
      opEvent(r);
      return r;
    }
    if ((op === 'missing' || op === 'missing_some') && three) throw new Uncompilable(op);
    if (op === 'missing') {
      // at the root, with literal names: presence is read, not the value (nothing falls back)
      const keys = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
      if (!sc.root || keys.some((k) => typeof k !== 'string' || k === '' || !resolve(k))) throw new Uncompilable(op);
      if (args.length === 1 && Array.isArray(args[0])) gen(args[0], at(0), sc); // the interpreter evaluates it (literals: no events)
      const r = temp();
      push(`const ${r} = [];`);
      for (const k of keys as string[]) {
        const slot = resolve(k)!.slot;
        push(`if (K[${slot}] === 0) return FB;`);
        push(`if (K[${slot}] === 2 || V[${slot}] === null || V[${slot}] === '') ${r}.push(${JSON.stringify(k)});`);
      }
      opEvent(r);
      return r;
    }
    if (op === 'map' || op === 'filter' || op === 'all' || op === 'none' || op === 'some' || op === 'reduce') {
      const list = gen(args[0], at(0), sc);
      // the scope's name in the trace: <list variable>[i] (as the interpreter's listName)
      let base: string;
      const p0 = isLogicObject(args[0]) && 'var' in args[0] ? operands(args[0].var)[0] : undefined;
      if (typeof p0 === 'string' && p0 !== '') {
        if (sc.root) base = JSON.stringify(p0);
        else if (sc.acc !== undefined) base = /^current(?=\.|$)/.test(p0) ? `${sc.path} + ${JSON.stringify(p0.slice('current'.length))}` : JSON.stringify(p0);
        else base = `${sc.path} + ${JSON.stringify(`.${p0}`)}`;
      } else base = sc.root ? JSON.stringify('item') : `${sc.path} + ".item"`;
      const r = temp();
      const i = temp();
      const item = temp();
      const sp = temp();
      if (three) {
        // the item's name is always needed here: an absent field is unknown under it
        push(`let ${r};`);
        push(`if (${list} instanceof U) { ${r} = H.ulist(${JSON.stringify(op)}, ${list}); if (${r} === undefined) return FB; } else {`);
        if (op === 'reduce') {
          const acc = temp();
          const av = temp();
          const unk = temp();
          const init = args.length > 2 ? gen(args[2], at(2), sc) : 'null';
          push(`let ${acc} = ${init};`);
          push(`if (!Array.isArray(${list})) ${r} = ${acc}; else {`);
          push(`const ${unk} = [];`);
          push(`for (let ${i} = 0; ${i} < ${list}.length; ${i}++) {`);
          push(`const ${item} = ${list}[${i}];`);
          push(`const ${sp} = ${base} + "[" + ${i} + "]";`);
          push(`let ${av} = ${acc};`);
          push(`if (${acc} instanceof U) { ${unk}.push(${acc}); ${av} = null; }`);
          const v = gen(args[1], at(1), { root: false, item, acc: av, path: sp });
          push(`${acc} = ${v};`);
          push('}');
          push(`${r} = H.red(${acc}, ${unk});`);
          push('}');
        } else {
          const empty = op === 'none' ? 'true' : op === 'map' || op === 'filter' ? '[]' : 'false';
          const res = temp();
          push(`if (!Array.isArray(${list}) || ${list}.length === 0) ${r} = ${empty}; else {`);
          push(`const ${res} = [];`);
          push(`for (let ${i} = 0; ${i} < ${list}.length; ${i}++) {`);
          push(`const ${item} = ${list}[${i}];`);
          push(`const ${sp} = ${base} + "[" + ${i} + "]";`);
          const v = gen(args[1], at(1), { root: false, item, path: sp });
          push(`${res}.push(${v});`);
          push('}');
          push(`${r} = H.scoped(${JSON.stringify(op)}, ${list}, ${res});`);
          push('}');
        }
        push('}');
        opEvent(r);
        return r;
      }
      if (op === 'reduce') {
        const acc = temp();
        const init = args.length > 2 ? gen(args[2], at(2), sc) : 'null';
        push(`let ${acc} = ${init};`);
        push(`if (Array.isArray(${list})) for (let ${i} = 0; ${i} < ${list}.length; ${i}++) {`);
        push(`const ${item} = ${list}[${i}];`);
        if (trace) push(`const ${sp} = ${base} + "[" + ${i} + "]";`);
        const v = gen(args[1], at(1), { root: false, item, acc, path: sp });
        push(`${acc} = ${v};`);
        push('}');
        push(`const ${r} = ${acc};`);
        opEvent(r);
        return r;
      }
      const empty = op === 'none' ? 'true' : op === 'map' || op === 'filter' ? '[]' : 'false';
      push(`let ${r};`);
      push(`if (!Array.isArray(${list}) || ${list}.length === 0) ${r} = ${empty}; else {`);
      const some = temp();
      const every = temp();
      if (op === 'map' || op === 'filter') push(`const ${some} = [];`);
      else push(`let ${some} = false, ${every} = true;`);
      push(`for (let ${i} = 0; ${i} < ${list}.length; ${i}++) {`);
      push(`const ${item} = ${list}[${i}];`);
      if (trace) push(`const ${sp} = ${base} + "[" + ${i} + "]";`);
      const v = gen(args[1], at(1), { root: false, item, path: sp });
      if (op === 'map') push(`${some}.push(${v});`);
      else if (op === 'filter') push(`if (tr(${v})) ${some}.push(${item});`);
      else push(`if (tr(${v})) ${some} = true; else ${every} = false;`);
      push('}');
      push(`${r} = ${op === 'some' ? some : op === 'none' ? `!${some}` : op === 'all' ? every : some};`);
      push('}');
      opEvent(r);
      return r;
    }
    if (op === 'missing_some') throw new Uncompilable(op);
    const a = args.map((x, i) => gen(x, at(i), sc));
    // three-valued: an unknown operand goes through the interpreter's combination, known ones the inlined code
    const unknownGuard = three ? `${a.map((x) => `${x} instanceof U`).join(' || ')} ? H.op(${JSON.stringify(op)}, [${a.join(', ')}]) : ` : '';
    let code: string;
    switch (op) {
      case '==': case '===': case '!=': case '!==': case '>': case '>=':
        code = `(${a[0]} ${op} ${a[1]})`;
        break;
      case '<': case '<=':
        code = a.length === 2 ? `(${a[0]} ${op} ${a[1]})` : `((${a[0]} ${op} ${a[1]}) && (${a[1]} ${op} ${a[2]}))`;
        break;
      case '!': code = `!tr(${a[0]})`; break;
      case '!!': code = `tr(${a[0]})`; break;
      case '%': code = `(${a[0]} % ${a[1]})`; break;
      case '/': code = `(${a[0]} / ${a[1]})`; break;
      case '-': code = a.length === 1 ? `(-(${a[0]}))` : `(${a[0]} - ${a[1]})`; break;
      // reduce from 0: 0 + pf(a) + pf(b) ... (the running sum is never -0, so pf of it is itself)
      case '+': code = `(0 + ${a.map((x) => `pf(${x})`).join(' + ')})`; break;
      // reduce without an initial value: one operand is returned as it is
      case '*': code = a.length === 1 ? a[0] : a.slice(1).reduce((acc, x) => `(pf(${acc}) * pf(${x}))`, a[0]); break;
      case 'min': case 'max': code = `Math.${op}(${a.join(', ')})`; break;
      case 'cat': code = `[${a.join(', ')}].join("")`; break;
      case 'substr': code = `substr(${a.join(', ')})`; break;
      case 'in': code = `inOp(${a[0]}, ${a[1]})`; break;
      case 'merge': code = `[].concat(${a.join(', ')})`; break;
      case 'sqrt': code = `sq(${a[0]})`; break;
      default: throw new Uncompilable(op);
    }
    const t = temp();
    push(`const ${t} = ${unknownGuard}${code};`);
    opEvent(t);
    return t;
  }

  let result: string;
  try {
    result = gen(logic, pointer, { root: true, item: '', path: '' });
  } catch (e) {
    if (e instanceof Uncompilable) return undefined;
    throw e;
  }
  const body = `"use strict";\nreturn function ${three ? 'compiled3' : 'compiled'}(V, K, T, N, R) {\n${lines.join('\n')}\nreturn ${result};\n};`;
  return { body, consts };
}
