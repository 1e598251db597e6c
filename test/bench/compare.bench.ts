// Benchmark (npm run bench:compare), not a test: the editor's impact panel, compare() of a draft
// with the saved guideline over BENCH_CASES regression cases (default 10,000: generated patients,
// 10 % of facts missing), warm: the baseline side cached (as the editor's worker keeps it) and the
// code warmed up. Every round builds a fresh draft, as each edit does. Median over BENCH_ROUNDS
// rounds (default 5) per kind of edit:
//   a definition's threshold (its value changes for some patients: their downstream is re-evaluated)
//   a clause's threshold (only that rule is re-evaluated)
//   an input's description (text only: nothing is re-evaluated)
//   an input's plausible range, an input's title, an enum value added, a small integer range (ECOG):
//     the changed input's facts are validated again; where the missing-fact value changes (an
//     enum's values, a small integer range), its readers are re-evaluated for patients without it
//   a definition added, a rule removed (only those nodes)
// BENCH_ONLY=<regex> keeps the edits whose label matches.
// Goal: under 200 ms per compare() on 10,000 cases. The process's CPU time is printed beside the
// wall time: on a loaded machine it is the steadier figure.
import { compare, type CaseOutcome } from '../../engine/authoring/compare.ts';
import type { Case, DefinitionNode, Guideline, JsonValue, Logic, RuleNode } from '../../engine/runtime/index.ts';
import { loadGuideline } from '../../engine/node/load.ts';
import { GUIDELINE_DIR } from '../helpers.ts';
import { patients } from '../generate.ts';

