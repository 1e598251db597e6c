// Finishing a change through the editor's server (POST /api/save, engine/node/server/finish.ts):
// a save that moves a case is refused until each new result is accepted; accepting rewrites the
// case's expectations and golden trace in the same save, and `guideline test` passes afterwards.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptOutcomes, runCase } from '../engine/authoring/index.ts';
import { main } from '../engine/node/cli.ts';
import { startServer, versionOf, type RunningServer } from '../engine/node/server.ts';
import { JOURNAL } from '../engine/node/server/finish.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { FIXTURES } from './helpers.ts';
import { Client } from './server-client.ts';

const NODE = 'nodes/liver/good_liver.json';
const CASE = 'cases/liver/good_liver_is_treated.json';
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => { for (const f of cleanup.reverse()) await f(); });

const quiet = { out: () => {}, err: () => {} };
async function cliTest(dir: string, golden: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['test', '--dir', dir, '--golden', golden], { out: (s) => { out += s; }, err: (s) => { out += s; } });
  return { code, out };
}

async function setup(): Promise<{ dir: string; golden: string; server: RunningServer; client: Client }> {
  const tmp = mkdtempSync(join(tmpdir(), 'guideline-finish-'));
  const dir = join(tmp, 'guideline');
  const golden = join(tmp, 'golden');
  const stat = join(tmp, 'static');
  cpSync(join(FIXTURES, 'mini'), dir, { recursive: true });
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [1.0.0] - 2024-01-01\n\n- First.\n');
  expect(await main(['test', '--update', '--dir', dir, '--golden', golden], quiet)).toBe(0);
  const server = await startServer({ guidelineDir: dir, staticDir: stat, port: 0, goldenDir: golden });
  cleanup.push(async () => { await server.close(); rmSync(tmp, { recursive: true, force: true }); });
  const client = new Client(server.port);
  await client.session();
  return { dir, golden, server, client };
}

const raised = (text: string) => text.replace('3.5]', '4.5]');

