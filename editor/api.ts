// The local server's API (engine/node/server.ts).
import type { Finding } from '../engine/runtime/index.ts';
import type { SavedFile } from './model.ts';

export async function loadFiles(): Promise<SavedFile[]> {
  const res = await fetch('/api/files', { cache: 'no-store' });
  if (!res.ok) throw new Error(`the server answered ${res.status}`);
  return (await res.json()).files;
}

export type SaveResult =
  | { ok: true; text: string; version: string; warnings: Finding[] }
  | { ok: false; status: number; error: string; findings?: Finding[]; version?: string | null; text?: string | null };

export async function saveFile(path: string, text: string, version: string | null): Promise<SaveResult> {
  let res: Response;
  try {
    res = await fetch(`/api/files/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, version }) });
  } catch {
    return { ok: false, status: 0, error: 'The local server is not running (start it with npm start). Your edit is kept as a draft in this browser.' };
  }
  const body = await res.json().catch(() => ({ error: `the server answered ${res.status}` }));
  if (res.ok) return { ok: true, text: body.text, version: body.version, warnings: body.warnings ?? [] };
  return { ok: false, status: res.status, ...body };
}
