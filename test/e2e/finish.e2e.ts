// Browser test of issue 16's "done when": a member changes the albumin threshold, sees the moved
// case, accepts its new outcome, bumps the version, drafts the CHANGELOG entry and saves; then
// `guideline test` passes on the folder. Also: keyboard (Ctrl+S, the navigator), errors once, and
// an axe-core check of every view for serious violations. Runs against a temporary copy of the
// guideline and of its golden traces (harness.ts); writes no tracked file.
// Run: npm run e2e (after npm run build). Prints `e2e: N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { context, harness, ROOT } from './harness.ts';
import { assert, axe, runner } from './runner.ts';

const NODE = 'nodes/treatment-overview/child_pugh_albumin_points.json';
const CASE = 'albumin_3_5_scores_2_points';
const CASE_FILE = `cases/treatment-overview/${CASE}.json`;

const h = await harness();
const { ctx, external, errors } = await context(h.browser);
const page = await ctx.newPage();
// The machine running CI may be slow and shared: generous waits (a save runs every case twice).
page.setDefaultTimeout(120000);
const { test, finish } = runner('finish', () => [page]);
const disk = (path: string) => readFileSync(join(h.dir, path), 'utf8');
const golden = (id: string) => readFileSync(join(h.golden, `${id}.json`), 'utf8');


async function openNode(p: Page, path: string) {
  await p.goto(`${h.server.url}#/${path}`);
  await p.waitForSelector('body[data-editor-ready="true"]');
  await p.waitForSelector('.monaco-editor .view-lines');
  await p.waitForFunction(() => !!window.__editor?.getModel());
}

console.log('finish e2e');
const violations: string[] = [];
const nodeBefore = disk(NODE);
const caseBefore = disk(CASE_FILE);
const goldenBefore = golden(CASE);
const manifestVersion: string = JSON.parse(disk('manifest.json')).version;

