// The committee in a browser (issue 17): three members, each in their own Chromium context (author,
// reviewer, chair), take a proposal from draft to merged against the shared server on SQLite, with
// a temporary copy of the guideline in its own git repository. Run: npm run e2e (after npm run
// build). Prints `e2e: N passed, N failed`.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startServer } from '../../engine/node/server.ts';
import { addUser } from '../../engine/node/server/accounts.ts';
import { openCommittee } from '../../engine/node/server/committee-api.ts';
import { openDb } from '../../engine/node/server/db.ts';
import { context, SHIPPED } from './harness.ts';
import { OUT, assert, runner } from './runner.ts';

const NODE = 'nodes/treatment-overview/child_pugh_albumin_points.json';
const PASSWORD = 'correct horse battery staple';
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

const tmp = mkdtempSync(join(tmpdir(), 'guideline-committee-e2e-'));
const repo = join(tmp, 'repo');
const dir = join(repo, 'guideline', 'klca-ncc-2022');
mkdirSync(join(repo, 'guideline'), { recursive: true });
cpSync(SHIPPED, dir, { recursive: true });
git(repo, 'init', '-q', '-b', 'main');
git(repo, 'config', 'user.name', 'test');
git(repo, 'config', 'user.email', 'test@example.org');
git(repo, 'add', '.');
git(repo, 'commit', '-q', '-m', 'the guideline');
const db = await openDb(`sqlite:${join(tmp, 'committee.db')}`);
for (const [name, role] of [['ann', 'author'], ['rob', 'reviewer'], ['cha', 'chair']]) await addUser(db, name, role, PASSWORD);
const server = await startServer({ guidelineDir: dir, port: 0, committee: await openCommittee({ db, approvals: 1 }) });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});

const { test, finish } = runner('committee', () => pages);
const pages: Page[] = [];

async function member(name: string) {
  const { ctx, external, errors } = await context(browser);
  const page = await ctx.newPage();
  pages.push(page);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="login"]');
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('[data-testid="login"] button[type="submit"]');
  await page.waitForSelector('body[data-editor-ready="true"]');
  await page.waitForSelector(`[data-testid="user"]:has-text("${name}")`);
  return { page, external, errors };
}

console.log('committee e2e');
let id = '';
const ann = await member('ann');
const rob = await member('rob');
const cha = await member('cha');

await test('a wrong password is refused at the login form', async () => {
  const { ctx } = await context(browser);
  const p = await ctx.newPage();
  await p.goto(server.url);
  await p.fill('input[name="name"]', 'ann');
  await p.fill('input[name="password"]', 'not the password');
  await p.click('[data-testid="login"] button[type="submit"]');
  await p.waitForSelector('[data-testid="login-error"]');
  await ctx.close();
});

await test('the author edits a threshold and proposes it with a title and rationale', async () => {
  const p = ann.page;
  await p.goto(`${server.url}#/${NODE}`);
  await p.waitForSelector('.monaco-editor .view-lines');
  await p.waitForFunction(() => !!window.__editor?.getModel());
  const doc = JSON.parse(readFileSync(join(dir, NODE), 'utf8'));
  doc.expr.if[0]['>'][1] = 3.4;
  await p.evaluate((t) => { const ed = window.__editor!; ed.executeEdits('e2e', [{ range: ed.getModel()!.getFullModelRange(), text: t }]); }, JSON.stringify(doc, null, 2) + '\n');
  await p.waitForSelector('[data-testid="state"]:has-text("Unsaved draft")');
  assert(!(await p.$('[data-testid="save"]')), 'no direct Save on the shared server');
  await p.click('[data-testid="propose-drafts"]');
  await p.waitForSelector('[data-testid="new-proposal"]');
  await p.fill('[data-testid="proposal-title"]', 'Albumin points: 3.4 g/dL');
  await p.fill('[data-testid="proposal-rationale"]', 'Table 6 as printed (test).');
  await p.click('[data-testid="propose"]');
  await p.waitForSelector('[data-testid="proposal"][data-status="open"]');
  id = decodeURIComponent(await p.evaluate(() => location.hash)).replace('#/proposals/', '');
  assert(/^p-/.test(id), `proposal id in the address: ${id}`);
  assert(!(await p.$('[data-testid="approve"]')), 'the author sees no Approve button on their own proposal');
  await p.screenshot({ path: join(OUT, 'committee-1-proposed.png') });
});

await test('the reviewer sees the review diff and approves', async () => {
  const p = rob.page;
  await p.goto(`${server.url}#/proposals/${id}`);
  await p.waitForSelector('[data-testid="proposal-diff"]');
  const diff = await p.textContent('[data-testid="proposal-diff"]');
  assert(diff?.includes('child_pugh_albumin_points') && diff.includes('3.4'), `the diff names the node and the threshold: ${diff?.slice(0, 300)}`);
  assert(!(await p.$('[data-testid="merge"]')), 'a reviewer has no Merge button');
  await p.fill('[data-testid="review-note"]', 'Matches Table 6.');
  await p.click('[data-testid="approve"]');
  await p.waitForSelector('[data-testid="approvals"]:has-text("rob")');
  await p.screenshot({ path: join(OUT, 'committee-2-approved.png') });
});

await test('the chair merges: the file is written and committed to git with the trailers', async () => {
  const p = cha.page;
  await p.goto(`${server.url}#/proposals/${id}`);
  await p.waitForSelector('[data-testid="merge"]:not([disabled])');
  await p.click('[data-testid="merge"]');
  await p.waitForSelector('[data-testid="proposal"][data-status="merged"]');
  assert(JSON.parse(readFileSync(join(dir, NODE), 'utf8')).expr.if[0]['>'][1] === 3.4, 'the threshold is on disk');
  const log = git(repo, 'log', '-1', '--format=%an%n%B');
  assert(log.startsWith('ann\n') && log.includes('Approved-by: rob') && log.includes('Merged-by: cha') && log.includes(`Proposal: ${id}`), `git log: ${log}`);
  await p.screenshot({ path: join(OUT, 'committee-3-merged.png') });
});

await test('the author sees it merged in the list', async () => {
  const p = ann.page;
  await p.goto(`${server.url}#/proposals`);
  await p.waitForSelector('[data-testid="proposal-row"]:has-text("merged")');
});

await test('no console error and no external request in any member\'s browser', async () => {
  for (const m of [ann, rob, cha]) {
    assert(m.errors.length === 0, `console errors: ${m.errors.join(' | ')}`);
    assert(m.external.length === 0, `external requests: ${m.external.join(' ')}`);
  }
});

await browser.close();
await server.close();
rmSync(tmp, { recursive: true, force: true });
finish();