describe('a finishing save (POST /api/save)', () => {
  it('refuses a save that moves a case, lists each new result, and writes node, case, golden, manifest and CHANGELOG once every result is accepted', async () => {
    const { dir, golden, client } = await setup();
    const node = readFileSync(join(dir, NODE), 'utf8');
    const caseBefore = readFileSync(join(dir, CASE), 'utf8');
    const goldenBefore = readFileSync(join(golden, 'good_liver_is_treated.json'), 'utf8');
    const change = { path: NODE, text: raised(node), version: versionOf(node) };

    const refused = await client.send('POST', '/api/save', { changes: [change], accept: [] });
    expect(refused.status).toBe(422);
    const moved = refused.json().moved as { id: string; changes: { key: string; expected: unknown; actual: unknown }[] }[];
    expect(moved.map((m) => m.id)).toEqual(['good_liver_is_treated']);
    expect(moved[0].changes).toContainEqual({ key: 'values.good_liver', expected: true, actual: false });
    expect(readFileSync(join(dir, NODE), 'utf8')).toBe(node); // nothing written

    // Accepting only some of the new results is not enough.
    const some = moved[0].changes.slice(0, 1).map((c) => ({ case: 'good_liver_is_treated', key: c.key, value: c.actual }));
    if (moved[0].changes.length > 1) expect((await client.send('POST', '/api/save', { changes: [change], accept: some })).status).toBe(422);
    // Accepting a value other than the one the case now has is not accepting it.
    const wrong = moved[0].changes.map((c) => ({ case: 'good_liver_is_treated', key: c.key, value: c.expected }));
    expect((await client.send('POST', '/api/save', { changes: [change], accept: wrong })).status).toBe(422);

    const manifest = readFileSync(join(dir, 'manifest.json'), 'utf8');
    const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    const all = moved[0].changes.map((c) => ({ case: 'good_liver_is_treated', key: c.key, value: c.actual }));
    const ok = await client.send('POST', '/api/save', {
      changes: [change,
        { path: 'manifest.json', text: manifest.replace('"1.0.0"', '"2.0.0"'), version: versionOf(manifest) },
        { path: 'CHANGELOG.md', text: changelog.replace('## [1.0.0]', '## [2.0.0] - 2024-02-01\n\n- Albumin above 4.5.\n\n## [1.0.0]'), version: versionOf(changelog) }],
      accept: all,
    });
    expect(ok.status).toBe(200);
    expect(ok.json().accepted).toEqual(['good_liver_is_treated']);
    expect(ok.json().goldens).toContain('good_liver_is_treated');
    expect(readFileSync(join(dir, NODE), 'utf8')).toContain('4.5');
    expect(readFileSync(join(dir, CASE), 'utf8')).not.toBe(caseBefore);
    expect(JSON.parse(readFileSync(join(dir, CASE), 'utf8')).expect.values.good_liver).toBe(false);
    expect(readFileSync(join(golden, 'good_liver_is_treated.json'), 'utf8')).not.toBe(goldenBefore);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).version).toBe('2.0.0');
    expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toContain('## [2.0.0]');
    expect(existsSync(join(dir, JOURNAL))).toBe(false);
    const t = await cliTest(dir, golden);
    expect(t.out).toContain('1 passed, 0 failed');
    expect(t.code).toBe(0);
  });

  it('refuses a stale version with both texts (409), a path outside the guideline (403), and a case whose facts cannot evaluate (422 with the checker finding, nothing written)', async () => {
    const { dir, client } = await setup();
    const node = readFileSync(join(dir, NODE), 'utf8');
    const stale = await client.send('POST', '/api/save', { changes: [{ path: NODE, text: raised(node), version: 'f'.repeat(64) }] });
    expect(stale.status).toBe(409);
    expect(stale.json().conflicts[0]).toMatchObject({ path: NODE, text: node, version: versionOf(node) });
    expect((await client.send('POST', '/api/save', { changes: [{ path: '../x.json', text: '{}', version: null }] })).status).toBe(403);
    const c = readFileSync(join(dir, CASE), 'utf8');
    const bad = await client.send('POST', '/api/save', { changes: [{ path: CASE, text: c.replace('"albumin": 4', '"albumin": 400'), version: versionOf(c) }] });
    expect(bad.status).toBe(422);
    expect(bad.json().findings.map((f: { code: string; file: string }) => `${f.code} ${f.file}`)).toEqual([`case-facts ${CASE}`]);
  });

  it('a new case saved through it gets its golden trace, so `guideline test` passes at once', async () => {
    const { dir, golden, client } = await setup();
    const doc = { id: 'poor_liver_is_not_treated', title: 'A patient with albumin 3 has no good liver function.', facts: { albumin: 3, bilirubin: 1, ascites: 'none' }, expect: { values: { good_liver: false } } };
    const r = await client.send('POST', '/api/save', { changes: [{ path: 'cases/liver/poor_liver_is_not_treated.json', text: JSON.stringify(doc), version: null }] });
    expect(r.status).toBe(200);
    expect(existsSync(join(golden, 'poor_liver_is_not_treated.json'))).toBe(true);
    expect((await cliTest(dir, golden)).code).toBe(0);
  });

  it('a save interrupted after its journal was written is finished when the server starts again', async () => {
    const { dir, golden, server } = await setup();
    await server.close();
    const node = readFileSync(join(dir, NODE), 'utf8');
    writeFileSync(join(dir, JOURNAL), JSON.stringify({ writes: [{ root: 'folder', path: NODE, text: raised(node) }, { root: 'golden', path: 'x_case', text: '{}\n' }, { root: 'folder', path: '../escape.json', text: '{}' }] }));
    const again = await startServer({ guidelineDir: dir, staticDir: join(dir, '..', 'static'), port: 0, goldenDir: golden });
    await again.close();
    expect(readFileSync(join(dir, NODE), 'utf8')).toContain('4.5');
    expect(readFileSync(join(golden, 'x_case.json'), 'utf8')).toBe('{}\n');
    expect(existsSync(join(dir, '..', 'escape.json'))).toBe(false);
    expect(existsSync(join(dir, JOURNAL))).toBe(false);
  });
});

describe('acceptOutcomes', () => {
  it('moves a value that became undecided to `undecided` with the facts it needs, and sets new statuses', () => {
    const g = loadGuideline(join(FIXTURES, 'mini')).guideline;
    const c = { ...g.cases[0], facts: { ...g.cases[0].facts } };
    delete (c.facts as Record<string, unknown>).albumin;
    const run = runCase(g, c);
    expect(run.passed).toBe(false);
    const next = acceptOutcomes(c, run.mismatches);
    expect(next.expect.values?.good_liver).toBeUndefined();
    expect(next.expect.undecided?.good_liver).toEqual(['albumin']);
    expect(runCase(g, next).passed).toBe(true);
  });
});
