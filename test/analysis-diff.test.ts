// `guideline diff --analysis` (issue 13): the change in analysis between two versions, on two
// small planted guidelines in temp dirs. Base: the mini fixture with one invariant ("no treatment
// with slight ascites", proved: good liver function needs no ascites). Head: the same plus a rule
// that treats on albumin alone (the invariant is refuted), TACE as the primary choice with a
// switch away from TACE (a new conflict) and a clause no patient meets (bilirubin over 5 mg/dL with
// good liver function, which needs it under 2: dead).
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../engine/node/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'analysis-diff-'));
afterAll(() => { if (!process.env.KEEP) rmSync(root, { recursive: true, force: true }); });

const rule = (id: string, number: number, when: unknown, action: Record<string, unknown>) => ({
  kind: 'recommendation', id, topic: 'Liver', number, statement: `Planted rule ${number} (A1).`,
  clauses: [{ id: 'a', text: `Planted rule ${number}`, grade: 'A1', when, action }],
  citations: [{ section: ['LIVER'], recommendation: `Liver ${number}` }],
});
const write = (dir: string, path: string, doc: unknown) => { mkdirSync(join(dir, path, '..'), { recursive: true }); writeFileSync(join(dir, path), JSON.stringify(doc, null, 2) + '\n'); };

function side(name: string, head: boolean): string {
  const dir = join(root, name);
  cpSync('test/fixtures/mini', dir, { recursive: true });
  write(dir, 'invariants/liver-no-treatment-with-ascites.json', {
    kind: 'invariant', id: 'liver-no-treatment-with-ascites', title: 'No treatment with slight ascites',
    when: { '==': [{ var: 'ascites' }, 'slight'] }, forbid: [{ intervention: 'treat', actions: ['recommend', 'consider'] }],
    reason: 'Planted for the test.', citations: [{ section: ['LIVER'] }],
  });
  if (head) {
    write(dir, 'nodes/liver/liver_2.json', rule('liver_2', 2, { '>': [{ var: 'albumin' }, 3] }, { type: 'consider', intervention: 'treat', label: 'Treatment' }));
    write(dir, 'nodes/liver/liver_3.json', rule('liver_3', 3, { var: 'good_liver' }, { type: 'recommend', intervention: 'ctace', label: 'Conventional TACE', role: 'primary' }));
    write(dir, 'nodes/liver/liver_4.json', rule('liver_4', 4, { '>': [{ var: 'albumin' }, 4] }, { type: 'consider', intervention: 'switch_from_tace', label: 'Switch from TACE' }));
    write(dir, 'nodes/liver/liver_5.json', rule('liver_5', 5, { and: [{ '>': [{ var: 'bilirubin' }, 5] }, { var: 'good_liver' }] }, { type: 'consider', intervention: 'treat', label: 'Treatment' }));
  }
  return dir;
}

const run = async (...args: string[]) => {
  let out = ''; let err = '';
  const code = await main(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  expect(err, err).not.toMatch(/error/);
  return { code, out, err };
};

describe('guideline diff --analysis', () => {
  const base = side('base', false);
  const head = side('head', true);

  it('json: the invariant that broke, the new conflict, the dead clause, the new thresholds', async () => {
    const { out } = await run('diff', base, head, '--analysis', '--format', 'json');
    const a = JSON.parse(out).analysis;
    expect(a.invariants).toEqual([{ id: 'liver-no-treatment-with-ascites', base: 'proved', head: 'refuted' }]);
    expect(a.conflicts.added).toEqual(['primary-vs-switch ctace: liver_3.a recommend / liver_4.a consider switch_from_tace']);
    expect(a.conflicts.removed).toEqual([]);
    expect(a.dead.added).toEqual(['liver_5.a']);
    expect(a.boundaries.added).toEqual(expect.arrayContaining(['albumin > 3', 'albumin > 4']));
    expect(a.same).toBe(false);
  }, 120_000);

  it('text: an Analysis section; without --analysis none; the same version against itself: no change', async () => {
    const withIt = await run('diff', base, head, '--analysis');
    expect(withIt.out).toMatch(/\nAnalysis\n/);
    expect(withIt.out).toMatch(/invariant liver-no-treatment-with-ascites: proved -> refuted/);
    expect(withIt.out).toMatch(/new dead clause: liver_5\.a/);
    const without = await run('diff', base, head);
    expect(without.out).not.toMatch(/\nAnalysis\n/);
    const same = await run('diff', base, base, '--analysis', '--format', 'markdown');
    expect(same.out).toMatch(/## Analysis\n\nNo change in the analysis/);
  }, 120_000);
});
