// The compiler against the interpreter (the reference): on every regression case and on
// generated patients (partial facts included), the compiled evaluation must give byte-identical
// results and traces (JSON.stringify equal). COMPILE_PATIENTS sets how many generated patients
// (default 100 here, each evaluated with and without trace); `npm run test:compile:full` runs 1,000,000,
// split across processes by COMPILE_SHARD ("i/n": this process checks every n-th patient from the i-th).
import { describe, expect, it } from 'vitest';
import { evaluate, validateFacts, type Guideline } from '../engine/runtime/index.ts';
import { compileExpression, compilerAvailable } from '../engine/runtime/compile.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { patients } from './generate.ts';
import { goldenNodes } from '../engine/authoring/golden.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);
const PATIENTS = Number(process.env.COMPILE_PATIENTS ?? 100);
/** Share of generated patients evaluated with the trace as well (the trace costs most). */
const TRACED_SHARE = Number(process.env.COMPILE_TRACED_SHARE ?? 1);
const [SHARD, SHARDS] = (process.env.COMPILE_SHARD ?? '0/1').split('/').map(Number);
if (!(Number.isInteger(SHARD) && Number.isInteger(SHARDS) && SHARDS >= 1 && SHARD >= 0 && SHARD < SHARDS)) {
  throw new Error(`COMPILE_SHARD must be "i/n" with 0 <= i < n, got ${process.env.COMPILE_SHARD}`);
}

/** `trustedFacts` when the facts were validated already: both engines then skip validating them again. */
function compare(g: Guideline, facts: unknown, trace: boolean, trustedFacts = false): string | undefined {
  let a: string;
  let b: string;
  try { a = JSON.stringify(evaluate(g, facts, { trace, trustedFacts, engine: 'interpreter' })); } catch (e) { a = `threw ${(e as Error).message}`; }
  try { b = JSON.stringify(evaluate(g, facts, { trace, trustedFacts })); } catch (e) { b = `threw ${(e as Error).message}`; }
  if (a === b) return undefined;
  let i = 0;
  while (a[i] === b[i]) i++;
  return `interpreter …${a.slice(Math.max(0, i - 200), i + 100)}\ncompiled    …${b.slice(Math.max(0, i - 200), i + 100)}`;
}

