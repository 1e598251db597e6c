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
  if (!/^[\w./~^@{}:+-]+$/.test(rev) || rev.startsWith('-')) throw new EngineError('git', `"${rev}" is not a revision name`);
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
