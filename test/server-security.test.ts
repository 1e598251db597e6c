// What an attacker would send to the editor's server, and what it must answer: a foreign Host
// (DNS rebinding), a foreign Origin (any web page), no CSRF token, no Origin at all, a symlink out
// of the folder, malformed paths, deep documents, large bodies and files, a second server on the
// same folder. Never a 200; the file on disk never changes.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, versionOf, type RunningServer } from '../engine/node/server.ts';
import { FolderLockedError, jsonDepth, LOCK_NAME, lockFolder } from '../engine/node/server/folder.ts';
import { FIXTURES } from './helpers.ts';
import { Client, raw } from './server-client.ts';

let tmp: string;
let dir: string;
let stat: string;
let outside: string;
let server: RunningServer;
let me: Client;
const NODE = 'nodes/liver/good_liver.json';
const disk = (p = NODE) => readFileSync(join(dir, p), 'utf8');
const edited = (desc: string) => { const d = JSON.parse(disk()); d.description = desc; return JSON.stringify(d); };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'guideline-sec-'));
  dir = join(tmp, 'guideline');
  cpSync(join(FIXTURES, 'mini'), dir, { recursive: true });
  stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  outside = join(tmp, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.json'), '{"secret": true}');
  server = await startServer({ guidelineDir: dir, staticDir: stat, port: 0 });
  me = new Client(server.port);
  await me.session();
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const body = (desc: string) => JSON.stringify({ text: edited(desc), version: versionOf(disk()) });

describe('Host and Origin', () => {
  it('a foreign Host (DNS rebinding: evil.example resolving to 127.0.0.1) gets 421 for reads and writes', async () => {
    const before = disk();
    const host = { host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}` };
    for (const [m, p] of [['GET', '/api/files'], ['GET', `/api/files/${NODE}`], ['GET', '/api/session'], ['GET', '/']] as const) {
      const r = await raw(server.port, m, p, host);
      expect(r.status, `${m} ${p}`).toBe(421);
      expect(r.text).not.toContain('good_liver');
    }
    const r = await raw(server.port, 'PUT', `/api/files/${NODE}`, { ...host, 'content-type': 'application/json', 'x-csrf-token': me.csrf! }, body('rebound'));
    expect(r.status).toBe(421);
    // No Host at all, and the right name with another port, are foreign too.
    expect((await raw(server.port, 'GET', '/api/files', { host: '' })).status).toBe(421);
    expect((await raw(server.port, 'GET', '/api/files', { host: `127.0.0.1:${server.port + 1}` })).status).toBe(421);
    expect(disk()).toBe(before);
  });

  it('its own names are accepted: 127.0.0.1, localhost and [::1] with the port', async () => {
    for (const h of ['127.0.0.1', 'localhost', '[::1]']) expect((await raw(server.port, 'GET', '/api/session', { host: `${h}:${server.port}` })).status, h).toBe(200);
  });

  it('a foreign Origin gets 403 on writes and reads, whatever else it sends', async () => {
    const before = disk();
    const evil = { origin: 'http://evil.example', 'content-type': 'application/json', 'x-csrf-token': me.csrf! };
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, evil, body('cross-site'))).status).toBe(403);
    expect((await raw(server.port, 'GET', '/api/files', { origin: 'http://evil.example' })).status).toBe(403);
    // A form post (text/plain, no preflight) from another site, and the opaque origin of a sandboxed frame.
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, { origin: 'http://evil.example', 'content-type': 'text/plain' }, body('form'))).status).toBe(403);
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, { origin: 'null', 'content-type': 'application/json', 'x-csrf-token': me.csrf! }, body('sandbox'))).status).toBe(403);
    // The right host name with another port is another origin.
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, { ...evil, origin: `http://127.0.0.1:${server.port + 1}` }, body('port'))).status).toBe(403);
    expect(disk()).toBe(before);
  });

  it('our Origin without the CSRF token, or with a wrong one, gets 403', async () => {
    const before = disk();
    const own = { origin: me.origin, 'content-type': 'application/json' };
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, own, body('no token'))).status).toBe(403);
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, { ...own, 'x-csrf-token': 'x'.repeat(43) }, body('wrong token'))).status).toBe(403);
    expect(disk()).toBe(before);
  });

  it('no Origin at all: refused unless the request carries the server\'s bearer token (the CLI, scripts)', async () => {
    const before = disk();
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, { 'content-type': 'application/json' }, body('no origin'))).status).toBe(403);
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, { 'content-type': 'application/json', authorization: 'Bearer nope' }, body('bad bearer'))).status).toBe(403);
    expect(disk()).toBe(before);
    // The token is in the folder's lock file, readable by its owner only.
    const lock = JSON.parse(readFileSync(join(dir, LOCK_NAME), 'utf8'));
    expect(lock.token).toBe(server.token);
    expect(lock.pid).toBe(process.pid);
    const ok = await raw(server.port, 'PUT', `/api/files/${NODE}`, { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body('by the CLI'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(disk()).description).toBe('by the CLI');
  });

  it('the editor\'s way (own Origin + CSRF token) writes', async () => {
    const r = await me.send('PUT', `/api/files/${NODE}`, { text: edited('from the editor'), version: versionOf(disk()) });
    expect(r.status).toBe(200);
    expect(JSON.parse(disk()).description).toBe('from the editor');
  });
});

