// The Review view's git side: GET /api/revisions (the last commit and the last tag) and
// GET /api/revision?rev=... (the guideline's files at that revision). Same guard as every /api/
// path (a foreign Origin is refused), a revision name that could be an option is refused before
// git sees it, an unknown one gets a clear error, and a folder outside git says so plainly.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../engine/node/server.ts';
import { NOT_A_REPO } from '../engine/node/server/revisions.ts';
import { FIXTURES } from './helpers.ts';
import { Client, raw } from './server-client.ts';

const NODE = 'nodes/liver/good_liver.json';
let tmp: string;
let repoDir: string;
let plainDir: string;
let inRepo: RunningServer;
let outside: RunningServer;
let me: Client;
let plain: Client;

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: 'pipe' }).toString();
const described = (dir: string, desc: string) => { const p = join(dir, NODE); const d = JSON.parse(readFileSync(p, 'utf8')); d.description = desc; writeFileSync(p, JSON.stringify(d, null, 2) + '\n'); };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'guideline-rev-'));
  const stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  const repo = join(tmp, 'repo');
  repoDir = join(repo, 'guideline');
  cpSync(join(FIXTURES, 'mini'), repoDir, { recursive: true });
  git(repo, 'init', '-q');
  described(repoDir, 'As released.');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'first');
  git(repo, 'tag', 'v1.0.0');
  described(repoDir, 'As committed after the release.');
  git(repo, 'commit', '-qam', 'second change');
  described(repoDir, 'As saved, not committed.');
  plainDir = join(tmp, 'plain');
  cpSync(join(FIXTURES, 'mini'), plainDir, { recursive: true });
  inRepo = await startServer({ guidelineDir: repoDir, staticDir: stat, port: 0, goldenDir: join(tmp, 'golden-a') });
  outside = await startServer({ guidelineDir: plainDir, staticDir: stat, port: 0, goldenDir: join(tmp, 'golden-b') });
  me = new Client(inRepo.port);
  await me.session();
  plain = new Client(outside.port);
  await plain.session();
});
afterAll(async () => {
  await inRepo?.close();
  await outside?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const description = (files: { path: string; text: string }[]) => JSON.parse(files.find((f) => f.path === NODE)!.text).description;

describe('GET /api/revisions and /api/revision', () => {
  it('lists the last commit and the last tag', async () => {
    const r = await raw(inRepo.port, 'GET', '/api/revisions', me.headers());
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(body.repository).toBe(true);
    expect(body.revisions.map((x: { role: string; rev: string }) => [x.role, x.rev])).toEqual([['last-commit', 'HEAD'], ['last-tag', 'v1.0.0']]);
    expect(body.revisions[0].subject).toBe('second change');
    expect(body.revisions[1].subject).toBe('first');
    expect(body.revisions[0].commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('gives the guideline files as they were at a revision, not as saved', async () => {
    const tag = await raw(inRepo.port, 'GET', '/api/revision?rev=v1.0.0', me.headers());
    expect(tag.status, tag.text).toBe(200);
    expect(description(tag.json().files)).toBe('As released.');
    expect(tag.json().files.some((f: { path: string }) => f.path === 'manifest.json')).toBe(true);
    const head = await raw(inRepo.port, 'GET', '/api/revision?rev=HEAD', me.headers());
    expect(description(head.json().files)).toBe('As committed after the release.');
  });

  it('refuses a foreign origin (no files leave the server)', async () => {
    for (const path of ['/api/revisions', '/api/revision?rev=HEAD']) {
      const r = await raw(inRepo.port, 'GET', path, { origin: 'http://evil.example', 'x-csrf-token': me.csrf! });
      expect(r.status, path).toBe(403);
      expect(r.text).not.toContain('As committed');
    }
  });

  it('refuses a revision name that could be an option, with a clear error', async () => {
    for (const rev of ['--output=/tmp/x', '-p', 'HEAD;rm -rf /', 'a b', '']) {
      const r = await raw(inRepo.port, 'GET', `/api/revision?rev=${encodeURIComponent(rev)}`, me.headers());
      expect(r.status, rev).toBe(400);
      expect(r.json().error).toMatch(/is not a revision name/);
    }
  });

  it('says which revision is unknown', async () => {
    const r = await raw(inRepo.port, 'GET', '/api/revision?rev=v9.9.9', me.headers());
    expect(r.status).toBe(404);
    expect(r.json().error).toMatch(/^No guideline at revision "v9\.9\.9"/);
  });

  it('says plainly when the folder is not in a git repository', async () => {
    const list = await raw(outside.port, 'GET', '/api/revisions', plain.headers());
    expect(list.status).toBe(200);
    expect(list.json()).toEqual({ repository: false, message: NOT_A_REPO, revisions: [] });
    const one = await raw(outside.port, 'GET', '/api/revision?rev=HEAD', plain.headers());
    expect(one.status).toBe(404);
    expect(one.json().error).toBe(NOT_A_REPO);
  });
});
