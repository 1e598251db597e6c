// DELETE /api/files/<path> (engine/node/server/remove.ts): the editor's "Delete", against a
// temporary copy of the mini guideline. Refused without the CSRF token, on a stale version, and
// when the guideline would fail its checks without the file; otherwise the file is gone.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, versionOf, type RunningServer } from '../engine/node/server.ts';
import { FIXTURES } from './helpers.ts';

let tmp: string;
let dir: string;
let server: RunningServer;
let csrf: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'guideline-delete-'));
  dir = join(tmp, 'guideline');
  cpSync(join(FIXTURES, 'mini'), dir, { recursive: true });
  const stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  server = await startServer({ guidelineDir: dir, staticDir: stat, port: 0 });
  csrf = (await (await fetch(new URL('/api/session', server.url))).json()).csrf;
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const del = (path: string, body: unknown, token = csrf) => fetch(new URL(`/api/files/${path}`, server.url), {
  method: 'DELETE', headers: { 'content-type': 'application/json', origin: server.url.slice(0, -1), 'x-csrf-token': token }, body: JSON.stringify(body),
});
const version = (path: string) => versionOf(readFileSync(join(dir, path), 'utf8'));

describe('deleting a file from the editor', () => {
  it('is refused without the CSRF token', async () => {
    const path = 'nodes/liver/had_sorafenib.json';
    expect((await del(path, { version: version(path) }, 'wrong')).status).toBe(403);
    expect(existsSync(join(dir, path))).toBe(true);
  });

  it('is refused on a stale version (409) and for a missing file (404)', async () => {
    const path = 'nodes/liver/had_sorafenib.json';
    const res = await del(path, { version: 'f'.repeat(64) });
    expect(res.status).toBe(409);
    expect((await res.json()).version).toBe(version(path));
    expect((await del('nodes/liver/nothing_here.json', { version: null })).status).toBe(404);
  });

  it('is refused when the guideline would fail its checks without the file, naming who reads it', async () => {
    const path = 'nodes/liver/good_liver.json';
    const res = await del(path, { version: version(path) });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.findings.some((f: { code: string; file: string; message: string }) => f.code === 'unknown-reference' && f.message.includes('good_liver'))).toBe(true);
    expect(existsSync(join(dir, path))).toBe(true);
  });

  it('is refused when the file is the only reader of an input (it would be unused)', async () => {
    const path = 'nodes/liver/had_sorafenib.json';
    const res = await del(path, { version: version(path) });
    expect(res.status).toBe(422);
    expect((await res.json()).findings.some((f: { code: string }) => f.code === 'unused-input')).toBe(true);
  });

  it('removes a file nothing needs', async () => {
    const path = 'cases/liver/good_liver_is_treated.json';
    const res = await del(path, { version: version(path) });
    expect(res.status).toBe(200);
    expect(existsSync(join(dir, path))).toBe(false);
    const { files } = await (await fetch(new URL('/api/files', server.url))).json();
    expect(files.some((f: { path: string }) => f.path === path)).toBe(false);
  });
});
