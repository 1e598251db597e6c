// Benchmark (npm run bench:analyze), not a test: the whole analysis of the shipped guideline
// (engine/analysis, Z3), BENCH_ANALYZE_RUNS times (default 3) in one process. Prints the median of
// the whole analysis and of each part, the solver's load time (first run), and per invariant the
// median time and its status; the budget of issue 13 is 60 s in all and 5 s per invariant.
import { analyze, type AnalysisReport } from '../../engine/analysis/index.ts';
import { loadGuideline } from '../../engine/node/load.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const RUNS = Number(process.env.BENCH_ANALYZE_RUNS ?? 3);
const { guideline } = loadGuideline(GUIDELINE_DIR);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const reports: AnalysisReport[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  reports.push(await analyze(guideline));
  console.log(`run ${i + 1}/${RUNS}: ${Math.round(performance.now() - t)} ms`);
}
const parts = ['total', 'z3Load', 'invariants', 'conflicts', 'clauses', 'gaps', 'boundaries'] as const;
console.log(`\nanalysis of ${guideline.manifest.id} v${guideline.manifest.version}, median of ${RUNS} run(s):`);
for (const k of parts) console.log(`  ${k.padEnd(11)} ${String(median(reports.map((r) => r.ms[k]))).padStart(7)} ms${k === 'z3Load' ? `  (first run ${reports[0].ms.z3Load} ms: loading the WebAssembly solver)` : ''}`);
const last = reports[reports.length - 1];
const perInvariant = last.invariants.map((inv) => ({ id: inv.id, status: inv.status, ms: median(reports.map((r) => r.invariants.find((x) => x.id === inv.id)!.ms)) })).sort((a, b) => b.ms - a.ms);
console.log(`\ninvariants: ${last.invariants.filter((x) => x.status === 'proved').length} proved, ${last.invariants.filter((x) => x.status === 'refuted').length} refuted, ${last.invariants.filter((x) => x.status === 'unknown').length} unknown; median per invariant ${median(perInvariant.map((x) => x.ms))} ms, slowest ${perInvariant[0].ms} ms; over 5 s: ${perInvariant.filter((x) => x.ms > 5000).length}`);
for (const x of perInvariant) console.log(`  ${String(x.ms).padStart(6)} ms  ${x.status.padEnd(8)} ${x.id}`);
console.log(`\nfindings: ${last.conflicts.length} conflicts, ${last.dead.length} dead clauses, ${last.everyone.length} clauses for everyone, ${last.gaps.length} chapter gaps, ${last.undecidable.length} undecidable, boundaries ${last.boundaries.covered}/${last.boundaries.total} covered`);
process.exit(0);
