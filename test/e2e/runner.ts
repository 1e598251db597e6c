// The small test runner every browser suite shares: named steps run in order, a screenshot of
// each page on failure (into e2e-out/, never a tracked file), an axe-core check, and the plain
// `e2e: N passed, N failed` line that .ci/run reads.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './harness.ts';

export const OUT = join(ROOT, 'e2e-out');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function assert(cond: unknown, message: string): asserts cond { if (!cond) throw new Error(message); }

export interface Runner {
  /** Runs one named step; a failure is recorded and printed, and the run goes on. */
  test(name: string, fn: () => Promise<void>): Promise<void>;
  /** Writes e2e-out/<suite>-results.json, prints the summary line and exits 1 on any failure. */
  finish(): never;
}

/** `pages()`: the pages to photograph when a step fails (read at failure time, so pages opened later count). */
export function runner(suite: string, pages: () => Page[]): Runner {
  mkdirSync(OUT, { recursive: true });
  const results: { name: string; ok: boolean; error?: string }[] = [];
  return {
    async test(name, fn) {
      const t0 = Date.now();
      try {
        await fn();
        results.push({ name, ok: true });
        console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        results.push({ name, ok: false, error: String((e as Error).stack ?? e) });
        console.log(`  ✗ ${name}\n    ${String((e as Error).message ?? e).split('\n').join('\n    ')}`);
        for (const [i, p] of pages().entries()) {
          await p.screenshot({ path: join(OUT, `failed-${suite}-${i}-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
        }
      }
    },
    finish() {
      const passed = results.filter((r) => r.ok).length;
      const failed = results.length - passed;
      writeFileSync(join(OUT, `e2e-${suite}-results.json`), JSON.stringify(results, null, 2));
      console.log(`e2e: ${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

/**
 * axe-core on the page as it is (or only inside the `within` selector): the serious and critical
 * violations, as "where: rule: target" lines.
 */
export async function axe(p: Page, where: string, within?: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ content: AXE });
  const found = await p.evaluate(async (within) => {
    // Monaco's own text area and overflow widgets are the editor component's, not ours.
    const scope = within ? { include: [[within]], exclude: [['.monaco-editor']] } : { exclude: [['.monaco-editor']] };
    const r = await (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run(
      scope, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  }, within);
  return found.map((f) => `${where}: ${f}`);
}
