// Property-based tests of issue 12 (soundness, tightness, agreement, totality, prototype safety,
// determinism), shared by vitest (test/properties/*.test.ts, FUZZ_RUNS per property, default
// 20,000) and `npm run fuzz -- --runs N` (test/properties/fuzz.ts, outside vitest's timeouts).
// Generators draw from the real guideline's dictionary and the interpreter's operators.
// Seeded (FUZZ_SEED, default 20261201): a failure prints its seed and path so it replays.
import fc from 'fast-check';
import jsonLogic from 'json-logic-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, checkExpression, parseSource } from '../../engine/authoring/index.ts';
import { loadGuideline, readSourceFiles } from '../../engine/node/load.ts';
import { EngineError, evaluate, evaluateLogic, Unknown, type InputDef, type JsonValue } from '../../engine/runtime/index.ts';
import { ALLOWED_OPERATORS, unknownFact, type EvalContext, type Val } from '../../engine/runtime/logic.ts';
import { GUIDELINE_DIR, ROOT } from '../helpers.ts';

export const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
export const RUNS = Number(process.env.FUZZ_RUNS ?? 20000);

export const { guideline } = loadGuideline(GUIDELINE_DIR);
const allSourceFiles = readSourceFiles(GUIDELINE_DIR);
/** The guideline's documents (examples/ holds sample patients, which parseSource ignores by design). */
const sourceFiles = allSourceFiles.filter((f) => !f.path.startsWith('examples/'));
const INPUTS = guideline.inputs;
const byId = new Map(INPUTS.map((i) => [i.id, i]));
const scalar = INPUTS.filter((i) => i.type !== 'list');
const lists = INPUTS.filter((i) => i.type === 'list');
const ofType = (t: string) => scalar.filter((i) => i.type === t);
const BOOLS = ofType('boolean');
const ENUMS = ofType('enum');
const NUMS = ofType('number');

/** Every number the guideline compares with: thresholds worth hitting exactly. */
const THRESHOLDS: number[] = (() => {
  const out = new Set<number>();
  const walk = (x: unknown) => {
    if (typeof x === 'number') out.add(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  for (const n of guideline.nodes) walk((n as { expr?: unknown }).expr ?? (n as { clauses?: { when: unknown }[] }).clauses?.map((c) => c.when));
  return [...out].sort((a, b) => a - b);
})();

function numberArb(f: { minimum?: number; maximum?: number; integer?: boolean }): fc.Arbitrary<number> {
  const min = f.minimum!;
  const max = f.maximum!;
  if (f.integer) return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  const near = THRESHOLDS.filter((t) => t >= min && t <= max);
  return fc.oneof(fc.constantFrom(min, max, ...near), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => Math.round(x * 100) / 100));
}

function valueArb(f: InputDef | { type: string; values?: { value: string }[]; minimum?: number; maximum?: number; integer?: boolean; items?: InputDef['items'] }): fc.Arbitrary<JsonValue> {
  switch (f.type) {
    case 'boolean': return fc.boolean();
    case 'enum': return fc.constantFrom(...f.values!.map((v) => v.value));
    case 'number': return numberArb(f);
    default: {
      const fields = f.items!.fields;
      const item = fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueArb(v)]))) as fc.Arbitrary<JsonValue>;
      return fc.array(item, { maxLength: 3 });
    }
  }
}

export type Facts = Record<string, JsonValue>;
/** A value for every input: one completion of any partial facts. */
export const fullFactsArb: fc.Arbitrary<Facts> = fc.record(Object.fromEntries(INPUTS.map((i) => [i.id, valueArb(i)]))) as fc.Arbitrary<Facts>;

// --- typed expressions over the dictionary (what an author writes) ------------------------------
const v = (id: string): JsonValue => ({ var: id });
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

