// Browser test of the Analysis view (issue 13, "In the editor and in review"): the z3 analysis of
// the saved guideline, a draft that widens a threshold (resection's ECOG limit 2 → 4) reported as
// breaking the ECOG safety rule with a witness patient, "open as a patient" showing that patient
// in Try a patient, "save as a case" opening the new-case form with nothing ticked, and an axe
// check. Real Chromium, the local server on a temporary copy of the guideline (nothing tracked is
// written). The run is limited to two safety rules and the cheaper parts (#/analysis?invariants=…)
// so it takes seconds; the solver is the real one.
// Run: npx vite build --logLevel warn && npx tsx test/e2e/analysis.e2e.ts. Last line: `e2e: N passed, M failed`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, harness } from './harness.ts';
import { OUT, assert, axe as axeCore, runner } from './runner.ts';

const ECOG = 'hepatic-resection-no_resection_at_ecog_3_or_more';
const CHILD_C = 'hepatic-resection-no_resection_at_child_pugh_c';
const CANDIDATE = 'nodes/hepatic-resection/resection_candidate.json';
const ROUTE = `#/analysis?invariants=${ECOG},${CHILD_C}&parts=invariants,conflicts,gaps,boundaries`;

const t0 = Date.now();
const h = await harness();
const { ctx, external, errors } = await context(h.browser);
const page = await ctx.newPage();
const { test, finish } = runner('analysis', () => [page]);
const ecogRule = JSON.parse(readFileSync(join(h.dir, 'invariants', `${ECOG}.json`), 'utf8')) as { title: string; forbid: { intervention: string }[] };
const childRule = JSON.parse(readFileSync(join(h.dir, 'invariants', `${CHILD_C}.json`), 'utf8')) as { title: string };

const done = () => page.waitForSelector('[data-testid="analysis-status"][data-state="done"]', { timeout: 120000 });
const viewText = async () => (await page.textContent('[data-testid="analysis-view"]')) ?? '';
/** Ids a clinician should never read: invariant, node and fact ids with underscores or dashes. */
const RAW_ID = /\b(hepatic-resection-no_\w+|resection_candidate|hepatic_resection_\d|child_pugh_\w+|hcc_diagnosed)\b/;

async function axe(): Promise<void> {
  const serious = await axeCore(page, 'analysis view', '[data-testid="analysis-view"]');
  assert(serious.length === 0, `serious violations:\n${serious.join('\n')}`);
}

console.log('analysis e2e');

await test('the Analysis view runs the solver on the saved guideline and shows the safety rules proved, by title', async () => {
  await page.goto(`${h.server.url}#/`);
  await page.waitForSelector('body[data-editor-ready="true"]');
  // the top bar's link opens the whole analysis; the test opens the limited run (one run at a time)
  assert(await page.getAttribute('[data-testid="analysis-link"]', 'href') === '#/analysis', 'the Analysis link is in the top bar');
  await page.goto(`${h.server.url}${ROUTE}`);
  await page.waitForSelector('[data-testid="analysis-status"]');
  await page.waitForSelector('[data-testid="analysis-limited"]');
  await done();
  const rows = page.locator('[data-testid="invariant-row"]');
  assert(await rows.count() === 2, `two safety rules analysed, got ${await rows.count()}`);
  assert(await page.locator('[data-testid="invariant-row"][data-status="proved"]').count() === 2, 'both proved on the saved guideline');
  const text = await viewText();
  assert(text.includes(ecogRule.title) && text.includes(childRule.title), 'the rules are named by their titles');
  assert(/\d+ of \d+ thresholds have regression cases/.test(text), `boundary coverage shown: ${text.slice(0, 600)}`);
  assert(/The saved guideline: done in /.test(text), 'the status says the run is done');
  assert(!RAW_ID.test(text), `no raw ids: ${text.match(RAW_ID)?.[0]}`);
  await page.screenshot({ path: join(OUT, 'analysis-saved.png') });
});

await test('the Analysis view has no serious accessibility violation (axe-core)', axe);

