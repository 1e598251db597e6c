// Node-only file helpers shared by the CLI, the review commands, the loader and the editor's
// server: one atomic write (write-file-atomic: temporary file in the same folder, fsync, rename,
// the temporary file removed on failure) and one guarded read of an input file (a regular file
// under the size limit; "-" is standard input). Every refusal is an EngineError (exit 2 in the CLI).
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { EngineError } from '../runtime/errors.ts';

/** Largest input accepted: guideline documents, facts and bundles are small; a huge file is a mistake. */
export const MAX_INPUT_BYTES = 2_000_000;

/** Write `text` to `path` atomically (readers see the old file or the new one, never half). */
export function writeAtomic(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic.sync(path, text, { encoding: 'utf8' });
  } catch (e) {
    throw new EngineError('cannot-write', `cannot write ${path}: ${systemMessage(e)}`);
  }
}

/** A system error's message without the stack ("ENOTDIR: not a directory, mkdir '...'"). */
export function systemMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'ENOTDIR': case 'EEXIST': return 'a part of the path is a file, not a folder';
    case 'EISDIR': return 'it is a folder, not a file';
    case 'ELOOP': return 'symbolic link loop';
    case 'EACCES': case 'EPERM': return 'permission denied';
    default: return err?.message ?? String(e);
  }
}

/**
 * Stat a path the way a reader sees it, naming the problem: missing, a dangling symlink, a
 * symlink loop. Returns the target's Stats.
 */
export function statInput(path: string, what: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      let dangling = false;
      try { dangling = lstatSync(path).isSymbolicLink(); } catch { /* absent */ }
      throw new EngineError('no-such-file', dangling ? `${what} ${path} is a symbolic link to nothing` : `no such ${what}: ${path}`);
    }
    if (code === 'ELOOP') throw new EngineError('symlink-loop', `${what} ${path}: symbolic link loop`);
    throw new EngineError('cannot-read', `cannot read ${what} ${path}: ${systemMessage(e)}`);
  }
}

/** Read one input file as UTF-8 ("-": standard input). A regular file under MAX_INPUT_BYTES only. */
export function readInputFile(path: string, what: string): string {
  if (path === '-') return readStdin(what);
  const st = statInput(path, what);
  if (st.isDirectory()) throw new EngineError('is-a-directory', `${what} ${path} is a folder; give a file`);
  if (!st.isFile()) throw new EngineError('not-a-file', `${what} ${path} is not a regular file (a pipe, socket or device); give a file`);
  if (st.size > MAX_INPUT_BYTES) throw new EngineError('too-large', `${what} ${path} is ${st.size} bytes; the limit is ${MAX_INPUT_BYTES}`);
  // Open without blocking (a file swapped for a FIFO between stat and open must not hang), then check again.
  let fd: number;
  try { fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)); } catch (e) { throw new EngineError('cannot-read', `cannot read ${what} ${path}: ${systemMessage(e)}`); }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new EngineError('not-a-file', `${what} ${path} is not a regular file`);
    if (s.size > MAX_INPUT_BYTES) throw new EngineError('too-large', `${what} ${path} is ${s.size} bytes; the limit is ${MAX_INPUT_BYTES}`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function readStdin(what: string): string {
  const chunks: Buffer[] = [];
  let size = 0;
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EOF') break;
      throw new EngineError('cannot-read', `cannot read ${what} from standard input: ${systemMessage(e)}`);
    }
    if (n === 0) break;
    size += n;
    if (size > MAX_INPUT_BYTES) throw new EngineError('too-large', `${what} on standard input is over ${MAX_INPUT_BYTES} bytes`);
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
