// One invalid fixture per failure mode (test/fixtures/invalid/*.json): each patches the valid
// mini guideline (test/fixtures/mini) and names the finding it must produce. The checker must
// report it with the right code, file and JSON pointer, and `guideline check` must exit 1.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGuideline } from '../engine/node/load.ts';
import { main } from '../engine/node/cli.ts';
import { FIXTURES } from './helpers.ts';

interface Fixture {
  description: string;
  files: Record<string, unknown>;
  expect: { code: string; severity: 'error' | 'warning'; file?: string; pointer?: string; messageContains?: string };
}

const work = mkdtempSync(join(tmpdir(), 'checker-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function materialise(name: string, fixture: Fixture): string {
  const dir = join(work, name);
  cpSync(join(FIXTURES, 'mini'), dir, { recursive: true });
  for (const [path, content] of Object.entries(fixture.files)) {
    const p = join(dir, path);
    if (content === null) { rmSync(p); continue; }
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('the valid mini guideline', () => {
  it('checks clean', async () => {
    const { findings } = loadGuideline(join(FIXTURES, 'mini'));
    expect(findings).toEqual([]);
    expect((await cli(['check', join(FIXTURES, 'mini')])).code).toBe(0);
  });
});

const fixtures = readdirSync(join(FIXTURES, 'invalid')).filter((f) => f.endsWith('.json')).sort();

describe('invalid fixtures', () => {
  it('cover at least 30 failure modes', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s', async (file) => {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, 'invalid', file), 'utf8')) as Fixture;
    const dir = materialise(file.replace(/\.json$/, ''), fixture);
    const { findings } = loadGuideline(dir);
    const e = fixture.expect;
    const match = findings.find((f) => f.code === e.code && f.severity === e.severity
      && (e.file === undefined || f.file === e.file)
      && (e.pointer === undefined || f.pointer === e.pointer)
      && (e.messageContains === undefined || f.message.includes(e.messageContains)));
    expect(match, `${fixture.description}\nexpected ${JSON.stringify(e)}\ngot ${JSON.stringify(findings, null, 1)}`).toBeDefined();
    const r = await cli(['check', dir]);
    expect(r.code).toBe(e.severity === 'error' ? 1 : 0);
    expect(r.out).toContain(`${e.severity} ${e.code}`);
  });
});
