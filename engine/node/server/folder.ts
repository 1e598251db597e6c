// The guideline folder as the server sees it: one writer per folder across processes (a lock
// file with the holder's pid), no symlink followed (every path component is lstat'ed and the real
// path must stay inside the root), limits on file size and document depth, and writes that reach
// the disk (write-file-atomic: temporary file, fsync, rename; then the directory is fsync'ed).
import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { SourceFile } from '../../authoring/source.ts';

/** Largest guideline file the server reads or writes. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Deepest nesting of arrays and objects accepted in a document (the checker allows 100 in expressions). */
export const MAX_DEPTH = 128;

export class HttpError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

/** Nesting depth of a JSON text, counted without parsing (so a hostile text cannot overflow a stack). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > max) max = depth; } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/**
 * The absolute path of `rel` inside `root`, refusing any symlink on the way: every existing path
 * component is lstat'ed (a symlink, or something that is not a directory where one is expected,
 * is refused) and the real path of the deepest existing directory must be inside the root's.
 */
export function safeTarget(root: string, rel: string): string {
  const parts = rel.split('/');
  if (!parts.length || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) throw new HttpError(400, `malformed path "${rel}"`);
  const realRoot = realpathSync(root);
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]);
    let st;
    try { st = lstatSync(cur); } catch { break; } // the rest does not exist yet (a new file)
    if (st.isSymbolicLink()) throw new HttpError(403, `refused: "${relative(root, cur).split(sep).join('/')}" is a symbolic link; the server follows none`);
    const last = i === parts.length - 1;
    if (!last && !st.isDirectory()) throw new HttpError(400, `"${relative(root, cur)}" is not a folder`);
    if (last && !st.isFile()) throw new HttpError(403, `refused: "${rel}" is not a regular file`);
  }
  // The deepest existing folder on the way must really be inside the root (belt and braces).
  let probe = dirname(join(root, ...parts));
  for (;;) {
    try { const real = realpathSync(probe); if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new HttpError(403, `refused: "${rel}" leads out of the guideline folder`); break; } catch (e) {
      if (e instanceof HttpError) throw e;
      if (probe === root || probe === dirname(probe)) break;
      probe = dirname(probe);
    }
  }
  return join(root, ...parts);
}

export interface Skipped { path: string; reason: string }

/**
 * Every .json file of the folder, without following symlinks; a file over the size limit or a
 * symlink is skipped and reported, so one bad file does not break the listing for everyone.
 */
export function listFolder(root: string): { files: SourceFile[]; skipped: Skipped[] } {
  const files: SourceFile[] = [];
  const skipped: Skipped[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue; // the lock file, temporary files of an interrupted write
      const p = join(d, name);
      const path = relative(root, p).split(sep).join('/');
      const st = lstatSync(p);
      if (st.isSymbolicLink()) { if (name.endsWith('.json') || !name.includes('.')) skipped.push({ path, reason: 'symbolic link (not followed)' }); continue; }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && name.endsWith('.json')) {
        if (st.size > MAX_FILE_BYTES) { skipped.push({ path, reason: `${st.size} bytes: over the ${MAX_FILE_BYTES}-byte limit` }); continue; }
        files.push({ path, text: readFileSync(p, 'utf8') });
      }
    }
  };
  walk(root);
  return { files, skipped };
}