const N = Number(process.env.BENCH_CASES ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const { guideline: base, findings } = loadGuideline(GUIDELINE_DIR);
if (findings.some((f) => f.severity === 'error')) throw new Error('the guideline has checker errors; run guideline check');

const cases: Case[] = [...patients(base, N, 7, 0.1)].map((facts, i) => ({ id: `bench-${i}`, title: `generated patient ${i}`, facts, expect: {} }) as Case);

/** The first numeric comparison operand in an expression, moved by +1 (a copy; undefined if none). */
function nudged(l: Logic): Logic | undefined {
  let done = false;
  const walk = (x: JsonValue): JsonValue => {
    if (done || x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map(walk);
    const op = Object.keys(x)[0];
    const args = x[op];
    if (['<', '<=', '>', '>='].includes(op) && Array.isArray(args) && args.some((a) => typeof a === 'number')) {
      done = true;
      return { [op]: args.map((a) => (typeof a === 'number' ? a + 1 : a)) };
    }
    return { [op]: walk(args) };
  };
  const out = walk(l as JsonValue);
  return done ? (out as Logic) : undefined;
}

const definition = base.nodes.find((n): n is DefinitionNode => n.kind === 'definition' && nudged(n.expr) !== undefined)!;
const rule = base.nodes.find((n): n is RuleNode => (n.kind === 'recommendation' || n.kind === 'practice-point') && n.clauses.some((c) => nudged(c.when) !== undefined))!;

const ranged = base.inputs.find((f) => f.type === 'number' && typeof f.maximum === 'number')!;
const enumerated = base.inputs.find((f) => f.type === 'enum')!;
// a small integer range (ECOG 0-5): a missing fact is one of its values, so the range reaches nodes
const small = base.inputs.find((f) => f.type === 'number' && f.integer && f.maximum! - f.minimum! < 8)!;
const removedRule = [...base.nodes].reverse().find((n): n is RuleNode => n.kind === 'recommendation')!;
const edits: { label: string; draft: () => Guideline }[] = [
  {
    label: `definition ${definition.id}`,
    draft: () => ({ ...base, nodes: base.nodes.map((n) => (n === definition ? { ...definition, expr: nudged(definition.expr)! } : n)) }),
  },
  {
    label: `clause of ${rule.id}`,
    draft: () => {
      const i = rule.clauses.findIndex((c) => nudged(c.when) !== undefined);
      const clauses = rule.clauses.map((c, j) => (j === i ? { ...c, when: nudged(c.when)! } : c));
      return { ...base, nodes: base.nodes.map((n) => (n === rule ? { ...rule, clauses } : n)) };
    },
  },
  {
    label: `input ${base.inputs[0].id} description (text only)`,
    draft: () => ({ ...base, inputs: base.inputs.map((f, i) => (i === 0 ? { ...f, description: `${f.description ?? ''} (edited)` } : f)) }),
  },
  {
    label: `input ${ranged.id} maximum`,
    draft: () => ({ ...base, inputs: base.inputs.map((f) => (f === ranged ? { ...f, maximum: f.maximum! + 1 } : f)) }),
  },
  {
    label: `input ${ranged.id} title`,
    draft: () => ({ ...base, inputs: base.inputs.map((f) => (f === ranged ? { ...f, title: `${f.title} (edited)` } : f)) }),
  },
  {
    label: `input ${enumerated.id} enum value added`,
    draft: () => ({ ...base, inputs: base.inputs.map((f) => (f === enumerated ? { ...f, values: [...f.values!, { value: 'added', label: 'Added' }] } : f)) }),
  },
  {
    label: `input ${small.id} maximum (a small integer range)`,
    draft: () => ({ ...base, inputs: base.inputs.map((f) => (f === small ? { ...f, maximum: f.maximum! - 1 } : f)) }),
  },
  {
    label: 'definition added',
    draft: () => ({ ...base, nodes: [...base.nodes, { kind: 'definition', id: 'bench_added', title: 'Added', type: 'boolean', expr: { '>': [{ var: ranged.id }, ranged.minimum ?? 0] }, citations: [] } as DefinitionNode] }),
  },
  {
    label: `rule ${removedRule.id} removed`,
    draft: () => ({ ...base, nodes: base.nodes.filter((n) => n !== removedRule) }),
  },
];

const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
if (only) edits.splice(0, edits.length, ...edits.filter((e) => only.test(e.label)));
const baselineCache = new Map<Case, CaseOutcome>();
let t0 = performance.now();
compare(base, base, cases, { baselineCache });
console.log(`guideline ${base.manifest.id} v${base.manifest.version}; ${N} generated cases; cold first compare (baseline evaluated): ${(performance.now() - t0).toFixed(0)} ms`);
for (const e of edits) compare(base, e.draft(), cases, { baselineCache }); // warm-up

const times = new Map<string, number[]>(edits.map((e) => [e.label, []]));
const cpu = new Map<string, number[]>(edits.map((e) => [e.label, []]));
const changed = new Map<string, number>();
const paths = new Map<string, string>();
for (let round = 0; round < ROUNDS; round++) {
  for (const e of edits) {
    const draft = e.draft();
    const c0 = process.cpuUsage();
    t0 = performance.now();
    const counts = { full: 0, patched: 0, reused: 0 };
    const c = compare(base, draft, cases, { baselineCache, counts });
    times.get(e.label)!.push(performance.now() - t0);
    const used = process.cpuUsage(c0);
    cpu.get(e.label)!.push((used.user + used.system) / 1000);
    changed.set(e.label, c.changed.length);
    paths.set(e.label, `${counts.full} full, ${counts.patched} patched, ${counts.reused} reused`);
  }
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
for (const e of edits) {
  const m = median(times.get(e.label)!);
  console.log(`${e.label.padEnd(44)} ${m.toFixed(0).padStart(6)} ms median, ${median(cpu.get(e.label)!).toFixed(0)} ms CPU  (rounds: ${times.get(e.label)!.map((t) => t.toFixed(0)).join(' ')}; ${changed.get(e.label)} cases changed; ${paths.get(e.label)})${m < 200 ? '' : '  (goal < 200 ms)'}`);
}
