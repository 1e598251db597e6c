// Part of the consumer job: serve the Vite build of the README's browser example with a Content
// Security Policy of script-src 'self', open it in Chromium (playwright-core, Debian chromium) and
// compare what the page shows with the same evaluation in Node, through the installed package.
// Usage: node browser.mjs <built web folder> <consumer app folder (with node_modules)>
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [webDir, appDir] = process.argv.slice(2);
const CSP = "script-src 'self'; object-src 'none'; base-uri 'none'";
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json' };
const server = createServer((req, res) => {
  const name = normalize(decodeURIComponent((req.url ?? '/').split('?')[0])).replace(/^\/+/, '') || 'index.html';
  const file = join(webDir, name);
  if (name === 'favicon.ico') { res.writeHead(204).end(); return; }
  if (name.startsWith('..') || !existsSync(file)) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP }).end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

// The same patient through the installed package in Node: what the page must show.
const engine = await import(pathToFileURL(join(appDir, 'node_modules/@klca-guidelines/engine/dist/engine/runtime/public.js')).href);
const bundle = engine.readBundle(readFileSync(join(webDir, 'guideline.bundle.json'), 'utf8'));
const result = engine.evaluate(bundle, { albumin: 3.8, bilirubin: 0.9, prothrombin_time_prolonged_s: 1, ascites: 'none', encephalopathy: 'none', tumor_count: 1 });
const expected = {
  version: result.guideline.version, hash: result.guideline.hash, engine: result.engine.version,
  childPughClass: result.values.child_pugh_class.value,
  applies: Object.entries(result.rules).filter(([, r]) => r.status === 'applies').map(([id]) => id),
  undecided: Object.fromEntries(Object.entries(result.rules).filter(([, r]) => r.status === 'undecided').map(([id, r]) => [id, r.missing])),
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
});
let failed = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#out')?.textContent?.startsWith('{'), null, { timeout: 20000 }).catch(() => {});
  const loadErrors = [...errors];
  // The policy is in force: the page itself cannot compile code from a string.
  // (An inline script added by the page is refused by the policy; DevTools' own evaluation is not.)
  const evalBlocked = await page.evaluate(() => new Promise((done) => {
    document.addEventListener('securitypolicyviolation', () => done(true), { once: true });
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.append(s);
    setTimeout(() => done(!window.__inlineRan), 1000);
  }));
  const text = await page.locator('#out').innerText();
  let shown;
  try { shown = JSON.parse(text); } catch { shown = text; }
  const same = JSON.stringify(shown) === JSON.stringify(expected);
  console.log(`page: child-Pugh class ${shown?.childPughClass}, ${shown?.applies?.length ?? '?'} applying, ${Object.keys(shown?.undecided ?? {}).length} undecided; CSP blocks inline script: ${evalBlocked}; errors: ${loadErrors.length}`);
  if (loadErrors.length) { console.log(loadErrors.join('\n')); failed = true; }
  if (!evalBlocked) { console.log('the CSP was not in force (an inline script ran)'); failed = true; }
  if (!same) { console.log(`the page shows\n${text}\nexpected\n${JSON.stringify(expected, null, 2)}`); failed = true; }
  if (shown?.childPughClass !== 'A') failed = true;
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