describe('the folder', () => {
  it('symlinks inside the folder are refused: not listed, not read, not written through', async () => {
    symlinkSync(outside, join(dir, 'nodes', 'linked'));
    symlinkSync(join(outside, 'secret.json'), join(dir, 'nodes', 'liver', 'secret.json'));
    const list = (await me.get('/api/files')).json();
    expect(list.files.map((f: { path: string }) => f.path).filter((p: string) => /linked|secret/.test(p))).toEqual([]);
    expect(list.skipped.map((s: { path: string }) => s.path).sort()).toEqual(['nodes/linked', 'nodes/liver/secret.json']);
    expect((await me.get('/api/files/nodes/liver/secret.json')).status).toBe(403);
    expect((await me.get('/api/files/nodes/linked/secret.json')).status).toBe(403);
    const w = await me.send('PUT', '/api/files/nodes/linked/evil.json', { text: '{"kind": "definition"}', version: null });
    expect(w.status).toBe(403);
    const w2 = await me.send('PUT', '/api/files/nodes/liver/secret.json', { text: '{}', version: versionOf('{"secret": true}') });
    expect(w2.status).toBe(403);
    expect(existsSync(join(outside, 'evil.json'))).toBe(false);
    expect(readFileSync(join(outside, 'secret.json'), 'utf8')).toBe('{"secret": true}');
    rmSync(join(dir, 'nodes', 'linked'));
    rmSync(join(dir, 'nodes', 'liver', 'secret.json'));
  });

  it('a file over 2 MB does not break GET /api/files for everyone; reading it is a 413', async () => {
    const big = 'nodes/liver/huge.json';
    writeFileSync(join(dir, big), JSON.stringify({ kind: 'table', pad: 'x'.repeat(2_200_000) }));
    const list = await me.get('/api/files');
    expect(list.status).toBe(200);
    expect(list.json().skipped).toEqual([{ path: big, reason: expect.stringMatching(/over the 2097152-byte limit/) }]);
    expect((await me.get(`/api/files/${big}`)).status).toBe(413);
    // Saves still work (the big file is left out of the check on both sides).
    const r = await me.send('PUT', `/api/files/${NODE}`, { text: edited('with a big neighbour'), version: versionOf(disk()) });
    expect(r.status).toBe(200);
    rmSync(join(dir, big));
  });

  it('malformed paths, deep documents, bodies and documents too large: 4xx, never 500', async () => {
    const before = disk();
    expect((await me.get('/api/files/nodes/%E0%A4%A')).status).toBe(400);
    expect((await me.get('/%')).status).toBe(400);
    expect((await me.get('/api/files/nodes/liver/%00.json')).status).toBe(400);
    expect((await me.send('PUT', '/api/files/nodes/liver/..%2F..%2Fx.json', { text: '{}', version: null })).status).toBe(403);
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, me.headers({ 'content-type': 'application/json' }), 'null')).status).toBe(400);
    expect((await raw(server.port, 'PUT', `/api/files/${NODE}`, me.headers({ 'content-type': 'application/json' }), '{"text": 1')).status).toBe(400);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(jsonDepth(deep)).toBe(100_000);
    const d = await me.send('PUT', `/api/files/${NODE}`, { text: deep, version: versionOf(disk()) });
    expect(d.status).toBe(422);
    expect(d.json().findings[0].code).toBe('too-deep');
    const large = await me.send('PUT', `/api/files/${NODE}`, { text: JSON.stringify({ kind: 'definition', pad: 'x'.repeat(2_200_000) }), version: versionOf(disk()) });
    expect(large.status).toBe(413);
    const huge = await raw(server.port, 'PUT', `/api/files/${NODE}`, me.headers({ 'content-type': 'application/json' }), Buffer.alloc(7_000_000, 32));
    expect([413, -1]).toContain(huge.status);
    expect(disk()).toBe(before);
    // Still serving.
    expect((await me.get('/api/files')).status).toBe(200);
  });

  it('a second server on the same folder refuses to start; the first keeps the lock', async () => {
    await expect(startServer({ guidelineDir: dir, staticDir: stat, port: 0 })).rejects.toThrow(FolderLockedError);
    await expect(startServer({ guidelineDir: dir, staticDir: stat, port: 0 })).rejects.toThrow(/already served by process/);
    expect(JSON.parse(readFileSync(join(dir, LOCK_NAME), 'utf8')).token).toBe(server.token);
  });

  it('a stale lock (its process is gone) is taken over', () => {
    const other = join(tmp, 'other');
    mkdirSync(other);
    writeFileSync(join(other, LOCK_NAME), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'long ago' }));
    const lock = lockFolder(other);
    expect(JSON.parse(readFileSync(join(other, LOCK_NAME), 'utf8')).pid).toBe(process.pid);
    expect(() => lockFolder(other)).toThrow(FolderLockedError);
    lock.release();
    expect(existsSync(join(other, LOCK_NAME))).toBe(false);
  });

  it('listens on 127.0.0.1 by default; another address needs accounts', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const other = join(tmp, 'g2');
    cpSync(join(FIXTURES, 'mini'), other, { recursive: true });
    await expect(startServer({ guidelineDir: other, staticDir: stat, port: 0, host: '0.0.0.0' })).rejects.toThrow(/needs accounts/);
    expect(existsSync(join(other, LOCK_NAME))).toBe(false);
  });

  it('answers carry no-sniff and frame-deny headers', async () => {
    const r = await me.get('/api/files');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });
});
