// Shared by the browser tests and the benchmark: a temporary copy of a guideline folder, the
// editor's server on a free port against it, and Debian Chromium driven by playwright-core.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { startServer, type RunningServer } from '../../engine/node/server.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHIPPED = join(ROOT, 'guideline', 'klca-ncc-2022');

/** `golden`: a temporary copy of the guideline's golden traces, where the server's saves write (never test/golden). */
export interface Harness { dir: string; golden: string; server: RunningServer; browser: Browser; close(): Promise<void> }

export async function harness(source = SHIPPED, prepare?: (dir: string) => void): Promise<Harness> {
  const tmp = mkdtempSync(join(tmpdir(), 'guideline-e2e-'));
  const dir = join(tmp, 'guideline');
  cpSync(source, dir, { recursive: true });
  prepare?.(dir);
  const golden = join(tmp, 'golden');
  const id = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).id as string;
  if (existsSync(join(ROOT, 'test', 'golden', id))) cpSync(join(ROOT, 'test', 'golden', id), golden, { recursive: true });
  const server = await startServer({ guidelineDir: dir, port: 0, goldenDir: golden });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  return {
    dir, golden, server, browser,
    close: async () => { await browser.close(); await server.close(); rmSync(tmp, { recursive: true, force: true }); },
  };
}

const isLocal = (u: string) => {
  const x = new URL(u);
  return x.protocol === 'data:' || x.protocol === 'blob:' || ['127.0.0.1', 'localhost', '[::1]'].includes(x.hostname);
};

/** A browser context that records every non-local request (and blocks it) and every console error. */
export async function context(browser: Browser): Promise<{ ctx: BrowserContext; external: string[]; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const external: string[] = [];
  const errors: string[] = [];
  ctx.on('request', (r) => { if (!isLocal(r.url())) external.push(r.url()); });
  await ctx.route('**/*', (r) => (isLocal(r.request().url()) ? r.continue() : r.abort('blockedbyclient')));
  ctx.on('page', (page) => {
    // 409 and 422 answers are expected (refused saves); the browser logs them as failed loads.
    page.on('console', (m) => { if (m.type() === 'error' && !/status of (409|422)/.test(m.text())) errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
  });
  return { ctx, external, errors };
}
