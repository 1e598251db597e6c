// Benchmark (npm run bench), not a test: evaluate the whole shipped guideline for 10,000
// generated patients with the trace off and on, and the same conditions through plain
// jsonLogic.apply (which has no notion of unknown facts). Prints patients per second, the
// ratios and peak memory.
import jsonLogic from 'json-logic-js';
import { evaluate, validateFacts, type DefinitionNode, type Field, type JsonValue, type RuleNode } from '../../engine/runtime/index.ts';
import { definitionOrder } from '../../engine/runtime/graph.ts';
import { loadGuideline } from '../../engine/node/load.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const N = Number(process.env.BENCH_PATIENTS ?? 10000);
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

const patients = Array.from({ length: N }, () => {
  const facts: Record<string, JsonValue> = {};
  for (const input of guideline.inputs) if (rand() > 0.1) facts[input.id] = value(input); // ~10% of facts missing
  return validateFacts(guideline.inputs, facts);
});

const defs = definitionOrder(guideline);
const rules = guideline.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
const clauses = rules.flatMap((r) => r.clauses.map((c) => c.when));

function plain(facts: Record<string, JsonValue>): number {
  const data: Record<string, unknown> = { ...facts };
  for (const d of defs as DefinitionNode[]) data[d.id] = jsonLogic.apply(d.expr as never, data);
  let applies = 0;
  for (const w of clauses) if (jsonLogic.truthy(jsonLogic.apply(w as never, data))) applies++;
  return applies;
}

let peakRss = 0;
const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };

function time(label: string, fn: (p: Record<string, JsonValue>) => unknown): number {
  for (let i = 0; i < Math.min(500, N); i++) fn(patients[i]); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) { fn(patients[i]); if (i % 500 === 0) sample(); }
  const ms = performance.now() - t0;
  const rate = N / (ms / 1000);
  console.log(`${label.padEnd(34)} ${rate.toFixed(0).padStart(8)} patients/s  (${ms.toFixed(0)} ms)`);
  return rate;
}

console.log(`guideline ${guideline.manifest.id} v${guideline.manifest.version}: ${guideline.inputs.length} inputs, ${defs.length} definitions, ${rules.length} rules, ${clauses.length} clauses; ${N} patients`);
const plainRate = time('plain jsonLogic.apply', plain);
const offRate = time('evaluate, trace off', (p) => evaluate(guideline, p, { trustedFacts: true }));
const onRate = time('evaluate, trace on', (p) => evaluate(guideline, p, { trustedFacts: true, trace: true }));
const validatedRate = time('validate facts + evaluate, trace off', (p) => evaluate(guideline, p));
sample();
console.log(`ratios: plain / trace off = ${(plainRate / offRate).toFixed(2)}x, trace off / trace on = ${(offRate / onRate).toFixed(2)}x, with fact validation ${(offRate / validatedRate).toFixed(2)}x slower`);
console.log(`peak RSS ${(peakRss / 1048576).toFixed(0)} MB, heap used now ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB`);
