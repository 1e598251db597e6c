// The `guideline` command on the shipped guideline: exit codes and what it tells a reader.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../engine/node/cli.ts';
import { readBundle } from '../engine/runtime/index.ts';
import { GUIDELINE_DIR, ROOT } from './helpers.ts';

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
  }, 180000); // every case twice with traces: slow on a loaded machine

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

// Issue 12, finding 8: bad input gets a message and exit 2, never a stack trace or a hang.
describe('CLI robustness (issue 12 finding 8)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guideline-cli-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (...args: string[]) => {
    let out = ''; let err = '';
    const code = await main(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
    expect(err).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
    return { code, out, err };
  };
  const patient = join(GUIDELINE_DIR, 'examples', 'sample-patient.json');

  it('a missing or directory --bundle, verify on a directory: exit 2 with a message', async () => {
    expect(await run('eval', patient, '--bundle', join(dir, 'missing.json'))).toMatchObject({ code: 2, err: expect.stringMatching(/no such bundle/) });
    expect(await run('eval', patient, '--bundle', dir)).toMatchObject({ code: 2, err: expect.stringMatching(/is a folder/) });
    expect(await run('verify', dir)).toMatchObject({ code: 2, err: expect.stringMatching(/is a folder/) });
  });

  it('--out under a file: exit 2 with a message', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expect(await run('render', '--out', join(file, 'book.html'))).toMatchObject({ code: 2, err: expect.stringMatching(/cannot write .*not a folder/) });
  });

  it('a file over 2 MB, a symlink loop, a dangling symlink: exit 2', async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(2_100_000));
    expect(await run('eval', big)).toMatchObject({ code: 2, err: expect.stringMatching(/limit is 2000000/) });
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    expect(await run('eval', join(dir, 'loop-a'))).toMatchObject({ code: 2, err: expect.stringMatching(/symbolic link loop/) });
    symlinkSync(join(dir, 'nothing'), join(dir, 'dangling.json'));
    expect(await run('eval', join(dir, 'dangling.json'))).toMatchObject({ code: 2, err: expect.stringMatching(/symbolic link to nothing/) });
  });

  it('check does not hang on a FIFO named *.json', async () => {
    const g = join(dir, 'g');
    cpSync(GUIDELINE_DIR, g, { recursive: true });
    execFileSync('mkfifo', [join(g, 'nodes', 'fifo.json')]);
    expect(await run('check', g)).toMatchObject({ code: 2, err: expect.stringMatching(/not a regular file/) });
  });

  it('--explain=bogus and unknown options are refused, naming the options; --help and --version work', async () => {
    expect(await run('eval', patient, '--explain=bogus')).toMatchObject({ code: 2, err: expect.stringMatching(/--explain takes summary or full/) });
    const u = await run('eval', patient, '--nope');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown option --nope for "eval"; its options: --explain, --json, --trace, --bundle, --dir, --help/);
    for (const c of ['check', 'eval', 'options', 'test', 'interpretations', 'bundle', 'verify', 'diff', 'changelog', 'render', 'format']) {
      for (const h of ['--help', '-h']) expect(await run(c, h), `${c} ${h}`).toMatchObject({ code: 0, out: expect.stringMatching(new RegExp(`^usage: guideline ${c} `)) });
    }
    expect((await run('--version')).out).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('errors as JSON under --json', async () => {
    const r = await run('eval', join(dir, 'missing.json'), '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.err)).toMatchObject({ error: { code: 'no-such-file' } });
    const bad = join(dir, 'bad-facts.json');
    writeFileSync(bad, JSON.stringify({ albumin: 35 }));
    const p = JSON.parse((await run('eval', bad, '--json')).err);
    expect(p.error.problems[0]).toMatchObject({ field: 'albumin' });
  });

  it('"-" reads the facts from standard input; piping into head ends quietly (EPIPE)', () => {
    const bin = join(ROOT, 'engine', 'node', 'bin.mjs');
    const out = execFileSync(process.execPath, [bin, 'eval', '-', '--json'], { input: readFileSync(patient), encoding: 'utf8' });
    expect(JSON.parse(out).engine.resultFormat).toBe('guideline-result/1');
    const piped = spawnSync('bash', ['-c', `node ${JSON.stringify(bin)} render | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(piped.stderr).not.toMatch(/EPIPE|Error/);
    expect(piped.stdout.trim()).toBe('0');
  }, 120000);
});
