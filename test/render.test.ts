// The guideline book: rendered from the data, opened in Chromium without console errors, with
// every recommendation, and with all text escaped.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, renderBook } from '../engine/review/index.ts';
import { formatCitation, type Guideline, type RecommendationNode } from '../engine/runtime/index.ts';
import { main } from '../engine/node/cli.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const { guideline } = loadGuideline(GUIDELINE_DIR);
const recommendations = guideline.nodes.filter((n): n is RecommendationNode => n.kind === 'recommendation');
const tmp = mkdtempSync(join(tmpdir(), 'guideline-render-'));
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
}, 60000);
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function open(file: string) {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

describe('guideline render', () => {
  it('writes one self-contained HTML file that opens in Chromium without errors and has every recommendation', async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`).toBe(true);
    const out = join(tmp, 'book.html');
    let log = '';
    const code = await main(['render', '--dir', GUIDELINE_DIR, '--out', out], { out: (s) => { log += s; }, err: (s) => { log += s; } });
    expect(code, log).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i); // no external assets, no scripts

    const { page, problems, requests } = await open(out);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(recommendations.length).toBeGreaterThan(0);
    for (const r of recommendations) {
      const article = page.locator(`article#node-${r.id}`);
      await expect(article.count()).resolves.toBe(1);
      const text = (await article.innerText()).replace(/\s+/g, ' ');
      expect(text).toContain(r.statement.replace(/\s+/g, ' '));
      for (const c of r.clauses) if (c.grade) expect(await article.locator('.badge', { hasText: c.grade }).count()).toBeGreaterThan(0);
      for (const c of r.citations) expect(text).toContain(formatCitation(c).replace(/\s+/g, ' '));
    }
    // Chapters in the manifest's order.
    const headings = await page.locator('section[id^="chapter-"] > h2').allInnerTexts();
    expect(headings.slice(0, guideline.manifest.chapters.length)).toEqual(guideline.manifest.chapters.map((c) => c.title));
    // The register lists every interpretation note.
    const notes = [...guideline.inputs, ...guideline.nodes].reduce((n, x) => n + (x.interpretations?.length ?? 0), 0);
    expect(await page.locator('#register tbody tr').count()).toBe(notes);
    // Each chapter's algorithm chart, drawn in the chapter as inline SVG: Figure 3 in Diagnosis, the
    // derived treatment-by-stage chart (marked so) in the treatment overview; each SVG parses as XML.
    expect(await page.locator('section#chapter-diagnosis figure#flow-diagnosis-figure-3 svg[role="img"] .flow-node').count()).toBeGreaterThan(10);
    const derived = page.locator('section#chapter-treatment-overview figure.flow.derived#flow-treatment-by-stage');
    expect(await derived.locator('svg .flow-node').count()).toBeGreaterThan(5);
    expect(await derived.locator('figcaption').innerText()).toContain('Derived from the recommendations; Figures 8 and 9 are not in the source text.');
    // Every recommendation's and practice point's own chart, inside its section: its clauses, and
    // the facts it reads by title (hepatic resection 1 reads the Child-Pugh class).
    const rules = guideline.nodes.filter((n) => n.kind === 'recommendation' || n.kind === 'practice-point');
    for (const r of rules) {
      const svg = page.locator(`article#node-${r.id} figure.rule-flow svg[data-flow="rule-${r.id}"]`);
      await expect(svg.count(), r.id).resolves.toBe(1);
      expect(await svg.locator('.flow-node.k-clause').count(), r.id).toBe((r as RecommendationNode).clauses.length);
    }
    expect(await page.locator('article#node-hepatic_resection_1 figure.rule-flow svg .flow-node[data-ref="child_pugh_class"]').count()).toBe(1);
    const parseErrors = await page.evaluate(() => [...document.querySelectorAll('figure.flow svg')].map((s) => new DOMParser().parseFromString(s.outerHTML, 'image/svg+xml').querySelector('parsererror')?.textContent ?? ''));
    expect(parseErrors).toEqual(Array(2 + rules.length).fill(''));
    await page.close();
  }, 120000);

  it('shows the definitions a recommendation uses, with their logic in words', () => {
    const html = renderBook(guideline);
    const start = html.indexOf('id="node-hepatic_resection_1"');
    const article = html.slice(start, html.indexOf('</article>', start));
    expect(article).toContain('Definitions it uses');
    expect(article).toContain('href="#node-portal_hypertension"');
    expect(article).toContain('href="#node-child_pugh_class"');
    expect(article).toMatch(/class="logic">when .*Child-Pugh class/);
  });

  it('escapes every text it shows', async () => {
    const evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"';
    const g: Guideline = structuredClone(guideline);
    const rec = g.nodes.find((n): n is RecommendationNode => n.kind === 'recommendation')!;
    rec.statement = evil;
    rec.topic = evil;
    rec.citations[0].quote = evil;
    g.manifest = { ...g.manifest, title: evil };
    const html = renderBook(g);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(evil));
    const file = join(tmp, 'evil.html');
    (await import('node:fs')).writeFileSync(file, html);
    const { page, problems, requests } = await open(file);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(await page.locator(`article#node-${rec.id} blockquote`).innerText()).toBe(evil);
    await page.close();
  }, 60000);

  it('renders the diff HTML report without errors too', async () => {
    const out = join(tmp, 'diff.html');
    const code = await main(['diff', GUIDELINE_DIR, GUIDELINE_DIR, '--format', 'html', '--out', out], { out: () => {}, err: () => {} });
    expect(code).toBe(0);
    const { page, problems } = await open(out);
    expect(problems).toEqual([]);
    expect(await page.locator('h1').innerText()).toContain('Guideline diff');
    await page.close();
  }, 60000);
});
