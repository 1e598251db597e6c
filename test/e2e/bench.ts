// Benchmark (not a test): in Chromium, from a real keydown (page.keyboard: the last digit of the
// Child-Pugh albumin threshold typed in Monaco) to the impact panel painted with the new
// comparison (the first animation frame after the panel's DOM shows it), for the shipped case
// corpus and for a synthetic corpus of 1,000 cases. Prints medians (goals: 100 ms and 150 ms).
// Run: npm run build && npm run bench:editor
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
  // In the page: the time of every keydown (capture phase, before Monaco sees it), and the first
  // animation frame after the impact panel's DOM shows a settled comparison newer than `after`.
  // Written as a string: tsx (esbuild keepNames) wraps named inner functions of a TS callback in
  // __name(), which does not exist in the page.
  await page.evaluate(`(() => {
    window.addEventListener('keydown', () => { window.__keyAt = performance.now(); }, true);
    window.__painted = (after) => new Promise((ok) => {
      const el = document.querySelector('[data-testid="impact"]');
      const done = () => Number(el.getAttribute('data-seq')) > after && el.getAttribute('data-pending') === 'false';
      const fire = () => requestAnimationFrame(() => ok(performance.now()));
      if (done()) return fire();
      const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); fire(); } });
      mo.observe(el, { attributes: true, childList: true, subtree: true });
    });
  })()`);
  const totals: number[] = [];
  const workers: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    // Select the threshold's last digit and type another one: one real keydown, one edit.
    const digit = String(i % 2 ? 4 : 6);
    await page.evaluate(() => {
      const ed = window.__editor!;
      const m = ed.getModel()!;
      const text = m.getValue();
      const at = text.indexOf('3.', text.indexOf('"albumin"')) + 2;
      const a = m.getPositionAt(at);
      ed.setSelection({ startLineNumber: a.lineNumber, startColumn: a.column, endLineNumber: a.lineNumber, endColumn: a.column + 1 });
      ed.focus();
    });
    const before = await page.evaluate(() => Number(document.querySelector('[data-testid="impact"]')!.getAttribute('data-seq')));
    const painted = page.evaluate((b) => (window as unknown as { __painted: (after: number) => Promise<number> }).__painted(b), before);
    await page.keyboard.press(digit);
    const paintAt = await painted;
    const t = await page.evaluate((p) => ({ total: p - (window as unknown as { __keyAt: number }).__keyAt, worker: window.__impactLog![window.__impactLog!.length - 1].worker }), paintAt);
    if (i === 0) continue; // warm-up
    totals.push(t.total);
    workers.push(t.worker);
  }
  const changed = await page.evaluate(() => document.querySelectorAll('.impact-case').length);
  await h.close();
  const line = `${label}: ${cases} cases; keydown → impact panel painted, median ${median(totals).toFixed(0)} ms (goal ${extra ? 150 : 100} ms); worker compare median ${median(workers).toFixed(0)} ms; ${changed} cases changed on the last edit; ${totals.length} edits`;
  console.log(line);
  return line;
}

const lines = [await run('shipped corpus'), await run('shipped + 1,000 synthetic', 1000)];
mkdirSync('e2e-out', { recursive: true });
writeFileSync('e2e-out/bench-editor.txt', lines.join('\n') + '\n');
