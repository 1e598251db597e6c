// The `guideline` command on the shipped guideline: exit codes and what it tells a reader.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../engine/node/cli.ts';
import { readBundle } from '../engine/runtime/index.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

function factsFile(name: string, facts: unknown): string {
  const p = join(work, name);
  writeFileSync(p, typeof facts === 'string' ? facts : JSON.stringify(facts));
  return p;
}

const full = JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'sample-patient.json'), 'utf8'));

describe('guideline eval', () => {
  it('without albumin: Child-Pugh class is undecided and albumin is named as missing', async () => {
    const { albumin: _drop, ...noAlbumin } = full;
    const r = await cli('eval', factsFile('no-albumin.json', noAlbumin), '--explain');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Child-Pugh class: cannot be decided \(one of Class A \(5-6 points\), Class B \(7-9 points\)\); missing albumin \(Serum albumin, g\/dL\)/);
    const json = JSON.parse((await cli('eval', factsFile('no-albumin2.json', noAlbumin), '--json')).out);
    // The other four components are known, so only A or B remain possible.
    expect(json.values.child_pugh_class).toEqual({ missing: ['albumin'], possible: ['A', 'B'] });
  });

  it('on a full patient it explains the class with the points per component and cites Table 6', async () => {
    const r = await cli('eval', factsFile('full.json', full), '--explain');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Child-Pugh class = Class A \(5-6 points\)\s+\[TREATMENT OVERVIEW; Table 6\]/);
    expect(r.out).toMatch(/Child-Pugh points for albumin = 1 point\n\s+from Serum albumin 3.9 g\/dL/);
    expect(r.out).toMatch(/Child-Pugh points for bilirubin = 1 point/);
    expect(r.out).toMatch(/✔ Hepatic resection 1 \[A1\] recommend: Hepatic resection/);
  });

  it('--explain=full also gives the condition of every recommendation that does not apply', async () => {
    const r = await cli('eval', factsFile('full2.json', full), '--explain=full');
    expect(r.out).toMatch(/✘ Hepatic resection 4 C2: Hepatic resection\n\s+condition: Number of tumors ≥ 2 and Number of tumors ≤ 3 and Well-preserved liver function/);
  });

  it('rejects albumin in g/L with one error naming every problem, exit 2', async () => {
    const r = await cli('eval', factsFile('bad.json', { ...full, albumin: 35, ecog: 'one', tumour_count: 1 }));
    expect(r.code).toBe(2);
    expect(r.err).toContain('3 problems; nothing was evaluated');
    expect(r.err).toContain('albumin: Serum albumin: 35 g/dL is outside the plausible range 1–6.5 g/dL');
    expect(r.err).toContain('divide by 10');
    expect(r.err).toContain('ecog: ECOG performance status: expected a number, got the text "one"');
    expect(r.err).toContain('"tumour_count" is not a fact this guideline reads. Did you mean "tumor_count"?');
  });

  it('rejects malformed JSON and a missing file with exit 2', async () => {
    expect((await cli('eval', factsFile('broken.json', '{"albumin": 3.5,'))).code).toBe(2);
    expect((await cli('eval', join(work, 'nope.json'))).code).toBe(2);
  });

  it('evaluates from a built bundle the same way', async () => {
    const out = join(work, 'dist');
    const b = await cli('bundle', '--out', out);
    expect(b.code).toBe(0);
    const file = b.out.match(/wrote (\S+)/)![1];
    const bundle = readBundle(readFileSync(file, 'utf8'));
    expect(bundle.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const fromBundle = await cli('eval', factsFile('full3.json', full), '--json', '--bundle', file);
    const fromSource = await cli('eval', factsFile('full4.json', full), '--json');
    const strip = (s: string) => { const j = JSON.parse(s); delete j.guideline; return j; };
    expect(strip(fromBundle.out)).toEqual(strip(fromSource.out));
  });

  it('gives byte-identical output for the same input', async () => {
    const f = factsFile('det.json', full);
    expect((await cli('eval', f, '--json', '--trace')).out).toBe((await cli('eval', f, '--json', '--trace')).out);
  });
});

describe('other commands', () => {
  it('check exits 0 on the shipped guideline', async () => {
    const r = await cli('check');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 error\(s\)/);
  });

  it('test runs every case from source and bundle and compares goldens', async () => {
    const r = await cli('test', '--coverage');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cases: \d+ passed, 0 failed/);
    expect(r.out).toContain('hepatic_resection_1.a  applies:');
  });

  it('interpretations lists every note with its node and reason', async () => {
    const r = await cli('interpretations');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/hyperbilirubinemia \/expr \[undefined-term\]\n\s+decision: .*≥2\.0 mg\/dL/);
    expect(r.out).toMatch(/\d+ interpretation\(s\)/);
  });

  it('bad usage exits 2 with the usage text on stderr', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
    expect((await cli('eval')).code).toBe(2);
    expect((await cli('check', '--bogus')).code).toBe(2);
  });
});
