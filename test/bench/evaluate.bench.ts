// Benchmark (npm run bench), not a test: the whole shipped guideline for BENCH_PATIENTS generated
// patients (default 2,000; all facts known unless said), side by side in one process, in
// BENCH_ROUNDS interleaved rounds (default 5): every contender runs once per round in turn, and
// the median over the rounds is printed, in µs per patient, with ratios.
//   evaluate, interpreted and compiled: trace off, trace on, 30 % of facts missing (without and
//     with a trace), with fact validation. Without a trace the compiled three-valued path keeps at
//     most 128 values per expression (see evaluate.ts, runExpr): with 2,000 patients a round, what
//     it reuses is shared between patients, not kept from the previous round's same patient.
//     With a trace nothing is reused.
//   json-logic-js apply of the same expressions (no notion of unknown)
//   json-logic-engine compiled (build()) of the same expressions
//   a generated two-valued bound: one plain JavaScript function per node (what hand-written code costs)
import jsonLogic from 'json-logic-js';
import { LogicEngine } from 'json-logic-engine';
import { evaluate, validateFacts, type DefinitionNode, type Field, type JsonValue, type Logic, type RuleNode } from '../../engine/runtime/index.ts';
import { definitionOrder } from '../../engine/runtime/graph.ts';
import { loadGuideline } from '../../engine/node/load.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const N = Number(process.env.BENCH_PATIENTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const { guideline, findings } = loadGuideline(GUIDELINE_DIR);
if (findings.some((f) => f.severity === 'error')) throw new Error('the guideline has checker errors; run guideline check');

