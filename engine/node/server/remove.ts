// DELETE /api/files/<path> (local mode): remove one file of the guideline folder, only if it is the
// version the editor showed (409 otherwise) and the guideline without it still passes every check
// (422 with the findings: who still refers to it). The editor shows the impact before asking.
import { rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Finding } from '../../runtime/types.ts';
import { readSafe, safeTarget } from './folder.ts';

const versionOf = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function removeFile(
  dir: string, path: string, body: string,
  validate: (changes: { path: string; text: string }[], removed: string[]) => { fresh: Finding[] },
): { status: number; body: unknown } {
  let request: { version?: unknown };
  try { request = JSON.parse(body || '{}'); } catch { return { status: 400, body: { error: 'the request body must be JSON: {"version": "<sha256>"}' } }; }
  const current = readSafe(dir, path);
  if (current === undefined) return { status: 404, body: { error: 'no such file' } };
  const version = versionOf(current);
  if (request?.version !== version) {
    return { status: 409, body: { error: 'Someone else changed this file since you opened it; nothing was deleted.', version, text: current } };
  }
  const { fresh } = validate([], [path]);
  if (fresh.length) return { status: 422, body: { error: `Not deleted: without this file the guideline has ${fresh.length} problem${fresh.length > 1 ? 's' : ''}.`, findings: fresh } };
  rmSync(safeTarget(dir, path));
  return { status: 200, body: { path, deleted: true } };
}
