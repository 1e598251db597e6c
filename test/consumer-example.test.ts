// The README's example consumers run here: the Node script (importing the package entry
// "guideline-engine" through package.json "exports") and the browser page (the engine built into
// one ES module, the bundle fetched over HTTP, evaluated in Chromium).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate, makeBundle, readBundle, type RuleNode } from '../engine/runtime/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR, ROOT } from './helpers.ts';

const CONSUMER = join(ROOT, 'test', 'fixtures', 'consumer');
const { guideline } = loadGuideline(GUIDELINE_DIR);
const tmp = mkdtempSync(join(tmpdir(), 'guideline-consumer-'));
const bundlePath = join(tmp, 'guideline.bundle.json');
writeFileSync(bundlePath, JSON.stringify(makeBundle(guideline)) + '\n');
const bundle = readBundle(readFileSync(bundlePath, 'utf8'));
let server: Server | undefined;
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(tmp, { recursive: true, force: true });
});

function readme(): string {
  for (const name of ['README.md']) {
    const p = join(ROOT, name);
    if (existsSync(p) && readFileSync(p, 'utf8').includes('For developers: the bundle')) return readFileSync(p, 'utf8');
  }
  throw new Error('no README section "For developers: the bundle"');
}

/** The example from its first import on, as the README shows it. */
const body = (file: string) => {
  const text = readFileSync(join(CONSUMER, file), 'utf8');
  if (!file.endsWith('.html')) return text.slice(text.indexOf('import '));
  return text.slice(text.indexOf('<script type="module">'), text.indexOf('</script>') + '</script>'.length);
};

describe('README example consumers', () => {
  it('are shown in the README verbatim', () => {
    const r = readme();
    expect(r).toContain(body('node-consumer.ts').trim());
    expect(r).toContain(body('browser.html').trim());
  });

  it('Node: loads the bundle through the package entry, evaluates and reads the result', () => {
    const patient = join(GUIDELINE_DIR, 'examples', 'sample-patient.json');
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(CONSUMER, 'node-consumer.ts'), bundlePath, patient], { cwd: ROOT, encoding: 'utf8' });
    const result = evaluate(bundle, JSON.parse(readFileSync(patient, 'utf8')));
    const expected = [`${bundle.manifest.id} v${bundle.manifest.version} ${bundle.hash}`];
    for (const [id, r] of Object.entries(result.rules)) {
      const node = bundle.nodes.find((n) => n.id === id) as RuleNode;
      if (r.status === 'applies') {
        for (const c of r.clauses.filter((x) => x.status === 'applies')) {
          const a = node.clauses.find((x) => x.id === c.id)!.action;
          expected.push(`APPLIES ${id}.${c.id} [${c.grade ?? 'ungraded'}] ${a.type}: ${a.label}`);
        }
      } else if (r.status === 'undecided') expected.push(`UNDECIDED ${id} needs ${r.missing!.join(', ')}`);
    }
    for (const [id, v] of Object.entries(result.values)) if (!v.missing) expected.push(`VALUE ${id} = ${JSON.stringify(v.value)}`);
    expect(out.trimEnd().split('\n')).toEqual(expected);
    expect(out).toMatch(/^APPLIES /m);
  });

  it('Node: reports invalid facts as data and exits 2', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ albumin: 35, no_such_fact: 1 }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(CONSUMER, 'node-consumer.ts'), bundlePath, bad], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^INVALID albumin \(/m);
    expect(r.stderr).toMatch(/^INVALID no_such_fact \(/m);
  });

  it('Browser: the page loads the bundle, evaluates it in Chromium and reads the result', async () => {
    // The engine entry as one ES module for a page without a bundler (Vite library mode).
    await build({
      configFile: false, root: ROOT, logLevel: 'silent',
      build: { lib: { entry: join(ROOT, 'engine', 'runtime', 'index.ts'), formats: ['es'], fileName: () => 'guideline-engine.js' }, outDir: tmp, emptyOutDir: false, minify: false, target: 'es2022' },
    });
    copyFileSync(join(CONSUMER, 'browser.html'), join(tmp, 'index.html'));
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };
    server = createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '') || 'index.html';
      const file = join(tmp, name);
      if (name === 'favicon.ico') { res.writeHead(204).end(); return; }
      if (name.includes('..') || !existsSync(file)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => document.querySelector('#out')?.textContent?.startsWith('{'), null, { timeout: 20000 }).catch(() => {});
      expect(errors).toEqual([]);
      const shown = JSON.parse(await page.locator('#out').innerText());
      const facts = { albumin: 3.8, bilirubin: 0.9, prothrombin_time_prolonged_s: 1, ascites: 'none', encephalopathy: 'none', tumor_count: 1 };
      const result = evaluate(bundle, facts);
      expect(shown).toEqual({
        version: bundle.manifest.version,
        hash: bundle.hash,
        childPughClass: result.values.child_pugh_class.value,
        applies: Object.entries(result.rules).filter(([, r]) => r.status === 'applies').map(([id]) => id),
        undecided: Object.fromEntries(Object.entries(result.rules).filter(([, r]) => r.status === 'undecided').map(([id, r]) => [id, r.missing])),
      });
      expect(shown.childPughClass).toBe('A');
    } finally {
      await browser.close();
    }
  }, 60000);
});
