// The editor's local server (`npm start`): serves the built editor, hands out the guideline's
// source files with a version (sha256 of the content) each, and writes an accepted edit back.
// An edit is written only when the whole guideline, with the edit applied, has no error that the
// saved guideline does not already have (schema + semantic checker), atomically (temporary file,
// then rename) and in the house key order. A PUT names the version it was based on; if the file
// changed since (another tab, another person, git pull) the answer is 409 and nothing is written.
// Listens on 127.0.0.1 only. Node-only; the editor talks to it over fetch.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../authoring/check.ts';
import { formatDocument } from '../authoring/format.ts';
import { parseSource, type SourceFile } from '../authoring/source.ts';
import type { Finding } from '../runtime/types.ts';
import { readSourceFiles } from './load.ts';

export interface ServerOptions {
  /** the guideline folder (with manifest.json) */
  guidelineDir: string;
  /** folder of the built editor (index.html + assets); default dist/editor */
  staticDir?: string;
  /** 0 picks a free port */
  port?: number;
  /** serve the editor through Vite's dev middleware instead of the build */
  dev?: boolean;
}

export interface RunningServer { url: string; port: number; close(): Promise<void> }

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_BODY = 2_000_000;
const EDITABLE = /^((inputs|nodes|cases)\/[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*|invariants)\/[a-z0-9][a-z0-9_-]*\.json$/;

export const versionOf = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.ttf': 'font/ttf', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

/** A path the editor may write: inside inputs/, nodes/, cases/ or invariants/, lower-case name, .json, no `..`. */
export function editablePath(path: string): boolean {
  return EDITABLE.test(path) && !path.split('/').some((s) => s === '..' || s === '.');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const key = (f: Finding) => `${f.code}\u0000${f.file ?? ''}\u0000${f.pointer}\u0000${f.message}`;

function findingsOf(files: SourceFile[]): Finding[] {
  const { guideline, findings } = parseSource(files);
  return [...findings, ...check(guideline)];
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const dir = resolve(options.guidelineDir);
  const staticDir = resolve(options.staticDir ?? join(ROOT, 'dist', 'editor'));
  let vite: { middlewares: (req: IncomingMessage, res: ServerResponse, next: () => void) => void; close(): Promise<void> } | undefined;
  if (options.dev) {
    const { createServer } = await import('vite');
    vite = await createServer({ configFile: join(ROOT, 'vite.config.ts'), server: { middlewareMode: true }, appType: 'spa' });
  } else if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`no built editor in ${staticDir}: run \`npm run build\` first (or start with --dev).`);
  }

  const listFiles = () => readSourceFiles(dir);
  // One write at a time: validation reads the folder, so two PUTs must not interleave.
  let queue: Promise<unknown> = Promise.resolve();

  async function put(path: string, body: string, res: ServerResponse) {
    let request: { text?: unknown; version?: unknown };
    try { request = JSON.parse(body); } catch { return send(res, 400, { error: 'the request body must be JSON: {"text": "...", "version": "<sha256>" | null}' }); }
    if (typeof request.text !== 'string') return send(res, 400, { error: 'missing "text" (the document as JSON text)' });
    const base = request.version;
    if (base !== null && typeof base !== 'string') return send(res, 400, { error: '"version" must be the version the edit was based on, or null for a new file' });
    const target = join(dir, ...path.split('/'));
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
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
    let doc: unknown;
    try { doc = JSON.parse(request.text); } catch (e) {
      return send(res, 422, { error: 'The text is not valid JSON.', findings: [{ code: 'invalid-json', severity: 'error', file: path, pointer: '', message: (e as Error).message }] });
    }
    const text = formatDocument(doc);
    const files = listFiles();
    const before = new Set(findingsOf(files).filter((f) => f.severity === 'error').map(key));
    const draft = files.filter((f) => f.path !== path).concat({ path, text });
    const after = findingsOf(draft);
    const fresh = after.filter((f) => f.severity === 'error' && !before.has(key(f)));
    if (fresh.length) {
      return send(res, 422, { error: `Not saved: the edit has ${fresh.length} problem${fresh.length > 1 ? 's' : ''}.`, findings: fresh });
    }
    if (current !== text) {
      mkdirSync(dirname(target), { recursive: true });
      const tmp = join(dirname(target), `.${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
      try {
        writeFileSync(tmp, text, 'utf8');
        renameSync(tmp, target);
      } catch (e) {
        try { unlinkSync(tmp); } catch { /* already gone */ }
        throw e;
      }
    }
    send(res, 200, { path, version: versionOf(text), text, warnings: after.filter((f) => f.severity === 'warning' && f.file === path) });
  }

  const server: Server = createHttpServer((req, res) => {
    handle(req, res).catch((e) => {
      const status = (e as { status?: number }).status ?? 500;
      if (!res.headersSent) send(res, status, { error: (e as Error).message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    if (pathname === '/api/files' && req.method === 'GET') {
      const files = listFiles().map((f) => ({ ...f, version: versionOf(f.text) }));
      return send(res, 200, { files });
    }
    if (pathname.startsWith('/api/files/')) {
      const path = pathname.slice('/api/files/'.length);
      if (!editablePath(path)) return send(res, 403, { error: `refused: "${path}" is not an input, node or case file inside the guideline folder` });
      if (req.method === 'GET') {
        const target = join(dir, ...path.split('/'));
        if (!existsSync(target)) return send(res, 404, { error: 'no such file' });
        const text = readFileSync(target, 'utf8');
        return send(res, 200, { path, text, version: versionOf(text) });
      }
      if (req.method === 'PUT') {
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send JSON (content-type: application/json)' });
        const body = await readBody(req);
        const job = queue.then(() => put(path, body, res));
        queue = job.catch(() => undefined);
        return job;
      }
      return send(res, 405, { error: 'use GET or PUT' });
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
    });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await vite?.close();
    },
  };
}

// `tsx engine/node/server.ts [--dir guideline/klca-ncc-2022] [--port 5174] [--dev]`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const guidelineDir = resolve(opt('--dir') ?? join(ROOT, 'guideline', 'klca-ncc-2022'));
  const port = Number(opt('--port') ?? process.env.PORT ?? 5174);
  startServer({ guidelineDir, port, dev: args.includes('--dev') }).then(
    (s) => {
      console.log(`Guideline editor for ${guidelineDir}`);
      console.log(`Open ${s.url} in your browser (Ctrl+C stops the server; unsaved drafts stay in the browser).`);
      const stop = () => { s.close().then(() => process.exit(0)); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (e) => { console.error(String((e as Error).message ?? e)); process.exit(1); },
  );
}
