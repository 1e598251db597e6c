// Node-only: read a guideline folder as it was at a git revision, without checking anything out
// (git ls-tree + git cat-file --batch), so `guideline diff git:HEAD~1 .` works on a dirty tree.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { EngineError } from '../runtime/errors.ts';
import type { SourceFile } from '../authoring/source.ts';

const MAX_BUFFER = 256 * 1024 * 1024;

function git(cwd: string, args: string[], input?: string): Buffer {
  try {
    return execFileSync('git', args, { cwd, input, maxBuffer: MAX_BUFFER, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    const msg = e.stderr?.toString().trim() || e.message;
    throw new EngineError('git', `git ${args[0]} failed: ${msg}`);
  }
}

/** The top of the git work tree that contains `path`. */
export function repoRoot(path: string): string {
  let dir = resolve(path);
  while (!existsSync(dir) || !statSync(dir).isDirectory()) dir = dirname(dir);
  return git(dir, ['rev-parse', '--show-toplevel']).toString().trim();
}

/**
 * The files of the guideline folder `dir` (a path on disk, inside a git work tree) at revision
 * `rev`, in the form parseSource() takes. Throws when the revision or the folder does not exist.
 */
export function readSourceFilesAtRevision(dir: string, rev: string): SourceFile[] {
  checkRevisionName(rev);
  const root = repoRoot(dir);
  const prefix = relative(root, resolve(dir)).split(sep).join('/');
  // Resolve the revision first for a clear message.
  const commit = git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).toString().trim();
  const listing = git(root, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', prefix === '' ? '.' : prefix]).toString();
  const entries = listing.split('\0').filter(Boolean).map((line) => {
    const tab = line.indexOf('\t');
    const [, type, sha] = line.slice(0, tab).split(' ');
    return { type, sha, path: line.slice(tab + 1) };
  }).filter((x) => x.type === 'blob' && x.path.endsWith('.json'));
  if (!entries.length) throw new EngineError('git', `no guideline files under ${prefix || '.'} at ${rev}`);
  // One git process for every blob: "<sha> blob <size>\n<content>\n" per object.
  const out = git(root, ['cat-file', '--batch'], entries.map((x) => x.sha).join('\n') + '\n');
  const files: SourceFile[] = [];
  let pos = 0;
  for (const entry of entries) {
    const nl = out.indexOf(0x0a, pos);
    const header = out.subarray(pos, nl).toString();
    const size = Number(header.split(' ')[2]);
    if (!Number.isFinite(size)) throw new EngineError('git', `unexpected git cat-file output for ${entry.path}: ${header}`);
    const text = out.subarray(nl + 1, nl + 1 + size).toString('utf8');
    pos = nl + 1 + size + 1;
    const rel = prefix ? entry.path.slice(prefix.length + 1) : entry.path;
    files.push({ path: rel, text });
  }
  return files;
}

/**
 * A revision name as git spells one (a tag, a branch, a commit, HEAD~1): refused before git sees
 * it when it could be read as an option or carries anything else. Throws EngineError('git').
 */
export function checkRevisionName(rev: string): void {
  if (typeof rev !== 'string' || rev.length === 0 || rev.length > 200 || !/^[\w./~^@{}:+-]+$/.test(rev) || rev.startsWith('-')) {
    throw new EngineError('git', `"${String(rev).slice(0, 80)}" is not a revision name (a tag, a branch, a commit id or HEAD~1)`);
  }
}

/** The work tree's top when `dir` is inside a git work tree, else undefined (no error). */
export function findRepo(dir: string): string | undefined {
  try { return repoRoot(dir); } catch { return undefined; }
}

export interface Revision {
  /** what the editor names it by: "last commit" or "last tag" */
  role: 'last-commit' | 'last-tag';
  /** the revision name to ask for (HEAD, or the tag) */
  rev: string;
  commit: string;
  subject: string;
  date: string;
}

/** The last commit and the last tag reachable from it (when any) of the repository holding `dir`. */
export function recentRevisions(dir: string): Revision[] {
  const root = repoRoot(dir);
  const show = (rev: string) => {
    const [commit, date, ...subject] = git(root, ['log', '-1', '--format=%H%n%cI%n%s', rev, '--']).toString().trim().split('\n');
    return { commit, date, subject: subject.join(' ') };
  };
  let head: ReturnType<typeof show>;
  try { head = show('HEAD'); } catch { return []; } // a repository without a commit yet
  const out: Revision[] = [{ role: 'last-commit', rev: 'HEAD', ...head }];
  let tag = '';
  try { tag = git(root, ['describe', '--tags', '--abbrev=0', 'HEAD']).toString().trim(); } catch { /* no tag */ }
  if (tag) out.push({ role: 'last-tag', rev: tag, ...show(`refs/tags/${tag}`) });
  return out;
}
