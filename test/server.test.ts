// The editor's local server against a temporary copy of the guideline (the repo is never touched).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editablePath, startServer, versionOf, type RunningServer } from '../engine/node/server.ts';
import { GUIDELINE_DIR } from './helpers.ts';

let tmp: string;
let dir: string;
let server: RunningServer;
let csrf: string;
const NODE = 'nodes/treatment-overview/child_pugh_albumin_points.json';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'guideline-server-'));
  dir = join(tmp, 'guideline');
  cpSync(GUIDELINE_DIR, dir, { recursive: true });
  const stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  server = await startServer({ guidelineDir: dir, staticDir: stat, port: 0 });
  csrf = (await (await api('/api/session')).json()).csrf;
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const api = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init);
// As the editor sends it: its own Origin and the CSRF token of GET /api/session.
const put = (path: string, body: unknown) => api(`/api/files/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', origin: server.url.slice(0, -1), 'x-csrf-token': csrf }, body: JSON.stringify(body) });

describe('editor server', () => {
  it('listens on 127.0.0.1 and serves the editor', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await api('/some/route');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>editor</title>');
  });

  it('lists the source files with a sha256 version each', async () => {
    const { files } = await (await api('/api/files')).json();
    const f = files.find((x: { path: string }) => x.path === NODE);
    expect(f.text).toBe(readFileSync(join(dir, NODE), 'utf8'));
    expect(f.version).toBe(versionOf(f.text));
    expect(files.some((x: { path: string }) => x.path === 'manifest.json')).toBe(true);
  });

  it('refuses paths outside inputs/, nodes/ and cases/', async () => {
    expect(editablePath('nodes/a/b.json')).toBe(true);
    for (const p of ['manifest.json', 'nodes/../../etc/passwd.json', 'nodes/x/../y.json', '../x.json', 'nodes/x.json', 'nodes/a/B.json', 'other/a/b.json']) expect(editablePath(p), p).toBe(false);
    const res = await put('nodes%2F..%2F..%2Fevil%2Fx.json', { text: '{}', version: null });
    expect(res.status).toBe(403);
    expect(existsSync(join(tmp, 'evil'))).toBe(false);
  });

  it('writes a valid edit atomically, in house order, and returns the new version', async () => {
    const text = readFileSync(join(dir, NODE), 'utf8');
    const doc = JSON.parse(text);
    doc.expr.if[0]['>'][1] = 3.4;
    const { kind, ...rest } = doc; // key order scrambled on purpose
    const res = await put(NODE, { text: JSON.stringify({ ...rest, kind }), version: versionOf(text) });
    expect(res.status).toBe(200);
    const body = await res.json();
    const onDisk = readFileSync(join(dir, NODE), 'utf8');
    expect(onDisk).toBe(JSON.stringify(doc, null, 2) + '\n');
    expect(body.version).toBe(versionOf(onDisk));
    expect(readdirSync(join(dir, 'nodes/treatment-overview')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a stale version with 409 and writes nothing', async () => {
    const before = readFileSync(join(dir, NODE), 'utf8');
    const doc = JSON.parse(before);
    doc.description = 'changed in a stale tab';
    const res = await put(NODE, { text: JSON.stringify(doc), version: versionOf('something older') });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toMatch(/changed this file since you opened it/);
    expect(body.version).toBe(versionOf(before));
    expect(readFileSync(join(dir, NODE), 'utf8')).toBe(before);
  });

  it('refuses an edit with schema or checker errors with 422 and the findings', async () => {
    const before = readFileSync(join(dir, NODE), 'utf8');
    const doc = JSON.parse(before);
    doc.expr.if[0]['>'][0] = { var: 'albumine' };
    let res = await put(NODE, { text: JSON.stringify(doc), version: versionOf(before) });
    expect(res.status).toBe(422);
    let body = await res.json();
    expect(body.findings.some((f: { file: string; pointer: string }) => f.file === NODE && f.pointer.startsWith('/expr'))).toBe(true);
    res = await put(NODE, { text: JSON.stringify({ ...JSON.parse(before), colour: 'red' }), version: versionOf(before) });
    expect(res.status).toBe(422);
    body = await res.json();
    expect(body.findings[0]).toMatchObject({ code: 'schema', pointer: '/colour' });
    res = await put(NODE, { text: '{"kind": "definition",', version: versionOf(before) });
    expect(res.status).toBe(422);
    expect(readFileSync(join(dir, NODE), 'utf8')).toBe(before);
  });

  it('creates a new case only when the name is free', async () => {
    const path = 'cases/treatment-overview/albumin_3_4_scores_2_points_new.json';
    const doc = { id: 'albumin_3_4_scores_2_points_new', title: 'Albumin 3.4 g/dL scores 2 points.', facts: { albumin: 3.4 }, expect: { values: { child_pugh_albumin_points: 2 } } };
    let res = await put(path, { text: JSON.stringify(doc), version: null });
    expect(res.status).toBe(200);
    expect(JSON.parse(readFileSync(join(dir, path), 'utf8'))).toEqual(doc);
    res = await put(path, { text: JSON.stringify(doc), version: null });
    expect(res.status).toBe(409);
  });
});