const typed = fc.letrec<{ bool: JsonValue; num: JsonValue; val: JsonValue; item: JsonValue }>((tie) => ({
  num: fc.oneof({ maxDepth: 3, depthIdentifier: 'e' },
    pick(NUMS).map((i) => v(i.id)),
    pick(THRESHOLDS),
    fc.tuple(pick(['+', '-', '*', 'min', 'max']), tie('num'), tie('num')).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(tie('bool'), tie('num'), tie('num')).map(([c, a, b]) => ({ if: [c, a, b] })),
  ),
  bool: fc.oneof({ maxDepth: 3, depthIdentifier: 'e' },
    pick(BOOLS).map((i) => v(i.id)),
    pick(NUMS).chain((i) => fc.tuple(pick(['<', '<=', '>', '>=']), numberArb(i)).map(([op, t]) => ({ [op]: [v(i.id), t] }))),
    pick(NUMS).chain((i) => fc.tuple(numberArb(i), numberArb(i)).map(([a, b]) => ({ '<=': [Math.min(a, b), v(i.id), Math.max(a, b)] }))),
    pick(ENUMS).chain((i) => fc.tuple(pick(['==', '!=']), pick(i.values!.map((x) => x.value))).map(([op, x]) => ({ [op]: [v(i.id), x] }))),
    pick(ENUMS).chain((i) => fc.subarray(i.values!.map((x) => x.value), { minLength: 1 }).map((xs) => ({ in: [v(i.id), xs] }))),
    fc.tuple(pick(['<', '>=']), tie('num'), tie('num')).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(pick(['!', '!!']), tie('bool')).map(([op, a]) => ({ [op]: [a] })),
    fc.tuple(pick(['and', 'or']), fc.array(tie('bool'), { minLength: 1, maxLength: 4 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(tie('bool'), tie('bool'), tie('bool')).map(([c, a, b]) => ({ if: [c, a, b] })),
    fc.tuple(pick(['some', 'all', 'none']), pick(lists), tie('item')).map(([op, l, p]) => ({ [op]: [v(l.id), p] })),
    fc.tuple(tie('val'), tie('val')).map(([a, b]) => ({ '==': [a, b] })),
  ),
  // values of any type, including json-logic's operand-returning and/or (the issue's example)
  val: fc.oneof({ maxDepth: 3, depthIdentifier: 'e' },
    tie('bool'), tie('num'),
    pick(ENUMS).map((i) => v(i.id)),
    pick(ENUMS).chain((i) => pick(i.values!.map((x) => x.value))),
    fc.tuple(pick(['and', 'or']), fc.array(tie('val'), { minLength: 1, maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(tie('bool'), tie('val'), tie('val'), tie('val')).map(([c, a, b, d]) => ({ if: [c, a, { if: [{ '!': [c] }, b, d] }] })),
  ),
  // a predicate over one item of a list input: its fields
  item: fc.oneof(
    pick(lists).chain((l) => {
      const fields = Object.entries(l.items!.fields);
      return pick(fields).chain(([name, f]) => (f.type === 'enum' ? pick(f.values!.map((x) => x.value)).map((x): JsonValue => ({ '==': [v(name), x] }))
        : f.type === 'number' ? numberArb(f).map((t): JsonValue => ({ '>=': [v(name), t] }))
        : fc.constant<JsonValue>({ '!!': [v(name)] })));
    }),
    fc.constant<JsonValue>(true),
  ),
}));
export const typedExprArb: fc.Arbitrary<JsonValue> = fc.oneof(typed.bool, typed.val);

// --- untyped expressions (what a fuzzer or a careless edit writes) ------------------------------
const NAMES = [...INPUTS.map((i) => i.id), ...guideline.nodes.filter((n) => n.kind === 'definition').map((n) => n.id), '', 'a.b', '__proto__', 'constructor', 'toString', 'agent', 'current', 'accumulator', 'nope'];
const literalArb: fc.Arbitrary<JsonValue> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 200 }), fc.double({ noNaN: true }), pick(['', 'none', 'sorafenib', 'T1', '0', 'a']), pick(NAMES));
const untyped = fc.letrec<{ node: JsonValue }>((tie) => ({
  node: fc.oneof({ maxDepth: 4, depthIdentifier: 'u' },
    literalArb,
    pick(NAMES).map((n) => v(n)),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.tuple(pick([...ALLOWED_OPERATORS, 'log', 'method', 'foo']), fc.array(tie('node'), { maxLength: 4 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(pick([...ALLOWED_OPERATORS]), tie('node')).map(([op, x]) => ({ [op]: x })),
    fc.dictionary(pick(['a', 'b', 'toString', 'valueOf']), literalArb, { maxKeys: 2 }),
  ),
}));
export const untypedExprArb = untyped.node;

// --- evaluation as evaluate() does it: facts by input id, absent ones with their domain ---------
export function evalWith(expr: JsonValue, facts: Facts): Val {
  const ctx: EvalContext = {
    mode: 'unknown', node: 'property', data: null,
    resolveRoot: (name) => (Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : byId.has(name) ? unknownFact(name, byId.get(name)) : new Unknown([name])),
  };
  return evaluateLogic(expr, ctx);
}

/** Equality of results: JSON structure, numbers with Object.is (NaN agrees with NaN). */
export function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The facts with some removed: whole facts (mask) and fields of list items (itemMask). */
function partialOf(full: Facts, mask: boolean[], itemMask: boolean[]): Facts {
  const out: Facts = {};
  let k = 0;
  INPUTS.forEach((i, n) => {
    if (!mask[n % mask.length]) return;
    const value = full[i.id];
    if (i.type === 'list' && Array.isArray(value)) {
      out[i.id] = value.map((item) => Object.fromEntries(Object.entries(item as Record<string, JsonValue>).filter(() => itemMask[k++ % itemMask.length])));
    } else out[i.id] = value;
  });
  return out;
}

/** Complete `partial` with the values of `other` (falling back to `full`) for everything removed. */
function complete(partial: Facts, full: Facts, other: Facts): Facts {
  const out: Facts = { ...partial };
  for (const i of INPUTS) {
    if (!Object.prototype.hasOwnProperty.call(partial, i.id)) { out[i.id] = other[i.id]; continue; }
    if (i.type === 'list') {
      const o = other[i.id] as Record<string, JsonValue>[];
      out[i.id] = (partial[i.id] as Record<string, JsonValue>[]).map((item, n) => ({ ...(full[i.id] as Record<string, JsonValue>[])[n], ...(o[n] ?? {}), ...item }));
    }
  }
  return out;
}

/** Supply the named missing facts (root ids or list[i].field) from `full`. */
function supply(partial: Facts, full: Facts, names: readonly string[]): Facts {
  const out: Facts = structuredClone(partial);
  for (const name of names) {
    const m = /^([a-z0-9_]+)\[(\d+)\]\.([a-z0-9_]+)$/.exec(name);
    if (m) {
      const list = out[m[1]] as Record<string, JsonValue>[];
      list[Number(m[2])][m[3]] = (full[m[1]] as Record<string, JsonValue>[])[Number(m[2])][m[3]];
    } else out[name] = full[name];
  }
  return out;
}

/** What the runs exercised (printed by npm run fuzz): so a property that passes vacuously shows. */
export const STATS = { accepted: 0, rejected: 0, decidedWithMissing: 0, undecided: 0, withPossible: 0, tables: 0, engineErrors: 0 };

const masks = fc.tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }));
const accepted = (e: JsonValue) => {
  const ok = checkExpression(guideline, e).length === 0;
  if (ok) STATS.accepted++; else STATS.rejected++;
  return ok;
};
const describeVal = (x: Val) => (x instanceof Unknown ? `unknown(missing ${x.missing.join(',')}${x.possible ? `; possible ${JSON.stringify(x.possible)}` : ''})` : JSON.stringify(x));

export interface Property { name: string; scale: number; property: () => fc.IProperty<never> | fc.IPropertyWithHooks<never> }

const explicit = <T extends unknown[]>(arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, pred: (...args: T) => boolean | void) =>
  fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), pred as (...a: unknown[]) => boolean | void) as unknown as fc.IProperty<never>;

export const PROPERTIES: Property[] = [
  {
    name: 'soundness: a decided value never changes for any completion; supplying every listed missing fact decides it',
    scale: 1,
    property: () => explicit([typedExprArb, fullFactsArb, fullFactsArb, fullFactsArb, masks], (expr, full, alt1, alt2, [mask, itemMask]) => {
      if (!accepted(expr)) return;
      const partial = partialOf(full, mask, itemMask);
      const r = evalWith(expr, partial);
      if (r instanceof Unknown) { STATS.undecided++; if (r.possible) STATS.withPossible++; }
      else if (Object.keys(partial).length < INPUTS.length) STATS.decidedWithMissing++;
      if (!(r instanceof Unknown)) {
        for (const other of [full, alt1, alt2]) {
          const c = evalWith(expr, complete(partial, full, other));
          if (!same(c, r)) throw new Error(`decided ${describeVal(r)} with facts missing, but ${describeVal(c)} once they are supplied`);
        }
        return;
      }
      const supplied = evalWith(expr, supply(partial, full, r.missing));
      if (supplied instanceof Unknown) throw new Error(`still undecided after supplying every listed missing fact (${r.missing.join(', ')}): ${describeVal(supplied)}`);
      const truth = evalWith(expr, complete(partial, full, full));
      if (!same(supplied, truth)) throw new Error(`supplying the listed facts gives ${describeVal(supplied)}, the full facts ${describeVal(truth)}`);
      if (r.possible && !r.possible.some((p) => same(p, truth))) throw new Error(`the value ${describeVal(truth)} is not among the possible ${JSON.stringify(r.possible)}`);
    }),
  },
  {
    name: 'tightness: where an unknown carries a table, every possible value is reached by a completion and nothing else is',
    scale: 1,
    property: () => explicit([typedExprArb, fullFactsArb, masks], (expr, full, [mask, itemMask]) => {
      if (!accepted(expr)) return;
      const partial = partialOf(full, mask, itemMask);
      const r = evalWith(expr, partial);
      if (!(r instanceof Unknown) || !r.info.table) return;
      STATS.tables++;
      const t = r.info.table;
      const reached: JsonValue[] = [];
      const total = t.domains.reduce((n, d) => n * d.length, 1);
      for (let n = 0; n < total; n++) {
        let rest = n;
        const facts: Facts = { ...partial };
        for (let k = t.vars.length - 1; k >= 0; k--) { facts[t.vars[k]] = t.domains[k][rest % t.domains[k].length]; rest = Math.floor(rest / t.domains[k].length); }
        const c = evalWith(expr, facts);
        if (c instanceof Unknown) throw new Error(`a completion of the table's facts ${t.vars.join(', ')} is still unknown: ${describeVal(c)}`);
        if (!same(c, t.values[n])) throw new Error(`table says ${JSON.stringify(t.values[n])} for completion ${n}, evaluation gives ${JSON.stringify(c)}`);
        if (!reached.some((x) => same(x, c))) reached.push(c);
      }
      const possible = r.possible ?? (r.info.boolean ? [false, true] : undefined);
      if (possible && (possible.length !== reached.length || !possible.every((p) => reached.some((x) => same(x, p))))) {
        throw new Error(`possible ${JSON.stringify(possible)} but the completions reach ${JSON.stringify(reached)}`);
      }
    }),
  },
  {
    name: 'agreement: with every fact known the result equals json-logic-js',
    scale: 1,
    property: () => explicit([typedExprArb, fullFactsArb], (expr, full) => {
      if (!accepted(expr)) return;
      const ours = evalWith(expr, full);
      if (ours instanceof Unknown) throw new Error(`unknown with every fact known: ${describeVal(ours)}`);
      const theirs = jsonLogic.apply(expr as never, structuredClone(full) as never) as unknown;
      const normal = (x: unknown) => (x === undefined && DIFFERENCES.has('undefined-is-null') ? null : x);
      if (!same(ours, normal(theirs))) throw new Error(`ours ${JSON.stringify(ours)}, json-logic-js ${JSON.stringify(theirs)}`);
    }),
  },
  {
    name: 'totality: any expression, any partial facts: evaluate throws only EngineError (and never when the checker accepts it)',
    scale: 1,
    property: () => explicit([untypedExprArb, fullFactsArb, masks, fc.constantFrom('null', 'unknown')], (expr, full, [mask, itemMask], mode) => {
      const ok = accepted(expr);
      const partial = partialOf(full, mask, itemMask);
      try {
        if (mode === 'null') evaluateLogic(expr, { mode: 'null', node: 'p', data: partial });
        else evalWith(expr, partial);
      } catch (e) {
        STATS.engineErrors++;
        if (!(e instanceof EngineError)) throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
        if (ok && mode === 'unknown' && e.code !== 'unknown-reference') throw new Error(`checker-accepted expression threw EngineError ${e.code}: ${e.message}`);
      }
    }),
  },
  {
    name: 'totality: random mutations of guideline files never crash parseSource or the checker, and a broken file is reported',
    scale: 1 / 200,
    property: () => explicit([fc.nat(sourceFiles.length - 1), fc.nat(), untypedExprArb, fc.constantFrom('replace', 'delete', 'truncate', 'duplicate')], (index, at, junk, how) => {
      const files = [...sourceFiles];
      const f = files[index];
      let changed = f.text;
      if (how === 'truncate') changed = f.text.slice(0, at % Math.max(1, f.text.length));
      else if (how === 'duplicate') {
        if (!f.path.includes('/')) return; // manifest.json: a second one cannot exist on disk
        files.push({ path: f.path.replace(/\/([^/]+)$/, '/copy/$1'), text: f.text });
      }
      else {
        const doc = JSON.parse(f.text) as JsonValue;
        const paths: (string | number)[][] = [];
        const walk = (x: JsonValue, p: (string | number)[]) => {
          paths.push(p);
          if (Array.isArray(x)) x.forEach((y, i) => walk(y, [...p, i]));
          else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) walk(y, [...p, k]);
        };
        walk(doc, []);
        const p = paths[at % paths.length];
        if (p.length === 0) changed = JSON.stringify(junk);
        else {
          let parent = doc as Record<string | number, JsonValue>;
          for (const seg of p.slice(0, -1)) parent = parent[seg] as Record<string | number, JsonValue>;
          const last = p[p.length - 1];
          if (how === 'delete') { if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last]; }
          else parent[last] = junk;
          changed = JSON.stringify(doc);
        }
      }
      files[index] = { path: f.path, text: changed };
      const { guideline: g, findings } = parseSource(files);
      const all = [...findings, ...check(g)].filter((x) => x.severity === 'error');
      // Cutting only the final newline leaves the same document: not a broken file.
      if (how === 'truncate' && changed.trimEnd() !== f.text.trimEnd() && !all.some((x) => x.file === f.path)) throw new Error(`truncated ${f.path} at ${changed.length} passes the checker`);
      if (how === 'duplicate' && !all.some((x) => x.code === 'duplicate-id' || x.code === 'unknown-chapter')) throw new Error(`a copy of ${f.path} passes the checker`);
    }),
  },
  {
    name: 'prototype safety and determinism: random facts against the real guideline give byte-identical results, with or without names planted on Object.prototype',
    scale: 1 / 100,
    property: () => explicit([fullFactsArb, masks, fc.subarray(PLANTABLE, { minLength: 1 }), fc.boolean()], (full, [mask, itemMask], names, trace) => {
      const facts = partialOf(full, mask, itemMask);
      const a = JSON.stringify(evaluate(guideline, facts, { trace }));
      const b = JSON.stringify(evaluate(guideline, structuredClone(facts), { trace }));
      if (a !== b) throw new Error('two evaluations of the same facts differ');
      const proto = Object.prototype as Record<string, unknown>;
      for (const n of names) Object.defineProperty(proto, n, { value: PLANTED[n], configurable: true, writable: true, enumerable: false });
      let c: string;
      try { c = JSON.stringify(evaluate(guideline, facts, { trace })); } finally { for (const n of names) delete proto[n]; }
      if (c !== a) throw new Error(`planting ${names.join(', ')} on Object.prototype changed the result`);
    }),
  },
];

const PLANTED: Record<string, unknown> = {
  trustedFacts: true, trace: [], hash: 'sha256:planted', integer: true, maxItems: 0, mode: 'null', data: { ecog: 0 },
  resolveRoot: () => 'planted', node: 'planted', minimum: 1e9, maximum: -1, reduce: true, boolean: true, truthy: true,
  table: { vars: [], domains: [], values: [] }, missing: ['planted'], possible: ['planted'], value: 'planted', status: 'applies',
};
const PLANTABLE = Object.keys(PLANTED);

const DIFFERENCES = new Set<string>((JSON.parse(readFileSync(join(ROOT, 'test', 'properties', 'intended-differences.json'), 'utf8')) as { differences: { id: string }[] }).differences.map((d) => d.id));

export function runsOf(p: Property, runs = RUNS): number {
  return Math.max(1, Math.round(runs * p.scale));
}
