// The editor's server (`npm start`, `guideline serve`): serves the built editor, hands out the
// guideline's source files with a version (sha256 of the content) each, and writes an accepted
// edit back. An edit is written only when the whole guideline, with the edit applied, has no error
// that the saved guideline does not already have (schema + semantic checker), in the house key
// order, atomically and durably (temporary file, fsync, rename). A PUT names the version it was
// based on; if the file changed since (another tab, another person, git pull) the answer is 409
// and nothing is written.
//
// Secure by default (see server/guard.ts and server/folder.ts): the Host and Origin of every
// request are checked (DNS rebinding, foreign pages), a state-changing request needs the CSRF
// token or the server's bearer token, one server per guideline folder (lock file), no symlink is
// followed, and malformed paths, deep documents, large bodies and large files get a 4xx. Listens
// on 127.0.0.1 unless `host` is given; any other address requires the shared (accounts) mode.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSource } from '../authoring/check.ts';
import { formatDocument } from '../authoring/format.ts';
import { parseSource, type SourceFile } from '../authoring/source.ts';
import type { Finding } from '../runtime/types.ts';
import { HttpError, jsonDepth, listFolder, lockFolder, MAX_DEPTH, MAX_FILE_BYTES, readSafe, sweepTemporaryFiles, writeSafe, type FolderLock } from './server/folder.ts';
import { removeFile } from './server/remove.ts';
import { AnalysisService } from './server/analysis.ts';
import { checkRequest, isLoopback, sameSecret, type GuardOptions } from './server/guard.ts';
import { defaultGoldenDir, PACKAGE_ROOT } from './paths.ts';
import { CHANGELOG, finishSave, recoverSave, type SaveRequest } from './server/finish.ts';
import { revisionAnswer, revisionsAnswer } from './server/revisions.ts';

export interface ServerOptions {
  /** the guideline folder (with manifest.json) */
  guidelineDir: string;
  /** folder of the built editor (index.html + assets); default dist/editor */
  staticDir?: string;
  /** 0 picks a free port */
  port?: number;
  /** the address to listen on; default 127.0.0.1. Anything but loopback requires `committee`. */
  host?: string;
  /** host names (with or without :port) the server also answers to, e.g. behind a reverse proxy */
  publicNames?: string[];
  /** serve the editor through Vite's dev middleware instead of the build */
  dev?: boolean;
  /** the committee (shared) mode: accounts, proposals, reviews; see server/committee-api.ts */
  committee?: CommitteeHook;
  /** where a save writes the cases' golden traces; default test/golden/<id> (as `guideline test`) */
  goldenDir?: string;
}

/** What the shared mode plugs into the server. */
export interface CommitteeHook {
  /** true when at least one account exists (a non-loopback bind requires it) */
  hasAccounts(): Promise<boolean>;
  /** the session of a request (from its cookie), or undefined */
  session(req: IncomingMessage): Promise<{ user: string; role: string; csrf: string } | undefined>;
  /** handle an /api/ request the core does not; return false when the path is not the committee's */
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<boolean>;
  /** take over the folder: called once the lock is held (recovery of interrupted merges) */
  attach(folder: FolderAccess): Promise<void>;
  close(): Promise<void>;
}

export interface RequestContext {
  url: URL;
  pathname: string;
  via: 'read' | 'browser' | 'token';
  session?: { user: string; role: string; csrf: string };
  body(): Promise<string>;
  send(status: number, body: unknown, headers?: Record<string, string | string[]>): void;
}

