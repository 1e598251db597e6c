// Browser test of the Review view's git side and the impact panel's toggle (issue 16): the saved
// guideline compared with the last tag and the last commit (the guideline folder made a git
// repository in a temporary copy), a folder outside git said plainly; the impact panel showing
// this draft or all drafts; a grade change shown in every case whose result carries that grade;
// the checker's problems grouped by file and collapsing. Writes no tracked file (harness.ts).
// Run: npm run build && tsx test/e2e/review.e2e.ts. Prints `e2e: N passed, M failed`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { context, harness } from './harness.ts';
import { assert, runner } from './runner.ts';

const ALBUMIN = 'nodes/treatment-overview/child_pugh_albumin_points.json';
const GRADED = 'nodes/hepatic-resection/hepatic_resection_1.json';
const MOVED = 'albumin_3_5_scores_2_points';
let shot: Page | undefined;
const { test, finish } = runner('review', () => (shot ? [shot] : []));


const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=E2E', '-c', 'user.email=e2e@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: 'pipe' });
/** The folder as a repository: tagged as released, then the albumin threshold lowered and committed. */
function asRepository(dir: string) {
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'released');
  git(dir, 'tag', 'v-released');
  const p = join(dir, ALBUMIN);
  const text = readFileSync(p, 'utf8');
  const lowered = text.replace(/("albumin"\s*\}\s*,\s*)3\.5/, '$13.4');
  if (lowered === text) throw new Error('the albumin threshold 3.5 was not found');
  writeFileSync(p, lowered);
  git(dir, 'commit', '-qam', 'Lower the albumin threshold');
}

async function openNode(p: Page, url: string, path: string) {
  await p.goto(`${url}#/${path}`);
  await p.waitForSelector('body[data-editor-ready="true"]');
  await p.waitForSelector('.monaco-editor .view-lines');
  const id = path.split('/').pop()!.replace(/\.json$/, '');
  await p.waitForFunction((x) => !!window.__editor?.getModel()?.getValue().includes(`"id": "${x}"`), id);
}

/** Change the open document in Monaco (as typing would): `change` is the body of a function of `doc`. */
async function editOpen(p: Page, change: string) {
  // A string, not a callback: tsx wraps named inner functions in __name(), absent in the page.
  await p.evaluate(`(() => { const m = window.__editor.getModel(); const doc = JSON.parse(m.getValue()); ${change}; m.setValue(JSON.stringify(doc, null, 2)); })()`);
}

console.log('review e2e');
const h = await harness(undefined, asRepository);
const { ctx, external, errors } = await context(h.browser);
const page = await ctx.newPage();
shot = page;
page.setDefaultTimeout(120000);
const select = '[data-testid="review-against"]';

await test('Review compares the saved guideline with the last tag: the threshold change and the case it moves', async () => {
  await page.goto(`${h.server.url}#/review`);
  await page.waitForSelector('body[data-editor-ready="true"]');
  await page.waitForSelector(`${select} option[value="v-released"]`, { state: 'attached' });
  const options = await page.locator(`${select} option`).allInnerTexts();
  assert(options.length === 3 && /last commit/.test(options[1]) && /last tag \(v-released\)/.test(options[2]), `drafts, the last commit, the last tag: ${options.join(' | ')}`);
  await page.selectOption(select, 'v-released');
  await page.waitForSelector('.rv-entity[data-node="child_pugh_albumin_points"]');
  const change = await page.textContent('.rv-entity[data-node="child_pugh_albumin_points"]');
  assert(/3\.5/.test(change ?? '') && /3\.4/.test(change ?? ''), `the threshold before → after: ${change}`);
  assert(await page.locator(`.rv-case[data-case="${MOVED}"]`).count() === 1, 'the case the change moves is listed');
  const sub = await page.textContent('.review .doc-title');
  assert(/the last tag/.test(sub ?? '') && /guideline diff git:v-released/.test(sub ?? ''), `the heading says what is compared: ${sub}`);
});

await test('Review compares the saved guideline with the last commit: nothing changed since', async () => {
  await page.selectOption(select, 'HEAD');
  await page.waitForFunction(() => document.querySelector('.review h3.rv-h')?.textContent?.includes('(0 items)'));
  assert(await page.locator('.rv-entity').count() === 0, 'no item differs from the last commit');
  await page.selectOption(select, 'drafts');
  await page.waitForSelector('[data-testid="review-empty"]');
});

