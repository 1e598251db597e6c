// npm run fuzz -- --runs 1000000 [--minutes M] [--only name]: the properties of issue 12 outside
// vitest's timeouts, with the same generators and seed (FUZZ_SEED). --minutes bounds each
// property's time (fast-check's interruptAfterTimeLimit); the runs actually made are printed.
import fc from 'fast-check';
import { PROPERTIES, runsOf, SEED, STATS } from './properties.ts';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const runs = Number(opt('runs') ?? 1_000_000);
const minutes = opt('minutes') ? Number(opt('minutes')) : undefined;
const only = opt('only');
let failed = 0;
console.log(`seed ${SEED}, ${runs} runs per property (scaled for the whole-guideline ones)${minutes ? `, at most ${minutes} min each` : ''}`);
for (const p of PROPERTIES) {
  if (only && !p.name.includes(only)) continue;
  for (const k of Object.keys(STATS) as (keyof typeof STATS)[]) STATS[k] = 0;
  const started = performance.now();
  const details = fc.check(p.property(), { numRuns: runsOf(p, runs), seed: SEED, ...(minutes ? { interruptAfterTimeLimit: minutes * 60_000, markInterruptAsFailure: false } : {}) });
  const s = ((performance.now() - started) / 1000).toFixed(1);
  const status = details.failed ? 'FAILED' : details.interrupted ? 'passed (interrupted by the time limit)' : 'passed';
  console.log(`${status}: ${p.name}\n  ${details.numRuns} runs of ${runsOf(p, runs)} in ${s} s; ${JSON.stringify(STATS)}`);
  if (details.failed) {
    failed++;
    console.log(`  seed ${details.seed}, path ${details.counterexamplePath}\n  ${String(details.errorInstance).slice(0, 2000)}\n  counterexample: ${JSON.stringify(details.counterexample).slice(0, 2000)}`);
  }
}
process.exit(failed ? 1 : 0);