/** The folder operations the committee uses: the same checks and writes as the editor's saves. */
export interface FolderAccess {
  dir: string;
  /** this server took the folder over from one that died (its leftovers are stale) */
  tookOverStaleLock: boolean;
  list(): { files: SourceFile[]; skipped: { path: string; reason: string }[] };
  read(path: string): string | undefined;
  /** validate a set of changes against the whole guideline; the findings they introduce */
  validate(changes: { path: string; text: string }[], removed?: string[]): { fresh: Finding[]; warnings: Finding[] };
  write(path: string, text: string): Promise<void>;
  /** run `fn` alone: no other write of this server interleaves */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface RunningServer {
  url: string;
  port: number;
  /** the bearer token for non-browser clients (also in the folder's lock file, mode 0600) */
  token: string;
  close(): Promise<void>;
}

const ROOT = PACKAGE_ROOT;
/** Largest request body: a file of the maximum size, JSON-escaped, fits. */
export const MAX_BODY = 3 * MAX_FILE_BYTES;
const EDITABLE = /^((inputs|nodes|cases)\/[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*|invariants)\/[a-z0-9][a-z0-9_-]*\.json$/;

export const versionOf = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.ttf': 'font/ttf', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** A path the editor may write: inside inputs/, nodes/, cases/ or invariants/, lower-case name, .json, no `..`. */
export function editablePath(path: string): boolean {
  return EDITABLE.test(path) && !path.split('/').some((s) => s === '..' || s === '.');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY) throw new HttpError(413, `request body too large (limit ${MAX_BODY} bytes)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body too large (limit ${MAX_BODY} bytes)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const key = (f: Finding) => `${f.code}\u0000${f.file ?? ''}\u0000${f.pointer}\u0000${f.message}`;

function findingsOf(files: SourceFile[]): Finding[] {
  const { guideline, findings } = parseSource(files);
  return checkSource({ guideline, findings });
}

/** Parse a document sent by a client: too deep, too large or not JSON gives a 4xx, never a crash. */
export function parseDocument(path: string, text: string): { doc: unknown } | { status: number; body: unknown } {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) return { status: 413, body: { error: `The document is over the ${MAX_FILE_BYTES}-byte limit.` } };
  if (jsonDepth(text) > MAX_DEPTH) {
    return { status: 422, body: { error: `The document nests deeper than ${MAX_DEPTH} levels.`, findings: [{ code: 'too-deep', severity: 'error', file: path, pointer: '', message: `nesting deeper than ${MAX_DEPTH} levels` }] } };
  }
  try { return { doc: JSON.parse(text) }; } catch (e) {
    return { status: 422, body: { error: 'The text is not valid JSON.', findings: [{ code: 'invalid-json', severity: 'error', file: path, pointer: '', message: (e as Error).message }] } };
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const dir = resolve(options.guidelineDir);
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`${dir} is not a guideline folder (no manifest.json)`);
  const bindHost = options.host ?? '127.0.0.1';
  const committee = options.committee;
  if (!isLoopback(bindHost)) {
    if (!committee) throw new Error(`refusing to listen on ${bindHost}: a server reachable from other machines needs accounts (guideline serve --shared, after guideline users add)`);
    if (!(await committee.hasAccounts())) throw new Error(`refusing to listen on ${bindHost}: no account exists yet (guideline users add NAME --role chair)`);
  }
  const staticDir = resolve(options.staticDir ?? join(ROOT, 'dist', 'editor'));
  let vite: { middlewares: (req: IncomingMessage, res: ServerResponse, next: () => void) => void; close(): Promise<void> } | undefined;
  if (!options.dev && !existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`no built editor in ${staticDir}: run \`npm run build\` first (or start with --dev).`);
  }

  // One writer per folder, across processes. Held until close().
  const token = randomBytes(32).toString('base64url');
  const lock: FolderLock = lockFolder(dir, { token });
  const localCsrf = randomBytes(32).toString('base64url');
  let server: Server | undefined;
  try {
    sweepTemporaryFiles(dir);
    const goldenDir = resolve(options.goldenDir ?? defaultGoldenDir(parseSource(listFolder(dir).files.filter((f) => f.path === 'manifest.json')).guideline.manifest.id));
    await recoverSave(dir, goldenDir);
    if (options.dev) {
      const { createServer } = await import('vite');
      vite = await createServer({ configFile: join(ROOT, 'vite.config.ts'), server: { middlewareMode: true }, appType: 'spa' });
    }

    const listFiles = () => listFolder(dir).files;
    // One write at a time: validation reads the folder, so two writes must not interleave.
    let queue: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
      const job = queue.then(fn);
      queue = job.catch(() => undefined);
      return job;
    };
    // The saved guideline's errors, cached by the folder's content (a full check takes ~200 ms).
    let baseline: { sig: string; errors: Set<string> } | undefined;
    const validate = (changes: { path: string; text: string }[], removed: string[] = []) => {
      const files = listFiles();
      const sig = versionOf(files.map((f) => `${f.path}\u0000${versionOf(f.text)}`).join('\n'));
      if (baseline?.sig !== sig) baseline = { sig, errors: new Set(findingsOf(files).filter((f) => f.severity === 'error').map(key)) };
      const paths = new Set(changes.map((c) => c.path));
      const draft = files.filter((f) => !paths.has(f.path) && !removed.includes(f.path)).concat(changes);
      const after = findingsOf(draft);
      const before = baseline.errors;
      return {
        fresh: after.filter((f) => f.severity === 'error' && !before.has(key(f))),
        warnings: after.filter((f) => f.severity === 'warning' && f.file !== undefined && paths.has(f.file)),
      };
    };
    // POST /api/analyze (server/analysis.ts): the z3 analysis, one run at a time, cached by content.
    const analysis = new AnalysisService({ list: listFiles, validate, editable: editablePath, parse: parseDocument });
    const folder: FolderAccess = {
      dir,
      tookOverStaleLock: lock.tookOverStale,
      list: () => listFolder(dir),
      read: (path) => readSafe(dir, path),
      validate,
      write: (path, text) => writeSafe(dir, path, text),
      exclusive,
    };

