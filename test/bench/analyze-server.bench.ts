// The editor's server while it runs the whole analysis (POST /api/analyze, no options) on a
// temporary copy of the shipped guideline: how long the run takes, the slowest answer to another
// request during it (the solver's checks are asynchronous; the JS between them is not), and a
// repeated request (the cached report). Run: npx tsx test/bench/analyze-server.bench.ts
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../engine/node/server.ts';
import { Client } from '../server-client.ts';
import { GUIDELINE_DIR as GUIDELINE } from '../helpers.ts';
const tmp = mkdtempSync(join(tmpdir(), 'guideline-analyze-bench-'));
cpSync(GUIDELINE, join(tmp, 'g'), { recursive: true });
mkdirSync(join(tmp, 's')); writeFileSync(join(tmp, 's', 'index.html'), '<!doctype html>');
const server = await startServer({ guidelineDir: join(tmp, 'g'), staticDir: join(tmp, 's'), port: 0, goldenDir: join(tmp, 'golden') });
const c = new Client(server.port); await c.session();
const t0 = performance.now();
let worst = 0, n = 0;
let a: any; // eslint-disable-line @typescript-eslint/no-explicit-any
for (;;) {
  const p0 = performance.now(); a = (await c.send('POST', '/api/analyze', {})).json(); const post = performance.now() - p0;
  if (!a.running) break;
  for (let i = 0; i < 4; i++) { const g0 = performance.now(); await c.get('/api/files'); worst = Math.max(worst, performance.now() - g0, post); n++; await new Promise((ok) => setTimeout(ok, 200)); }
}
console.log(`whole analysis via the server: ${Math.round(performance.now() - t0)} ms (report ${a.saved.report.ms.total} ms); ${n} GETs during it, slowest answer ${Math.round(worst)} ms`);
const r0 = performance.now(); await c.send('POST', '/api/analyze', {}); console.log(`asked again (cached): ${Math.round(performance.now() - r0)} ms`);
await server.close(); rmSync(tmp, { recursive: true, force: true }); process.exit(0);