// Deterministic pseudo-random numbers (mulberry32), so every run measures the same patients.
let seed = 42;
const rand = () => {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

function value(f: Field): JsonValue {
  switch (f.type) {
    case 'number': {
      const x = f.minimum! + rand() * (f.maximum! - f.minimum!) * 0.3;
      return f.integer ? Math.round(x) : Math.round(x * 10) / 10;
    }
    case 'boolean': return rand() < 0.5;
    case 'enum': return f.values![Math.floor(rand() * f.values!.length)].value;
    case 'list': {
      const n = Math.floor(rand() * 3);
      return Array.from({ length: n }, () => Object.fromEntries(Object.entries(f.items!.fields).map(([k, sub]) => [k, value(sub)])));
    }
  }
  return null;
}

const raw = (missing: number) => Array.from({ length: N }, () => {
  const facts: Record<string, JsonValue> = {};
  for (const input of guideline.inputs) if (rand() >= missing) facts[input.id] = value(input);
  return facts;
});
const rawKnown = raw(0);
const known = rawKnown.map((f) => validateFacts(guideline.inputs, f));
const partial = raw(0.3).map((f) => validateFacts(guideline.inputs, f));

const defs = definitionOrder(guideline) as DefinitionNode[];
const rules = guideline.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
const clauses = rules.flatMap((r) => r.clauses.map((c) => c.when));

// --- json-logic-js and json-logic-engine over the same expressions ----------------------------
function plain(facts: Record<string, JsonValue>): number {
  const data: Record<string, unknown> = { ...facts };
  for (const d of defs) data[d.id] = jsonLogic.apply(d.expr as never, data);
  let applies = 0;
  for (const w of clauses) if (jsonLogic.truthy(jsonLogic.apply(w as never, data))) applies++;
  return applies;
}

const engine = new LogicEngine();
engine.addMethod('sqrt', (args: unknown) => Math.sqrt(Number(Array.isArray(args) ? args[0] : args)), { deterministic: true });
const jleDefs = defs.map((d) => ({ id: d.id, fn: engine.build(d.expr as never) as (data: unknown) => unknown }));
const jleClauses = clauses.map((w) => engine.build(w as never) as (data: unknown) => unknown);
// json-logic-engine throws where json-logic-js gives NaN (arithmetic on a value that is not a
// number) or on max() of non-numbers: such an expression counts as null here (and is counted).
let jleThrows = 0;
const safe = (fn: (data: unknown) => unknown, data: unknown) => { try { return fn(data); } catch { jleThrows++; return null; } };
function jle(facts: Record<string, JsonValue>): number {
  const data: Record<string, unknown> = { ...facts };
  for (const d of jleDefs) data[d.id] = safe(d.fn, data);
  let applies = 0;
  for (const f of jleClauses) if (jsonLogic.truthy(safe(f, data) as JsonValue)) applies++;
  return applies;
}

// --- the generated two-valued bound: one plain function per node -------------------------------
function js(l: Logic, scope: { item: string; acc?: string } | undefined, fresh: () => string): string {
  if (Array.isArray(l)) return `[${l.map((x) => js(x, scope, fresh)).join(', ')}]`;
  if (l === null || typeof l !== 'object') return JSON.stringify(l);
  const op = Object.keys(l)[0];
  const raw = (l as Record<string, JsonValue>)[op];
  const a = (Array.isArray(raw) ? raw : [raw]) as Logic[];
  const sub = (x: Logic) => js(x, scope, fresh);
  const scoped = (x: Logic, item: string, acc?: string) => js(x, { item, acc }, fresh);
  switch (op) {
    case 'var': {
      const path = String(a[0] ?? '');
      if (!scope) return `d[${JSON.stringify(path)}]`;
      const segs = path.split('.');
      if (scope.acc && segs[0] === 'accumulator') return scope.acc;
      const base = scope.acc && segs[0] === 'current' ? segs.slice(1) : segs;
      return `${scope.item}${base.map((s) => `?.[${JSON.stringify(s)}]`).join('')}`;
    }
    case 'if': case '?:': {
      let code = a.length % 2 ? sub(a[a.length - 1]) : 'null';
      for (let i = a.length - (a.length % 2 ? 3 : 2); i >= 0; i -= 2) code = `(T(${sub(a[i])}) ? ${sub(a[i + 1])} : ${code})`;
      return code;
    }
    case 'and': return `(${a.map(sub).join(' && ')})`;
    case 'or': return `(${a.map(sub).join(' || ')})`;
    case '!': return `!T(${sub(a[0])})`;
    case '!!': return `T(${sub(a[0])})`;
    case '==': case '===': case '!=': case '!==': case '>': case '>=': case '/': case '%': return `(${sub(a[0])} ${op} ${sub(a[1])})`;
    case '<': case '<=': return a.length === 3 ? `(${sub(a[0])} ${op} ${sub(a[1])} && ${sub(a[1])} ${op} ${sub(a[2])})` : `(${sub(a[0])} ${op} ${sub(a[1])})`;
    case '+': return `(${a.map((x) => `+${sub(x)}`).join(' + ')})`;
    case '*': return `(${a.map(sub).join(' * ')})`;
    case '-': return a.length === 1 ? `(-${sub(a[0])})` : `(${sub(a[0])} - ${sub(a[1])})`;
    case 'min': case 'max': return `Math.${op}(${a.map(sub).join(', ')})`;
    case 'sqrt': return `Math.sqrt(${sub(a[0])})`;
    case 'in': return `IN(${sub(a[0])}, ${sub(a[1])})`;
    case 'cat': return `[${a.map(sub).join(', ')}].join('')`;
    case 'missing': return `${JSON.stringify(Array.isArray(a[0]) ? a[0] : a)}.filter((k) => d[k] == null)`;
    case 'some': case 'all': case 'none': case 'map': case 'filter': {
      const it = fresh();
      const body = scoped(a[1], it);
      const list = `(${sub(a[0])} || [])`;
      if (op === 'some') return `${list}.some((${it}) => T(${body}))`;
      if (op === 'none') return `!${list}.some((${it}) => T(${body}))`;
      if (op === 'all') return `(${list}.length > 0 && ${list}.every((${it}) => T(${body})))`;
      if (op === 'map') return `${list}.map((${it}) => ${body})`;
      return `${list}.filter((${it}) => T(${body}))`;
    }
    case 'reduce': {
      const it = fresh();
      const acc = fresh();
      return `(${sub(a[0])} || []).reduce((${acc}, ${it}) => ${scoped(a[1], it, acc)}, ${a.length > 2 ? sub(a[2]) : 'null'})`;
    }
    default: throw new Error(`bound: operator ${op} not generated`);
  }
}
const T = (x: unknown) => (Array.isArray(x) ? x.length > 0 : !!x);
const IN = (x: unknown, l: unknown) => (typeof l === 'string' ? l.includes(String(x)) : Array.isArray(l) ? l.includes(x) : false);
let fresh = 0;
const mk = (body: string) => new Function('T', 'IN', `return (d) => ${body};`)(T, IN) as (d: Record<string, unknown>) => unknown;
const boundDefs = defs.map((d) => ({ id: d.id, fn: mk(js(d.expr, undefined, () => `x${fresh++}`)) }));
const boundRules = rules.map((r) => mk(`(${r.clauses.map((c) => `T(${js(c.when, undefined, () => `x${fresh++}`)})`).join(' ? 1 : 0) + (')} ? 1 : 0)`));
function bound(facts: Record<string, JsonValue>): number {
  const d: Record<string, unknown> = { ...facts };
  for (const def of boundDefs) d[def.id] = def.fn(d);
  let applies = 0;
  for (const r of boundRules) applies += r(d) as number;
  return applies;
}

// --- contenders, interleaved rounds, medians -------------------------------------------------
type Contender = { label: string; patients: Record<string, JsonValue>[]; fn: (p: Record<string, JsonValue>) => unknown };
const trusted = { trustedFacts: true } as const;
const contenders: Contender[] = [
  { label: 'generated two-valued bound', patients: known, fn: bound },
  { label: 'json-logic-engine compiled', patients: known, fn: jle },
  { label: 'json-logic-js apply', patients: known, fn: plain },
  { label: 'compiled, trace off', patients: known, fn: (p) => evaluate(guideline, p, trusted) },
  { label: 'compiled, trace on', patients: known, fn: (p) => evaluate(guideline, p, { ...trusted, trace: true }) },
  { label: 'compiled, 30 % missing', patients: partial, fn: (p) => evaluate(guideline, p, trusted) },
  { label: 'compiled, 30 % missing, trace', patients: partial, fn: (p) => evaluate(guideline, p, { ...trusted, trace: true }) },
  { label: 'compiled, with validation', patients: rawKnown, fn: (p) => evaluate(guideline, p) },
  { label: 'interpreted, trace off', patients: known, fn: (p) => evaluate(guideline, p, { ...trusted, engine: 'interpreter' }) },
  { label: 'interpreted, trace on', patients: known, fn: (p) => evaluate(guideline, p, { ...trusted, trace: true, engine: 'interpreter' }) },
  { label: 'interpreted, 30 % missing', patients: partial, fn: (p) => evaluate(guideline, p, { ...trusted, engine: 'interpreter' }) },
  { label: 'interpreted, 30 % missing, trace', patients: partial, fn: (p) => evaluate(guideline, p, { ...trusted, trace: true, engine: 'interpreter' }) },
  { label: 'interpreted, with validation', patients: rawKnown, fn: (p) => evaluate(guideline, p, { engine: 'interpreter' }) },
];
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const running = contenders.filter((c) => !only || only.test(c.label));

let peakRss = 0;
const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
let sink = 0;
const times = new Map<string, number[]>(running.map((c) => [c.label, []]));
for (const c of running) for (let i = 0; i < Math.min(300, N); i++) c.fn(c.patients[i]); // warm-up

console.log(`guideline ${guideline.manifest.id} v${guideline.manifest.version}: ${guideline.inputs.length} inputs, ${defs.length} definitions, ${rules.length} rules, ${clauses.length} clauses; ${N} patients, ${ROUNDS} interleaved rounds`);
for (let round = 0; round < ROUNDS; round++) {
  for (const c of running) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) { const r = c.fn(c.patients[i]); if (r) sink++; }
    times.get(c.label)!.push(((performance.now() - t0) * 1000) / N);
    sample();
  }
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const med = new Map([...times].map(([k, v]) => [k, median(v)]));
for (const c of running) console.log(`${c.label.padEnd(34)} ${med.get(c.label)!.toFixed(1).padStart(9)} µs/patient  (rounds: ${times.get(c.label)!.map((t) => t.toFixed(0)).join(' ')})`);
const ratio = (a: string, b: string) => (med.has(a) && med.has(b) ? `${(med.get(a)! / med.get(b)!).toFixed(2)}x` : 'n/a');
console.log('ratios:');
console.log(`  compiled trace off / generated bound      ${ratio('compiled, trace off', 'generated two-valued bound')}   (goal <= 2x)`);
console.log(`  compiled trace off / json-logic-engine    ${ratio('compiled, trace off', 'json-logic-engine compiled')}   (milestone < 1x)`);
console.log(`  compiled trace on / compiled trace off    ${ratio('compiled, trace on', 'compiled, trace off')}   (goal <= 5x)`);
console.log(`  compiled 30 % missing / trace off         ${ratio('compiled, 30 % missing', 'compiled, trace off')}`);
console.log(`  compiled with validation / trace off      ${ratio('compiled, with validation', 'compiled, trace off')}`);
console.log(`  interpreted / compiled (trace off)        ${ratio('interpreted, trace off', 'compiled, trace off')}`);
console.log(`  interpreted / compiled (trace on)         ${ratio('interpreted, trace on', 'compiled, trace on')}`);
console.log(`  interpreted / compiled (30 % missing)     ${ratio('interpreted, 30 % missing', 'compiled, 30 % missing')}`);
console.log(`  interpreted / compiled (30 % missing, trace) ${ratio('interpreted, 30 % missing, trace', 'compiled, 30 % missing, trace')}`);
console.log(`  json-logic-js / compiled trace off        ${ratio('json-logic-js apply', 'compiled, trace off')}`);
console.log(`json-logic-engine threw on ${(jleThrows / ((ROUNDS + 1) * N)).toFixed(2)} expressions per patient (counted as null)`);
console.log(`peak RSS ${(peakRss / 1048576).toFixed(0)} MB, heap used now ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB${sink < 0 ? '' : ''}`);