    async function put(path: string, body: string, res: ServerResponse) {
      let request: { text?: unknown; version?: unknown };
      try { request = JSON.parse(body); } catch { return send(res, 400, { error: 'the request body must be JSON: {"text": "...", "version": "<sha256>" | null}' }); }
      if (typeof request !== 'object' || request === null) return send(res, 400, { error: 'the request body must be a JSON object' });
      if (typeof request.text !== 'string') return send(res, 400, { error: 'missing "text" (the document as JSON text)' });
      const base = request.version;
      if (base !== null && typeof base !== 'string') return send(res, 400, { error: '"version" must be the version the edit was based on, or null for a new file' });
      const current = readSafe(dir, path);
      const currentVersion = current === undefined ? null : versionOf(current);
      if (currentVersion !== base) {
        return send(res, 409, {
          error: current === undefined
            ? 'This file no longer exists on disk: someone deleted or renamed it since you opened it.'
            : base === null
              ? 'A file with this name already exists: choose another id.'
              : 'Someone else changed this file since you opened it (another tab, another person or a git pull). Your edit was not written; it is kept as a draft.',
          version: currentVersion,
          text: current ?? null,
        });
      }
      const parsed = parseDocument(path, request.text);
      if (!('doc' in parsed)) return send(res, parsed.status, parsed.body);
      const text = formatDocument(parsed.doc);
      const { fresh, warnings } = validate([{ path, text }]);
      if (fresh.length) {
        return send(res, 422, { error: `Not saved: the edit has ${fresh.length} problem${fresh.length > 1 ? 's' : ''}.`, findings: fresh });
      }
      if (current !== text) await writeSafe(dir, path, text);
      send(res, 200, { path, version: versionOf(text), text, warnings });
    }

    server = createHttpServer((req, res) => {
      handle(req, res).catch((e) => {
        const status = e instanceof HttpError ? e.status : (e as { status?: number }).status ?? 500;
        if (status >= 500) console.error(e);
        if (!res.headersSent) send(res, status, { error: status >= 500 ? 'internal error' : (e as Error).message });
        else res.end();
      });
    });
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    const guardOptions: GuardOptions = { port: 0, publicNames: options.publicNames };

