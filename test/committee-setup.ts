// A committee server for the tests: a copy of the mini guideline in a fresh git repository, the
// members below, and the shared server against a database of the given kind.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../engine/node/server.ts';
import { addUser, setScryptCost } from '../engine/node/server/accounts.ts';
import { openCommittee } from '../engine/node/server/committee-api.ts';
import { openDb, type Db } from '../engine/node/server/db.ts';
import { FIXTURES } from './helpers.ts';

export const PASSWORD = 'correct horse battery staple';
export const MEMBERS = [['ann', 'author'], ['alf', 'author'], ['rob', 'reviewer'], ['rita', 'reviewer'], ['cha', 'chair'], ['rea', 'reader']] as const;

export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

export function gitRepoWithGuideline(prefix: string): { tmp: string; repo: string; dir: string; stat: string } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(tmp, 'repo');
  const dir = join(repo, 'guideline', 'mini');
  mkdirSync(join(repo, 'guideline'), { recursive: true });
  cpSync(join(FIXTURES, 'mini'), dir, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'test');
  git(repo, 'config', 'user.email', 'test@example.org');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'the mini guideline');
  const stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  return { tmp, repo, dir, stat };
}

export interface Setup { tmp: string; repo: string; dir: string; stat: string; db: Db; server: RunningServer; close(): Promise<void> }

export async function committeeServer(kind: 'sqlite' | 'pglite', approvals = 2): Promise<Setup> {
  const g = gitRepoWithGuideline(`guideline-committee-${kind}-`);
  setScryptCost(2 ** 12); // fast hashes for the test members; the default cost is checked apart
  const db = await openDb(kind === 'sqlite' ? `sqlite:${join(g.tmp, 'committee.db')}` : 'pglite:');
  for (const [name, role] of MEMBERS) await addUser(db, name, role, PASSWORD, name === 'ann' ? 'ann@example.org' : undefined);
  const committee = await openCommittee({ db, approvals });
  const server = await startServer({ guidelineDir: g.dir, staticDir: g.stat, port: 0, committee });
  return { ...g, db, server, close: async () => { await server.close(); rmSync(g.tmp, { recursive: true, force: true }); } };
}
