// Conflicts of the form "primary X against switch away from X" (issue 13), on a small planted
// guideline in a temp dir (the mini fixture plus three rules): one clause offers TACE as the
// primary choice to patients with good liver function, another says to switch away from TACE
// when bilirubin is above 1 mg/dL (both can apply: a conflict), a third when bilirubin is 2 or
// more (good liver function needs bilirubin under 2: no patient gets both, no conflict).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, switchedFrom } from '../engine/analysis/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { evaluate } from '../engine/runtime/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'analysis-switch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rule = (id: string, number: number, when: unknown, action: Record<string, unknown>) => ({
  kind: 'recommendation', id, topic: 'Liver', number, statement: `Planted rule ${number} (A1).`,
  clauses: [{ id: 'a', text: `Planted rule ${number}`, grade: 'A1', when, action }],
  citations: [{ section: ['LIVER'], recommendation: `Liver ${number}` }],
});

function planted(): string {
  cpSync('test/fixtures/mini', dir, { recursive: true });
  const write = (name: string, doc: unknown) => writeFileSync(join(dir, 'nodes', 'liver', `${name}.json`), JSON.stringify(doc, null, 2) + '\n');
  write('liver_2', rule('liver_2', 2, { var: 'good_liver' }, { type: 'recommend', intervention: 'ctace', label: 'Conventional TACE', role: 'primary' }));
  write('liver_3', rule('liver_3', 3, { '>': [{ var: 'bilirubin' }, 1] }, { type: 'consider', intervention: 'switch_from_tace', label: 'Switch from TACE to other treatments' }));
  write('liver_4', rule('liver_4', 4, { '>=': [{ var: 'bilirubin' }, 2] }, { type: 'consider', intervention: 'switch_from_tace', label: 'Switch from TACE to other treatments' }));
  return dir;
}

describe('analysis: primary X against switch away from X', () => {
  it('names what a switch moves away from', () => {
    const from = switchedFrom('switch_from_tace')!;
    expect(['tace', 'ctace', 'selective_ctace', 'deb_tace', 'ctace_plus_ebrt'].every(from)).toBe(true);
    expect(['tare', 'hepatic_resection', 'sorafenib'].some(from)).toBe(false);
    expect(switchedFrom('ctace')).toBeUndefined();
  });

  it('reports the pair that can apply to one patient, with a witness the interpreter reproduces, and not the pair that cannot', async () => {
    const { guideline } = loadGuideline(planted());
    const r = await analyze(guideline, { parts: ['conflicts'] });
    const switches = r.conflicts.filter((c) => c.kind === 'primary-vs-switch');
    expect(switches.map((c) => `${c.a.clause} ${c.b.clause}`)).toEqual(['liver_2.a liver_3.a']);
    const [c] = switches;
    expect(c).toMatchObject({ intervention: 'ctace', a: { action: 'recommend' }, b: { action: 'consider', intervention: 'switch_from_tace' } });
    expect(c.witness.reproduced).toBe(true);
    const res = evaluate(guideline, c.witness.facts);
    expect(res.rules.liver_2.status).toBe('applies');
    expect(res.rules.liver_3.status).toBe('applies');
    expect(c.witness.facts.bilirubin as number).toBeGreaterThan(1);
    expect(c.witness.facts.bilirubin as number).toBeLessThan(2);
    // the older kind still carries its name
    expect(r.conflicts.every((x) => x.kind === 'primary-vs-switch' || x.kind === 'recommend-vs-not-recommended')).toBe(true);
  }, 120_000);
});