await test('a draft that widens resection\'s ECOG limit is reported first: "this edit breaks" the ECOG rule, with a patient', async () => {
  // plant the draft as the editor keeps it (localStorage, based on the saved version), then reload
  const saved = readFileSync(join(h.dir, CANDIDATE), 'utf8');
  const widened = saved.replace(/("var": "ecog"\s*\},\s*)2/, '$14');
  assert(widened !== saved, 'the ECOG threshold was found in the definition');
  const version = await page.evaluate(async (p) => (await (await fetch(`/api/files/${p}`)).json()).version, CANDIDATE);
  await page.evaluate(({ p, text, version }) => localStorage.setItem(`guideline-editor:draft:klca-ncc-2022:${p}`, JSON.stringify({ text, baseVersion: version, savedAt: Date.now() })), { p: CANDIDATE, text: widened, version });
  await page.reload();
  await page.waitForSelector('body[data-editor-ready="true"]');
  await page.waitForSelector('[data-testid="analysis-view"]');
  await page.waitForSelector('[data-testid="analysis-breaks"]', { timeout: 120000 });
  await done();
  const breaks = (await page.textContent('[data-testid="analysis-breaks"]')) ?? '';
  assert(/This edit breaks a safety rule/.test(breaks), `the banner says the edit breaks a rule: ${breaks.slice(0, 300)}`);
  assert(breaks.includes(ecogRule.title), 'the ECOG rule is named');
  assert(!breaks.includes(childRule.title), 'the Child-Pugh rule still holds');
  assert(/Reached by Hepatic resection/.test(breaks), `the clause that reaches the patient is named: ${breaks.slice(0, 400)}`);
  assert(await page.locator('[data-testid="analysis-breaks"] [data-testid="witness"]').count() === 1, 'with a witness patient');
  // the change comes before the full list
  const order = await page.evaluate(() => {
    const b = document.querySelector('[data-testid="analysis-breaks"]')!;
    const r = document.querySelector('[data-testid="analysis-report"]')!;
    return !!(b.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert(order, 'the broken rule is shown before the report');
  assert(await page.locator(`[data-testid="analysis-report"] [data-invariant="${ECOG}"][data-status="refuted"]`).count() === 1, 'the report lists it as broken');
  const text = await viewText();
  assert(!RAW_ID.test(text), `no raw ids: ${text.match(RAW_ID)?.[0]}`);
  await page.screenshot({ path: join(OUT, 'analysis-draft-breaks.png') });
});

await test('the view with the broken rule has no serious accessibility violation (axe-core)', axe);

await test('"save as a case" opens the new-case form for the witness, nothing ticked', async () => {
  await page.click('[data-testid="analysis-breaks"] [data-testid="witness-save"]');
  await page.waitForSelector('[data-testid="analysis-breaks"] [data-testid="new-case"]');
  const boxes = page.locator('[data-testid="new-case"] input[type="checkbox"]');
  assert(await boxes.count() > 0, 'the form offers the outcomes to tick');
  assert(await page.locator('[data-testid="new-case"] input[type="checkbox"]:checked').count() === 0, 'nothing is ticked for the member');
  assert(await page.locator('[data-testid="new-case"] button.primary').isDisabled(), 'nothing to save before a title, chapter and a ticked outcome');
  await page.click('[data-testid="new-case"] button:has-text("Cancel")');
});

await test('"open as a patient" shows the witness in Try a patient: ECOG 3 or more, and resection offered', async () => {
  await page.click('[data-testid="analysis-breaks"] [data-testid="witness-open"]');
  await page.waitForFunction(() => location.hash === '#/new-patient');
  await page.waitForSelector('[data-testid="recommendations"]');
  const ecog = Number(await page.inputValue('#fact-ecog'));
  assert(ecog >= 3, `the patient's ECOG is 3 or more: ${ecog}`);
  const offered = await page.locator('[data-testid="recommendations"] [data-intervention]').evaluateAll((els) => els.map((e) => e.getAttribute('data-intervention')));
  const forbidden = ecogRule.forbid.map((f) => f.intervention);
  assert(offered.some((i) => forbidden.includes(i ?? '')), `a resection is offered to this patient under the draft: ${offered.join(', ')}`);
  await page.screenshot({ path: join(OUT, 'analysis-witness-patient.png') });
});

await test('no console error and no external request during the whole run', async () => {
  assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
  assert(external.length === 0, `external requests: ${external.join(' ')}`);
});

await h.close();
console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
finish();