/** Read one file through safeTarget, with the size limit; undefined when it does not exist. */
export function readSafe(root: string, rel: string): string | undefined {
  const target = safeTarget(root, rel);
  let st;
  try { st = lstatSync(target); } catch { return undefined; }
  if (st.size > MAX_FILE_BYTES) throw new HttpError(413, `"${rel}" is ${st.size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  return readFileSync(target, 'utf8');
}

function fsyncDir(dir: string): void {
  try { const fd = openSync(dir, 'r'); try { fsyncSync(fd); } finally { closeSync(fd); } } catch { /* not supported here */ }
}

/** Write `text` to `rel` inside root: no symlink on the way, temporary file + fsync + rename, directory fsync. */
export async function writeSafe(root: string, rel: string, text: string): Promise<void> {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new HttpError(413, `the document is over the ${MAX_FILE_BYTES}-byte limit`);
  const target = safeTarget(root, rel);
  // Create missing folders one by one, re-checking that none of them became a symlink.
  const parts = rel.split('/');
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = join(cur, p);
    try { mkdirSync(cur); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
    if (lstatSync(cur).isSymbolicLink()) throw new HttpError(403, `refused: "${relative(root, cur)}" is a symbolic link`);
  }
  await writeFileAtomic(target, text, { fsync: true, encoding: 'utf8' });
  fsyncDir(dirname(target));
}

// ---------------------------------------------------------------------------------------------
// The folder lock: `<folder>/.guideline-server.lock`, created exclusively (O_EXCL), holding the
// pid, host name and address of the server. A lock whose process is gone (same host, pid not
// alive) is stale and taken over; a live one makes the second server refuse to start.

export const LOCK_NAME = '.guideline-server.lock';

export interface LockInfo { pid: number; host: string; url?: string; started: string; token?: string }

export class FolderLockedError extends Error {
  constructor(public holder: LockInfo, public lockPath: string) {
    super(`${dirname(lockPath)} is already served by process ${holder.pid} on ${holder.host}${holder.url ? ` at ${holder.url}` : ''} (since ${holder.started}). One server per guideline folder: stop it first, or remove ${lockPath} if that process is gone.`);
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function readLock(path: string): LockInfo | undefined {
  try { return JSON.parse(readFileSync(path, 'utf8')) as LockInfo; } catch { return undefined; }
}

export interface FolderLock { path: string; info: LockInfo; /** the lock was taken over from a process that is gone */ tookOverStale: boolean; update(extra: Partial<LockInfo>): void; release(): void }

/** Take the folder's lock or throw FolderLockedError. Stale locks (dead pid on this host) are taken over. */
export function lockFolder(root: string, info: Omit<LockInfo, 'pid' | 'host' | 'started'> = {}): FolderLock {
  const path = join(root, LOCK_NAME);
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), ...info };
  let tookOverStale = false;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try { writeFileSync(fd, JSON.stringify(mine)); fsyncSync(fd); } finally { closeSync(fd); }
      let released = false;
      return {
        path,
        info: mine,
        tookOverStale,
        update(extra) {
          Object.assign(mine, extra);
          const tmp = `${path}.${process.pid}.tmp`;
          writeFileSync(tmp, JSON.stringify(mine), { mode: 0o600 });
          renameSync(tmp, path);
        },
        release() {
          if (released) return;
          released = true;
          const cur = readLock(path);
          if (cur && cur.pid === mine.pid && cur.started === mine.started) { try { unlinkSync(path); } catch { /* gone */ } }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(path);
      if (holder && (holder.host !== mine.host || alive(holder.pid))) throw new FolderLockedError(holder, path);
      if (!holder) {
        // Being written this very moment, or a torn file from a crash: wait a little, then take it.
        const st = (() => { try { return lstatSync(path); } catch { return undefined; } })();
        if (st && Date.now() - st.mtimeMs < 2000) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); continue; }
      }
      // Stale: move it aside (atomic, only one taker wins), then try again.
      try { renameSync(path, `${path}.stale-${process.pid}`); unlinkSync(`${path}.stale-${process.pid}`); tookOverStale = true; } catch { /* someone else took it */ }
    }
  }
  const holder = readLock(path);
  throw holder ? new FolderLockedError(holder, path) : new Error(`could not take the lock ${path}`);
}

/** Remove temporary files left by a write that was killed half-way (write-file-atomic's `<name>.json.<hex>`). */
export function sweepTemporaryFiles(root: string): string[] {
  const removed: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && /\.json\.\d+$|\.json\.[0-9a-f]{6,}$/.test(name)) { unlinkSync(p); removed.push(relative(root, p)); }
    }
  };
  walk(root);
  return removed;
}