describe('compiled evaluation equals the interpreter', () => {
  it('the compiler is available here and covers every expression of the shipped guideline', () => {
    expect(compilerAvailable()).toBe(true);
    const slots = new Map<string, { slot: number; source: 'fact' | 'definition' }>();
    guideline.inputs.forEach((i, k) => slots.set(i.id, { slot: k, source: 'fact' }));
    guideline.nodes.forEach((n, k) => { if (n.kind === 'definition' && !slots.has(n.id)) slots.set(n.id, { slot: 1000 + k, source: 'definition' }); });
    const uncovered: string[] = [];
    for (const n of guideline.nodes) {
      const exprs = n.kind === 'definition' ? [n.expr] : n.kind === 'recommendation' || n.kind === 'practice-point' ? n.clauses.flatMap((c) => [c.when, ...(c.action.options ?? []).flatMap((o) => (o.when === undefined ? [] : [o.when]))]) : [];
      for (const e of exprs) if (!compileExpression(e, '/expr', (name) => slots.get(name), false)) uncovered.push(n.id);
    }
    expect(uncovered).toEqual([]);
  });

  it('on every regression case, with and without trace', () => {
    const diffs: string[] = [];
    for (const c of guideline.cases) {
      for (const trace of [false, true]) {
        const d = compare(guideline, c.facts, trace);
        if (d) diffs.push(`${c.id} (trace ${trace}):\n${d}`);
      }
    }
    expect(diffs.slice(0, 3)).toEqual([]);
  }, 600_000);

  const shard = SHARDS > 1 ? ` (shard ${SHARD}/${SHARDS})` : '';
  it(`on ${PATIENTS} generated patients (0 %, 10 %, 30 % and 70 % of facts missing)${shard}`, () => {
    const diffs: string[] = [];
    const shares = [0, 0.1, 0.3, 0.7];
    let n = 0;
    let checked = 0;
    for (const [k, missing] of shares.entries()) {
      const count = Math.ceil(PATIENTS / shares.length);
      for (const raw of patients(guideline, count, 1000 + k, missing)) {
        // Every shard generates the same patients and counts them all, so which are traced does not
        // depend on the number of shards.
        const traced = (n % Math.max(1, Math.round(1 / TRACED_SHARE))) === 0;
        if (n++ % SHARDS !== SHARD) continue;
        checked++;
        const facts = validateFacts(guideline.inputs, raw);
        for (const trace of traced ? [false, true] : [false]) {
          const d = compare(guideline, facts, trace, true);
          if (d && diffs.length < 3) diffs.push(`patient ${n} (missing ${missing}, trace ${trace}) ${JSON.stringify(raw)}:\n${d}`);
        }
      }
    }
    console.info(`compile differential${shard}: ${checked} of ${n} generated patients, ${diffs.length} differences`);
    expect(diffs).toEqual([]);
  }, 24 * 3600_000);

  it("a trace of some nodes (traceNodes) is the full trace's events of those nodes, on both engines", () => {
    let checked = 0;
    for (const c of guideline.cases.slice(0, 120)) {
      const nodes = goldenNodes(guideline, c);
      for (const engine of ['compiled', 'interpreter'] as const) {
        const full = evaluate(guideline, c.facts, { trace: true, engine });
        const some = evaluate(guideline, c.facts, { trace: true, traceNodes: nodes, engine });
        expect(JSON.stringify(some.trace)).toBe(JSON.stringify(full.trace!.filter((e) => nodes.has(e.node))));
        expect(JSON.stringify({ ...some, trace: undefined })).toBe(JSON.stringify({ ...full, trace: undefined }));
        checked += some.trace!.length;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('a memoised three-valued value is the one computed afresh: the same patients in another order', () => {
    // Without a trace the compiled path reuses an expression's value for the same values read; a
    // wrong key (a read left out) would show as a difference once the memo is warm.
    const list = [...patients(guideline, 300, 77, 0.4)].map((raw) => validateFacts(guideline.inputs, raw));
    const first = list.map((f) => JSON.stringify(evaluate(guideline, f, { trustedFacts: true })));
    const again = [...list].reverse().map((f) => JSON.stringify(evaluate(guideline, f, { trustedFacts: true }))).reverse();
    const reference = list.map((f) => JSON.stringify(evaluate(guideline, f, { trustedFacts: true, engine: 'interpreter' })));
    expect(again).toEqual(reference);
    expect(first).toEqual(reference);
  });

  it('hostile and unusual facts: the same errors and results', () => {
    const cases: unknown[] = [{}, { alt: -5 }, { alt: 'x' }, null, [], { nope: 1 }, { ecog: 1.5 }, { prior_systemic_therapies: [{}] }, { prior_systemic_therapies: [{ agent: 'sorafenib' }, {}] }];
    const diffs = cases.flatMap((f) => [false, true].map((t) => compare(guideline, f, t)).filter(Boolean));
    expect(diffs).toEqual([]);
  });

  it('with trusted facts that are not validated (null, an undefined value): the same as the interpreter', () => {
    for (const facts of [{ alt: null, ast: 30 }, { alt: undefined }, { hbsag_positive: 1, albumin: '3.5' }]) {
      for (const trace of [false, true]) {
        let a: string; let b: string;
        try { a = JSON.stringify(evaluate(guideline, facts, { trace, trustedFacts: true, engine: 'interpreter' })); } catch (e) { a = String(e); }
        try { b = JSON.stringify(evaluate(guideline, facts, { trace, trustedFacts: true })); } catch (e) { b = String(e); }
        expect(b).toBe(a);
      }
    }
  });
});
