// Benchmark (not a test): in Chromium, from an edit of the Child-Pugh albumin threshold to the
// impact panel showing the new comparison, for the shipped case corpus and for a synthetic corpus
// of 1,000 cases. Prints medians. Run: npm run build && npm run bench:editor
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../../engine/runtime/index.ts';
import { formatDocument, parseSource } from '../../engine/authoring/index.ts';
import { readSourceFiles } from '../../engine/node/load.ts';
import { context, harness, SHIPPED } from './harness.ts';

const NODE = 'nodes/treatment-overview/child_pugh_albumin_points.json';
const EDITS = Number(process.env.BENCH_EDITS ?? 21);

/** 1,000 cases: the shipped cases' facts with liver-function values varied (seeded, deterministic). */
function synthesize(dir: string, n: number) {
  const { guideline: g } = parseSource(readSourceFiles(dir));
  const base = g.cases.filter((c) => c.facts.albumin !== undefined);
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = join(dir, 'cases', 'treatment-overview');
  mkdirSync(out, { recursive: true });
  for (let i = 0; i < n; i++) {
    const facts = { ...base[i % base.length].facts };
    facts.albumin = Math.round((2 + rnd() * 2.5) * 10) / 10;
    facts.bilirubin = Math.round((0.3 + rnd() * 3.5) * 10) / 10;
    const r = evaluate(g, facts);
    const id = `synthetic_patient_${String(i).padStart(4, '0')}`;
    writeFileSync(join(out, `${id}.json`), formatDocument({ id, title: `Synthetic patient ${i} (benchmark).`, facts, expect: { values: { child_pugh_score: r.values.child_pugh_score.value ?? null } } }));
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function run(label: string, extra?: number) {
  const h = await harness(SHIPPED, extra ? (dir) => synthesize(dir, extra) : undefined);
  const { ctx } = await context(h.browser);
  const page = await ctx.newPage();
  await page.goto(`${h.server.url}#/${NODE}`);
  await page.waitForSelector('.monaco-editor .view-lines');
  await page.waitForFunction(() => !!window.__editor?.getModel());
  const cases = await page.evaluate(() => document.querySelectorAll('.nav-chapter:last-child .nav-item').length);
  const original = await page.evaluate(() => window.__editor!.getModel()!.getValue());
  const doc = JSON.parse(original);
  const totals: number[] = [];
  const workers: number[] = [];
  const afterDebounce: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    doc.expr.if[0]['>'][1] = i % 2 ? 3.5 - 0.1 * (1 + (i % 5)) : 3.6 + 0.1 * (i % 4);
    const before = await page.evaluate(() => Number(document.querySelector('[data-testid="impact"]')!.getAttribute('data-seq')));
    await page.evaluate((text) => {
      const ed = window.__editor!;
      ed.executeEdits('bench', [{ range: ed.getModel()!.getFullModelRange(), text }]);
    }, JSON.stringify(doc, null, 2));
    await page.waitForFunction((b) => {
      const el = document.querySelector('[data-testid="impact"]')!;
      return Number(el.getAttribute('data-seq')) > b && el.getAttribute('data-pending') === 'false' && (window.__impactLog ?? []).length > 0;
    }, before, { polling: 'raf', timeout: 60000 });
    // The app logs, per result, the time from the last keystroke to the panel's render (useEffect after commit).
    const t = await page.evaluate(() => window.__impactLog![window.__impactLog!.length - 1]);
    if (i === 0) continue; // warm-up
    totals.push(t.total);
    workers.push(t.worker);
    afterDebounce.push(t.total - 150);
  }
  const changed = await page.evaluate(() => document.querySelectorAll('.impact-case').length);
  await h.close();
  const line = `${label}: ${cases} cases; edit → impact panel updated, median ${median(totals).toFixed(0)} ms (includes the 150 ms debounce; ${median(afterDebounce).toFixed(0)} ms after it); worker compare median ${median(workers).toFixed(0)} ms; ${changed} cases changed on the last edit; ${totals.length} edits`;
  console.log(line);
  return line;
}

const lines = [await run('shipped corpus'), await run('shipped + 1,000 synthetic', 1000)];
mkdirSync('e2e-out', { recursive: true });
writeFileSync('e2e-out/bench-editor.txt', lines.join('\n') + '\n');
