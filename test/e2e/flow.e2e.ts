// Browser tests of the Flowcharts view (issue 16, "Read it as a clinician"): a recommendation's
// facts -> definitions -> clauses with an open case's values, the chapter algorithms (Figure 3; the
// derived treatment-by-stage chart), and an axe-core check of the view. Debian Chromium via
// playwright-core, the local server on a temporary copy of the guideline (nothing tracked is
// written). Run: npx vite build && npx tsx test/e2e/flow.e2e.ts. Prints `e2e: N passed, N failed`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, harness } from './harness.ts';
import { OUT, assert, axe, runner } from './runner.ts';

const RULE_FILE = 'nodes/hepatic-resection/hepatic_resection_1.json';
const CASE_FILE = 'cases/hepatic-resection/bilirubin_1_9_is_not_hyperbilirubinemia.json';

const h = await harness();
const { ctx, external, errors } = await context(h.browser);
const page = await ctx.newPage();
const { test, finish } = runner('flow', () => [page]);
const theCase = JSON.parse(readFileSync(join(h.dir, CASE_FILE), 'utf8')) as { id: string; title: string; facts: Record<string, unknown> };

const chartReady = () => page.waitForSelector('[data-testid="flowchart"][data-ready="true"] svg .flow-node', { timeout: 60000 });
const svgText = () => page.locator('[data-testid="flowchart"] svg').first().textContent();

console.log('flow e2e');

await test('a recommendation\'s flowchart opens from its page and shows the open case\'s values', async () => {
  await page.goto(`${h.server.url}#/${RULE_FILE}`);
  await page.waitForSelector('body[data-editor-ready="true"]');
  await page.click('[data-testid="flow-link"]');
  await page.waitForSelector('[data-testid="flow-view"]');
  await chartReady();
  const structure = (await svgText()) ?? '';
  assert(structure.includes('Serum albumin (g/dL)') && structure.includes('Child-Pugh class'), 'the albumin -> Child-Pugh chain is drawn');
  assert(!structure.includes('= '), 'no values without a patient');
  await page.selectOption('[data-testid="flow-case"]', theCase.id);
  await page.waitForFunction((id) => location.hash.includes(`case=${id}`), theCase.id);
  await page.waitForSelector('[data-testid="flow-case-banner"]');
  await chartReady();
  const text = (await svgText()) ?? '';
  assert(text.includes(`= ${theCase.facts.albumin} g/dL`), `the patient's albumin is shown: ${text.slice(0, 400)}`);
  assert(text.includes(`= ${theCase.facts.bilirubin} mg/dL`), 'the patient\'s bilirubin is shown');
  assert(/= Class A/.test(text), 'the computed Child-Pugh class is shown');
  assert(await page.locator('[data-testid="flowchart"] svg .flow-node.k-clause.st-applies').count() === 1, 'the clause is marked as applying');
  assert(!/\bhepatic_resection_1\b|\bchild_pugh_class\b/.test(text), 'no raw ids in the chart');
  await page.screenshot({ path: join(OUT, 'flow-rule-with-case.png') });
});

await test('the flowchart view with a case has no serious accessibility violation (axe-core)', async () => {
  const serious = await axe(page, 'flowchart view', '[data-testid="flow-view"]');
  assert(serious.length === 0, `serious violations:\n${serious.join('\n')}`);
});

await test('the chapter algorithms: Figure 3 from the diagnosis nodes, the treatment by stage marked derived', async () => {
  await page.click('[data-testid="flow-chapter-diagnosis"]');
  await page.waitForFunction(() => location.hash === '#/flow/chapter/diagnosis');
  await chartReady();
  const fig3 = (await svgText()) ?? '';
  assert(fig3.includes('Radiological hallmarks of HCC?') && fig3.includes('"Probable" HCC'), 'Figure 3 questions and outcomes');
  assert(await page.locator('[data-testid="flowchart"][data-derived="false"]').count() === 1, 'Figure 3 is not marked derived');
  await page.click('[data-testid="flow-chapter-treatment-overview"]');
  await page.waitForFunction(() => location.hash === '#/flow/chapter/treatment-overview');
  await chartReady();
  assert(await page.locator('[data-testid="flowchart"][data-derived="true"] .derived-mark').count() === 1, 'the stage chart carries the derived mark');
  const notice = await page.textContent('[data-testid="flow-notice"]');
  assert(notice?.includes('Derived from the recommendations; Figures 8 and 9 are not in the source text.'), `notice: ${notice}`);
  assert(((await svgText()) ?? '').includes('Stage IVB'), 'every stage is drawn');
  await page.screenshot({ path: join(OUT, 'flow-treatment-by-stage.png') });
});

await test('no console error and no external request during the whole run', async () => {
  assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
  assert(external.length === 0, `external requests: ${external.join(' ')}`);
});

await h.close();
finish();