await test('a grade change shows in every case whose result carries the grade; the toggle shows this draft or all', async () => {
  // Draft 1: the albumin threshold back to 3.5 (moves a case). Draft 2: a grade of hepatic resection 1.
  await openNode(page, h.server.url, ALBUMIN);
  await editOpen(page, 'doc.expr.if[0][">"][1] = 3.5');
  await page.waitForSelector(`.impact-case[data-case="${MOVED}"]`);
  await openNode(page, h.server.url, GRADED);
  await editOpen(page, 'doc.clauses[0].grade = "B1"');
  await page.waitForSelector('.impact [data-grade-change="hepatic_resection_1"]');
  const all = await page.locator('.impact-case').count();
  const graded = await page.locator('.impact-case:has([data-grade-change="hepatic_resection_1"])').count();
  assert(graded > 0 && await page.locator(`.impact-case[data-case="${MOVED}"]`).count() === 1, `all drafts: the moved case and ${graded} graded case(s) of ${all}`);
  const lines = await page.locator('.impact [data-grade-change="hepatic_resection_1"]').allTextContents();
  assert(lines.every((l) => /A1 → B1/.test(l) && /\((applies|undecided)\)/.test(l)) && lines.some((l) => /\(applies\)/.test(l)), `the grade before → after, where the advice applies or is undecided: ${lines.join(' | ')}`);
  await page.click('[data-testid="impact-scope"] button:has-text("This draft")');
  // This draft alone: the albumin case stays only for its grade (it carries hepatic resection 1 too), without its points.
  await page.waitForFunction(() => document.querySelector('[data-testid="impact"]')?.getAttribute('data-pending') === 'false' && !document.querySelector('.impact-case .pill.value'));
  const only = await page.locator('.impact-case').count();
  assert(only === graded && await page.locator('.impact-case:has([data-grade-change])').count() === only, `this draft: only the ${graded} graded case(s), got ${only}`);
  await page.click('[data-testid="impact-scope"] button:has-text("All 2 drafts")');
  await page.waitForSelector(`.impact-case[data-case="${MOVED}"] .pill.value`);
});

await test('the checker\'s problems are grouped by file, each once, and collapse', async () => {
  // A grade the scheme does not have, in every clause: errors in one file.
  await editOpen(page, 'for (const c of doc.clauses) c.grade = "Z9"; doc.statement = doc.statement + " "');
  // the list of the edit before (one warning) stays until this edit's check is in: wait for it
  await page.waitForFunction(() => /problem/.test(document.querySelector('[data-testid="problem-list"] summary')?.textContent ?? ''));
  const groups = await page.locator('[data-testid="problem-list"] details.problem-group').evaluateAll((ds) => ds.map((d) => d.getAttribute('data-file')));
  assert(groups.length === 1 && groups[0] === 'nodes/hepatic-resection/hepatic_resection_1.json', `one group, named by its file: ${groups.join(', ')}`);
  const items = await page.locator('[data-testid="problem-list"] li').allTextContents();
  assert(items.length > 0 && new Set(items).size === items.length, `each problem once: ${items.join(' | ')}`);
  const summary = await page.textContent('[data-testid="problem-list"] summary');
  assert(/problem/.test(summary ?? ''), `the heading counts the problems: ${summary}`);
  const group = page.locator('[data-testid="problem-list"] details.problem-group').first();
  const wasOpen = await group.evaluate((d) => (d as HTMLDetailsElement).open);
  assert(wasOpen === (items.length <= 4), `a short list is open, a long one collapsed (${items.length} problems, open: ${wasOpen})`);
  await group.locator('summary').click();
  assert(await group.evaluate((d) => (d as HTMLDetailsElement).open) === !wasOpen, 'the group opens and closes');
});

await test('no console error and no external request', async () => {
  assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
  assert(external.length === 0, `external requests: ${external.join(' ')}`);
});
await h.close();

const plain = await harness();
const p2 = await (await context(plain.browser)).ctx.newPage();
shot = p2;
p2.setDefaultTimeout(120000);
await test('a guideline folder outside git says so in Review, and only the drafts can be compared', async () => {
  await p2.goto(`${plain.server.url}#/review`);
  await p2.waitForSelector('[data-testid="review-no-git"]');
  const note = await p2.textContent('[data-testid="review-no-git"]');
  assert(/not in a git repository/.test(note ?? ''), `plain words: ${note}`);
  assert(await p2.locator(`${select} option`).count() === 1, 'only the drafts to compare');
});
await plain.close();

finish();
