// The server's API (engine/node/server.ts). Every request that changes something carries the
// session's CSRF token (X-CSRF-Token, from GET /api/session); the browser adds the Origin itself.
import type { Finding } from '../engine/runtime/index.ts';
import type { SavedFile } from './model.ts';

export interface Session { mode: 'local' | 'shared'; user?: string; role?: string; csrf?: string }

let session: Promise<Session> | undefined;

/** The server's mode and this tab's CSRF token (fetched once; again after a refusal). */
export function getSession(fresh = false): Promise<Session> {
  if (!session || fresh) {
    session = fetch('/api/session', { cache: 'no-store', credentials: 'same-origin' }).then(async (r) => {
      if (!r.ok) throw new Error(`the server answered ${r.status}`);
      return r.json();
    });
    session.catch(() => { session = undefined; });
  }
  return session;
}

/** fetch() for a request that changes something: JSON body, CSRF header, one retry with a fresh token. */
export async function send(path: string, method: string, body?: unknown): Promise<Response> {
  const go = async (fresh: boolean) => {
    const s = await getSession(fresh);
    return fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', ...(s.csrf ? { 'x-csrf-token': s.csrf } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  const res = await go(false);
  if (res.status === 403 && /CSRF/.test(await res.clone().text())) return go(true);
  return res;
}

export async function loadFiles(): Promise<SavedFile[]> {
  const res = await fetch('/api/files', { cache: 'no-store', credentials: 'same-origin' });
  if (!res.ok) throw new Error(`the server answered ${res.status}`);
  const files: SavedFile[] = (await res.json()).files;
  // The CHANGELOG (not a guideline document; the Review view drafts its entry): absent on older servers.
  const log = await fetch('/api/changelog', { cache: 'no-store', credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : undefined), () => undefined);
  if (log?.version) files.push({ path: log.path, text: log.text, version: log.version });
  return files;
}

export type SaveResult =
  | { ok: true; text: string; version: string; warnings: Finding[] }
  | { ok: false; status: number; error: string; findings?: Finding[]; version?: string | null; text?: string | null };

export async function saveFile(path: string, text: string, version: string | null): Promise<SaveResult> {
  let res: Response;
  try {
    res = await send(`/api/files/${path}`, 'PUT', { text, version });
  } catch {
    return { ok: false, status: 0, error: 'The local server is not running (start it with npm start). Your edit is kept as a draft in this browser.' };
  }
  const body = await res.json().catch(() => ({ error: `the server answered ${res.status}` }));
  if (res.ok) return { ok: true, text: body.text, version: body.version, warnings: body.warnings ?? [] };
  return { ok: false, status: res.status, ...body };
}

/** A git revision the Review view can compare the saved guideline with (GET /api/revisions). */
export interface Revision { role: 'last-commit' | 'last-tag'; rev: string; commit: string; subject: string; date: string }
export interface Revisions { repository: boolean; message?: string; revisions: Revision[] }

export async function loadRevisions(): Promise<Revisions> {
  const res = await fetch('/api/revisions', { cache: 'no-store', credentials: 'same-origin' });
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `the server answered ${res.status}`);
  return res.json();
}

/** The guideline's files at a revision; throws with the server's words (unknown revision, not a repository). */
export async function loadRevision(rev: string): Promise<{ path: string; text: string }[]> {
  const res = await fetch(`/api/revision?rev=${encodeURIComponent(rev)}`, { cache: 'no-store', credentials: 'same-origin' });
  const body = await res.json().catch(() => ({ error: `the server answered ${res.status}` }));
  if (!res.ok) throw new Error(body.error);
  return body.files;
}