    async function handle(req: IncomingMessage, res: ServerResponse) {
      const verdict = checkRequest(req, guardOptions, token);
      if (!verdict.ok) { req.resume(); return send(res, verdict.status, { error: verdict.error }); }
      let url: URL;
      let pathname: string;
      try {
        url = new URL(req.url ?? '/', 'http://127.0.0.1');
        pathname = decodeURIComponent(url.pathname);
      } catch { req.resume(); return send(res, 400, { error: 'malformed request path' }); }
      if (pathname.includes('\0')) return send(res, 400, { error: 'malformed request path' });
      const session = committee ? await committee.session(req) : undefined;
      if (verdict.via === 'browser') {
        // The browser proof: the CSRF token of the session (shared) or of the server (local).
        const sent = req.headers['x-csrf-token'];
        const expected = committee ? session?.csrf : localCsrf;
        if (committee && !session && pathname === '/api/login') { /* logging in: no session yet, Origin checked */ } else if (!sameSecret(Array.isArray(sent) ? sent[0] : sent, expected)) {
          req.resume();
          return send(res, 403, { error: 'refused: missing or wrong CSRF token (X-CSRF-Token); reload the editor' });
        }
      }
      if (pathname === '/api/session' && req.method === 'GET') {
        if (!committee) return send(res, 200, { mode: 'local', csrf: localCsrf });
        return send(res, 200, session ? { mode: 'shared', user: session.user, role: session.role, csrf: session.csrf } : { mode: 'shared' });
      }
      if (pathname.startsWith('/api/')) {
        const ctx: RequestContext = { url, pathname, via: verdict.via, session, body: () => readBody(req), send: (s, b, h) => send(res, s, b, h) };
        if (committee && await committee.handle(req, res, ctx)) return;
        // In the shared mode only members read, and changes go through proposals.
        if (committee && !session && verdict.via !== 'token') return send(res, 401, { error: 'log in first' });
      }
      if (pathname === '/api/files' && req.method === 'GET') {
        const { files, skipped } = listFolder(dir);
        return send(res, 200, { files: files.map((f) => ({ ...f, version: versionOf(f.text) })), skipped });
      }
      if (pathname === '/api/changelog' && req.method === 'GET') {
        const text = readSafe(dir, CHANGELOG) ?? '';
        return send(res, 200, { path: CHANGELOG, text, version: text ? versionOf(text) : null });
      }
      if (pathname === '/api/revisions' && req.method === 'GET') return send(res, ...revisionsAnswer(dir));
      if (pathname === '/api/revision' && req.method === 'GET') return send(res, ...revisionAnswer(dir, url.searchParams.get('rev') ?? ''));
      if (pathname === '/api/save' && req.method === 'POST') {
        if (committee) return send(res, 403, { error: 'refused: on the shared server changes go through proposals (POST /api/proposals)' });
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) { req.resume(); return send(res, 415, { error: 'send JSON (content-type: application/json)' }); }
        const body = await readBody(req);
        let request: SaveRequest;
        try { request = JSON.parse(body); } catch { return send(res, 400, { error: 'the request body must be JSON' }); }
        if (typeof request !== 'object' || request === null) return send(res, 400, { error: 'the request body must be a JSON object' });
        const answer = await exclusive(() => finishSave({ dir, goldenDir, list: listFiles, validate }, request));
        return send(res, answer.status, answer.body);
      }
      if (pathname === '/api/analyze' && req.method === 'POST') {
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) { req.resume(); return send(res, 415, { error: 'send JSON (content-type: application/json)' }); }
        const answer = await analysis.request(await readBody(req));
        return send(res, answer.status, answer.body);
      }
      if (pathname.startsWith('/api/files/')) {
        const path = pathname.slice('/api/files/'.length);
        if (!editablePath(path)) return send(res, 403, { error: `refused: "${path}" is not an input, node or case file inside the guideline folder` });
        if (req.method === 'GET') {
          const text = readSafe(dir, path);
          if (text === undefined) return send(res, 404, { error: 'no such file' });
          return send(res, 200, { path, text, version: versionOf(text) });
        }
        if (req.method === 'PUT') {
          if (committee) return send(res, 403, { error: 'refused: on the shared server changes go through proposals (POST /api/proposals)' });
          if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) { req.resume(); return send(res, 415, { error: 'send JSON (content-type: application/json)' }); }
          const body = await readBody(req);
          return exclusive(() => put(path, body, res));
        }
        if (req.method === 'DELETE') { // server/remove.ts: only when the guideline passes without the file
          if (committee) return send(res, 403, { error: 'refused: on the shared server changes go through proposals (POST /api/proposals)' });
          const body = await readBody(req);
          return exclusive(async () => { const r = removeFile(dir, path, body, validate); send(res, r.status, r.body); });
        }
        return send(res, 405, { error: 'use GET, PUT or DELETE' });
      }
      if (pathname.startsWith('/api/')) return send(res, 404, { error: 'unknown API path' });
      if (vite) return vite.middlewares(req, res, () => { res.statusCode = 404; res.end('not found'); });
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.statusCode = 405; return res.end(); }
      // Static files of the build; anything else gets index.html (one-page app).
      let file = resolve(staticDir, '.' + pathname);
      if (!file.startsWith(staticDir + sep) && file !== staticDir) { res.statusCode = 403; return res.end('forbidden'); }
      if (!existsSync(file) || statSync(file).isDirectory()) file = join(staticDir, 'index.html');
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...SECURITY_HEADERS,
      });
      res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
    }

    await committee?.attach(folder);
    await new Promise<void>((ok, fail) => {
      server!.once('error', fail);
      server!.listen(options.port ?? 0, bindHost, () => ok());
    });
    const port = (server.address() as { port: number }).port;
    guardOptions.port = port;
    // A specific address we listen on is a name we answer to (a wildcard is not: name it with publicNames).
    if (!isLoopback(bindHost) && bindHost !== '0.0.0.0' && bindHost !== '::') {
      guardOptions.publicNames = [...(options.publicNames ?? []), `${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${port}`];
    }
    const shown = bindHost.includes(':') ? `[${bindHost}]` : bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
    const url = `http://${shown}:${port}/`;
    lock.update({ url });
    const s = server;
    return {
      url,
      port,
      token,
      close: async () => {
        analysis.close();
        s.closeAllConnections();
        await new Promise<void>((ok) => s.close(() => ok()));
        await vite?.close();
        await committee?.close();
        lock.release();
      },
    };
  } catch (e) {
    server?.close();
    await vite?.close();
    lock.release();
    throw e;
  }
}

// `tsx engine/node/server.ts [--dir guideline/klca-ncc-2022] [--port 5174] [--dev]` (npm start)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { runServe } = await import('./serve.ts');
  process.exitCode = await runServe(process.argv.slice(2));
}
