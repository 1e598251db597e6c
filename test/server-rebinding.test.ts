// DNS rebinding, driven in Chromium: the browser resolves evil.example to 127.0.0.1
// (--host-resolver-rules), so a page the user opens at http://evil.example:<port> is, to the
// browser, same-origin with the editor's server. Its script tries to read and rewrite a guideline
// file; the server sees `Host: evil.example:<port>` and refuses with 421. A second page on
// another site tries a cross-site write to http://127.0.0.1:<port> and gets 403 (foreign Origin).
// The rebinding is played out for real: the attacker's page is first served by the attacker's
// server on 127.0.0.1:<port> (what evil.example's first DNS answer points to), which then goes
// away, and the guideline server starts on that very address (what the second answer points to).
// Everything the page's script then fetches from its own origin reaches the guideline server.
// (Served from a loopback address, the page is not held back by Chromium's Private Network
// Access rules, which other browsers do not have: the server must stand on its own.)
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../engine/node/server.ts';
import { FIXTURES } from './helpers.ts';

let tmp: string;
let dir: string;
let server: RunningServer;
let browser: Browser;
let stat: string;
const NODE = 'nodes/liver/good_liver.json';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'guideline-rebind-'));
  dir = join(tmp, 'guideline');
  cpSync(join(FIXTURES, 'mini'), dir, { recursive: true });
  stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
      '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP other.example 127.0.0.1'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

// What the attacker's script does: read the file list, then PUT a rewritten file (with the token
// it would have if it could read /api/session), as a same-origin fetch from its own page.
const ATTACK = `<!doctype html><script>
window.attack = async () => {
  const out = {};
  const s = await fetch('/api/session').catch((e) => ({ status: 'error ' + e }));
  out.session = s.status;
  const f = await fetch('/api/files').catch((e) => ({ status: 'error ' + e }));
  out.list = f.status;
  const w = await fetch('/api/files/${NODE}', { method: 'PUT', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: '{"kind":"definition","id":"good_liver","title":"pwned","type":"boolean","expr":true}', version: null }) })
    .catch((e) => ({ status: 'error ' + e }));
  out.write = w.status;
  out.writeBody = w.text ? await w.text() : '';
  return out;
};
</script>`;

const CROSS = (port: number) => `<!doctype html><form id=f method=POST action="http://127.0.0.1:${port}/api/files/${NODE}" enctype="text/plain"><input name='{"text":"x","version":null,"a":"' value='"}'></form><script>
window.result = (async () => {
  const w = await fetch('http://127.0.0.1:${port}/api/files/${NODE}', { method: 'PUT', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: 'x' })
    .then((r) => r.type).catch((e) => 'error ' + e);
  return { write: w };
})();
</script>`;

describe('DNS rebinding in Chromium', () => {
  it('a page at http://evil.example:<port> (resolving to 127.0.0.1) cannot read or rewrite a file: 421, file unchanged', async () => {
    const before = readFileSync(join(dir, NODE), 'utf8');
    const ctx = await browser.newContext();
    const seen: { url: string; status: number }[] = [];
    ctx.on('response', (r) => seen.push({ url: r.url(), status: r.status() }));
    const page = await ctx.newPage();
    // 1. The attacker's server answers for evil.example:<port>.
    const attacker = createServer((_q, r) => { r.writeHead(200, { 'content-type': 'text/html', connection: 'close' }); r.end(ATTACK); });
    await new Promise<void>((ok) => attacker.listen(0, '127.0.0.1', () => ok()));
    const port = (attacker.address() as { port: number }).port;
    await page.goto(`http://evil.example:${port}/attack.html`);
    // 2. The name now leads to the guideline server.
    attacker.closeAllConnections();
    await new Promise<void>((ok) => attacker.close(() => ok()));
    server = await startServer({ guidelineDir: dir, staticDir: stat, port });
    const result = await page.evaluate(() => (window as unknown as { attack: () => Promise<Record<string, unknown>> }).attack());
    // The requests reached our server (a status, not a network error) and it refused them.
    expect(result).toMatchObject({ session: 421, list: 421, write: 421 });
    expect(String(result.writeBody)).toMatch(/DNS rebinding/);
    expect(seen.filter((s) => s.url.includes('/api/')).every((s) => s.status === 421)).toBe(true);
    expect(readFileSync(join(dir, NODE), 'utf8')).toBe(before);
    await ctx.close();
  });

  it('a page on another site posting to http://127.0.0.1:<port> is refused (403, foreign Origin), file unchanged', async () => {
    const before = readFileSync(join(dir, NODE), 'utf8');
    const ctx = await browser.newContext();
    const statuses: number[] = [];
    ctx.on('response', (r) => { if (r.url().includes('/api/files')) statuses.push(r.status()); });
    const page = await ctx.newPage();
    await page.route('http://other.example/attack.html', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: CROSS(server.port) }));
    await page.goto('http://other.example/attack.html');
    await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
    // The classic form post too (a top-level navigation with the site's Origin).
    await Promise.all([page.waitForEvent('response', (r) => r.url().includes('/api/files')), page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit())]);
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    for (const s of statuses) expect(s).toBe(403);
    expect(readFileSync(join(dir, NODE), 'utf8')).toBe(before);
    await ctx.close();
  });

  it('control: the editor\'s own page at http://127.0.0.1:<port> reads the files (the harness can tell a refusal)', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(server.url);
    const status = await page.evaluate(async () => (await fetch('/api/files')).status);
    expect(status).toBe(200);
    await ctx.close();
  });
});