await test('the navigator is reachable and operable by keyboard', async () => {
  await page.goto(h.server.url);
  await page.waitForSelector('body[data-editor-ready="true"]');
  violations.push(...await axe(page, 'welcome'));
  await page.focus('.navigator .search');
  await page.keyboard.type('Child-Pugh points for albumin');
  await page.keyboard.press('Tab');
  let focused = await page.evaluate(() => document.activeElement?.closest('.nav-item')?.getAttribute('data-path') ?? document.activeElement?.outerHTML.slice(0, 120));
  for (let i = 0; i < 12 && focused !== NODE; i++) {
    await page.keyboard.press('ArrowDown');
    focused = await page.evaluate(() => document.activeElement?.closest('.nav-item')?.getAttribute('data-path') ?? document.activeElement?.outerHTML.slice(0, 120));
  }
  assert(focused === NODE, `Tab then arrows reach the albumin node in the navigator: ${focused}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((p) => location.hash === `#/${p}`, NODE, { timeout: 5000 });
  await page.waitForFunction(() => !!window.__editor?.getModel());
});

await test('changing the albumin threshold in its form field shows the moved case', async () => {
  await openNode(page, NODE);
  // The form beside Monaco (editor/builder): the threshold is a labelled number field, typed
  // into with the keyboard as a member would.
  await page.click('[data-testid="tab-form"]');
  const field = page.locator('[data-testid="threshold-~expr~if~0~>~1"]');
  await field.waitFor({ timeout: 60000 });
  assert((await field.getAttribute('aria-label')) === 'Serum albumin threshold (g/dL)', `the field names the fact and unit: ${await field.getAttribute('aria-label')}`);
  await field.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('3.4');
  await page.waitForSelector(`.impact-case[data-case="${CASE}"]`, { timeout: 120000 });
  const card = await page.textContent(`.impact-case[data-case="${CASE}"]`);
  assert(card?.includes('2 points') && card.includes('1 point'), `the moved case before → after: ${card}`);
  violations.push(...await axe(page, 'node view with a draft'));
});

await test('Ctrl+S on a change that moves a case opens the acceptance list, nothing ticked, nothing written', async () => {
  await page.keyboard.press('Control+s');
  await page.waitForSelector('[data-testid="finish-dialog"]', { timeout: 120000 });
  const boxes = page.locator('[data-testid="finish-dialog"] input[type="checkbox"]');
  assert(await boxes.count() > 0, 'each new result has its box');
  assert(await page.locator('[data-testid="finish-dialog"] input[type="checkbox"]:checked').count() === 0, 'nothing is pre-ticked');
  assert(await page.locator('[data-testid="finish-accept"]').isDisabled(), 'accept is disabled until each result is ticked');
  const text = await page.textContent(`[data-testid="finish-dialog"] .finish-case[data-case="${CASE}"]`);
  assert(text?.includes('Child-Pugh points for albumin: was 2 points, now 1 point'), `the new result in words: ${text}`);
  violations.push(...await axe(page, 'acceptance dialog'));
  assert(disk(NODE) === nodeBefore, 'nothing written yet');
  await page.click('[data-testid="finish-cancel"]');
  await page.waitForSelector('[data-testid="finish-dialog"]', { state: 'detached' });
});

let nextVersion = '';
await test('the Review view offers the bump the change requires and drafts the CHANGELOG entry', async () => {
  await page.click('[data-testid="review-link"]');
  await page.waitForSelector('[data-testid="review-finish"]', { timeout: 120000 });
  const required = await page.getAttribute('[data-testid="review-bump"]', 'data-required');
  assert(required === 'major', `a changed derived value requires major: ${required}`);
  assert((await page.inputValue('[data-testid="manifest-version"]')) === manifestVersion, 'the field shows the manifest version');
  await page.click('[data-testid="apply-bump"]');
  const [maj, min] = manifestVersion.split('.').map(Number);
  nextVersion = maj === 0 ? `0.${min + 1}.0` : `${maj + 1}.0.0`;
  await page.waitForFunction((v) => (document.querySelector('[data-testid="manifest-version"]') as HTMLInputElement)?.value === v, nextVersion, { timeout: 120000 });
  await page.waitForSelector('[data-testid="review-bump"].ok', { timeout: 120000 });
  await page.click('[data-testid="draft-changelog"]');
  await page.waitForSelector('[data-testid="changelog-entry"]');
  const entry = await page.inputValue('[data-testid="changelog-entry"]');
  assert(entry.startsWith(`## [${nextVersion}] - `) && entry.includes('child_pugh_albumin_points') && entry.includes(CASE), `the drafted entry: ${entry.slice(0, 300)}`);
  await page.fill('[data-testid="changelog-entry"]', `${entry.trimEnd()}\n\nAlbumin threshold lowered to 3.4 g/dL (test edit).\n`);
  violations.push(...await axe(page, 'review view'));
});

await test('saving all drafts: accept the new result box by box, then guideline test passes on the folder', async () => {
  await page.click('[data-testid="save-all"]');
  await page.waitForSelector('[data-testid="finish-dialog"]', { timeout: 120000 });
  const boxes = await page.locator('[data-testid="finish-dialog"] input[type="checkbox"]').all();
  for (const [i, box] of boxes.entries()) {
    assert(await page.locator('[data-testid="finish-accept"]').isDisabled(), `still disabled with ${i} of ${boxes.length} ticked`);
    await box.check();
  }
  assert(!(await page.locator('[data-testid="finish-accept"]').isDisabled()), 'enabled once every result is ticked');
  await page.click('[data-testid="finish-accept"]');
  await page.waitForSelector('[data-testid="notice-ok"]', { timeout: 120000 });
  const notice = await page.textContent('[data-testid="notice-ok"]');
  assert(notice?.includes('Accepted the new results'), `the save says what it accepted: ${notice}`);
  assert(JSON.parse(disk(NODE)).expr.if[0]['>'][1] === 3.4, 'threshold 3.4 on disk');
  assert(JSON.parse(disk('manifest.json')).version === nextVersion, `manifest version ${nextVersion} on disk`);
  assert(disk('CHANGELOG.md').includes(`## [${nextVersion}]`) && disk('CHANGELOG.md').includes('test edit'), 'the CHANGELOG entry on disk');
  assert(disk(CASE_FILE) !== caseBefore && JSON.parse(disk(CASE_FILE)).expect.values.child_pugh_albumin_points === 1, 'the case expects its new value');
  assert(golden(CASE) !== goldenBefore, 'its golden trace was rewritten (in the temporary golden folder)');
  const run = spawnSync(process.execPath, [join(ROOT, 'engine', 'node', 'bin.mjs'), 'test', '--dir', h.dir, '--golden', h.golden], { encoding: 'utf8' });
  const last = run.stdout.trim().split('\n').pop();
  assert(run.status === 0 && / 0 failed/.test(last ?? ''), `guideline test on the saved folder: ${last}\n${run.stdout.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('     -')).slice(0, 10).join('\n')}${run.stderr}`);
  assert(await page.locator('[data-testid="review-empty"]').count() === 1, 'no draft is left');
});

await test('a case view and the try-a-patient view pass axe with no serious violation', async () => {
  await page.goto(`${h.server.url}#/${CASE_FILE}`);
  await page.waitForSelector('[data-testid="trace"]', { timeout: 120000 });
  violations.push(...await axe(page, 'case view'));
  await page.goto(`${h.server.url}#/new-patient`);
  await page.waitForSelector('#fact-albumin');
  violations.push(...await axe(page, 'try a patient'));
  assert(violations.length === 0, `axe-core: ${violations.length} serious or critical violation(s):\n${violations.join('\n')}`);
});

await test('no console error and no external request during the whole run', async () => {
  assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
  assert(external.length === 0, `external requests: ${external.join(' ')}`);
});

await h.close();
finish();
