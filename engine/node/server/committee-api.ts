// The committee's HTTP API (the shared mode of the server). Every route but /api/login needs a
// session (cookie `gl_session`: HttpOnly, SameSite=Strict, Secure); the core server has already
// checked Host, Origin and the session's CSRF token before a request gets here.
//
//   POST /api/login {name, password}         -> {user, role, csrf} + cookie; 429 when rate-limited
//   POST /api/logout
//   GET  /api/users                           members and roles
//   GET  /api/proposals                       the list, with approvals
//   POST /api/proposals {title, rationale, files: [{path, text, version}]}          (author, chair)
//   GET  /api/proposals/:id                   files, reviews, comments, review diff, case impact
//   PUT  /api/proposals/:id {revision, title?, rationale?, files?}                 (its author)
//   POST /api/proposals/:id/comments {body, node?, clause?}              (author, reviewer, chair)
//   POST /api/proposals/:id/reviews {verdict: approve|request-changes, body, revision} (reviewer, chair; not own)
//   POST /api/proposals/:id/merge                                                   (chair)
//   POST /api/proposals/:id/withdraw                                          (author, chair)
//   GET  /api/audit?node=&proposal=           the audit trail; /api/audit/export downloads it
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CommitteeHook, FolderAccess, RequestContext } from '../server.ts';
import { checkLogin, createSession, endSession, LoginLimiter, listUsers, may, sessionOf, SESSION_HOURS } from './accounts.ts';
import { Committee } from './committee.ts';
import { openDb, type Db } from './db.ts';
import { HttpError } from './folder.ts';

export interface CommitteeOptions {
  /** sqlite:<file>, pglite:[<folder>] or postgres://... (or an open Db) */
  db: string | Db;
  /** approvals a proposal needs before the chair may merge it */
  approvals: number;
  /** add `Secure` to the session cookie (default true; browsers keep Secure cookies on http://127.0.0.1 and localhost) */
  secureCookies?: boolean;
  limiter?: LoginLimiter;
}

const COOKIE = 'gl_session';

function cookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

export async function openCommittee(o: CommitteeOptions): Promise<CommitteeHook & { committee(): Committee; db: Db }> {
  const db = typeof o.db === 'string' ? await openDb(o.db) : o.db;
  const limiter = o.limiter ?? new LoginLimiter();
  const secure = o.secureCookies !== false;
  let committee: Committee | undefined;
  const cookie = (value: string, maxAge: number) => `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;

  async function json(ctx: RequestContext, req: IncomingMessage): Promise<Record<string, unknown>> {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send JSON (content-type: application/json)');
    const text = await ctx.body();
    let v: unknown;
    try { v = text ? JSON.parse(text) : {}; } catch { throw new HttpError(400, 'the request body must be JSON'); }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the request body must be a JSON object');
    return v as Record<string, unknown>;
  }

  async function route(req: IncomingMessage, ctx: RequestContext): Promise<[number, unknown, Record<string, string | string[]>?] | undefined> {
    const { pathname } = ctx;
    const method = req.method ?? 'GET';
    if (pathname === '/api/login' && method === 'POST') {
      const body = await json(ctx, req);
      const name = typeof body.name === 'string' ? body.name : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const keys = [`name:${name}`, `ip:${req.socket.remoteAddress ?? ''}`];
      const wait = limiter.retryAfter(keys);
      if (wait) return [429, { error: `too many failed logins: try again in ${wait} s` }, { 'retry-after': String(wait) }];
      const user = await checkLogin(db, name, password);
      if (!user) { limiter.fail(keys); return [401, { error: 'wrong name or password' }]; }
      limiter.succeed(keys[0]);
      const s = await createSession(db, user.name);
      return [200, { user: user.name, role: user.role, csrf: s.csrf }, { 'set-cookie': cookie(s.token, SESSION_HOURS * 3600) }];
    }
    if (pathname === '/api/logout' && method === 'POST') {
      const token = cookieOf(req);
      if (token) await endSession(db, token);
      return [200, { ok: true }, { 'set-cookie': cookie('', 0) }];
    }
    const committeeRoute = pathname === '/api/users' || pathname === '/api/proposals' || pathname.startsWith('/api/proposals/') || pathname === '/api/audit' || pathname === '/api/audit/export';
    if (!committeeRoute) return undefined;
    const s = ctx.session;
    if (!s) return [401, { error: 'log in first' }];
    const actor = { user: s.user, role: s.role };
    const c = committee!;
    if (!may(s.role, 'read')) return [403, { error: 'refused' }];
    if (pathname === '/api/users' && method === 'GET') return [200, { users: (await listUsers(db)).map((u) => ({ name: u.name, role: u.role })) }];
    if (pathname === '/api/audit' && method === 'GET') return [200, { entries: await c.auditTrail({ node: ctx.url.searchParams.get('node'), proposal: ctx.url.searchParams.get('proposal') }) }];
    if (pathname === '/api/audit/export' && method === 'GET') {
      const lines = (await c.auditTrail()).map((e) => JSON.stringify(e)).join('\n') + '\n';
      return [200, lines, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': 'attachment; filename="audit.jsonl"' }];
    }
    if (pathname === '/api/proposals') {
      if (method === 'GET') return [200, { proposals: await c.list() }];
      if (method === 'POST') return [201, await c.create(actor, await json(ctx, req))];
      return [405, { error: 'use GET or POST' }];
    }
    const m = /^\/api\/proposals\/([^/]+)(?:\/(comments|reviews|merge|withdraw))?$/.exec(pathname);
    if (!m) return [404, { error: 'unknown API path' }];
    const [, id, action] = m;
    if (!action) {
      if (method === 'GET') return [200, await c.get(id)];
      if (method === 'PUT') return [200, await c.update(actor, id, await json(ctx, req))];
      return [405, { error: 'use GET or PUT' }];
    }
    if (method !== 'POST') return [405, { error: 'use POST' }];
    if (action === 'comments') return [201, await c.comment(actor, id, await json(ctx, req))];
    if (action === 'reviews') return [201, await c.review(actor, id, await json(ctx, req))];
    if (action === 'merge') return [200, await c.merge(actor, id)];
    await c.withdraw(actor, id);
    return [200, { ok: true }];
  }

  return {
    db,
    committee: () => committee!,
    hasAccounts: async () => (await listUsers(db)).length > 0,
    session: async (req) => {
      const token = cookieOf(req);
      return token && /^[A-Za-z0-9_-]{20,100}$/.test(token) ? sessionOf(db, token) : undefined;
    },
    async handle(req: IncomingMessage, _res: ServerResponse, ctx: RequestContext) {
      let answer;
      try {
        answer = await route(req, ctx);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        req.resume();
        ctx.send(e.status, (e as HttpError & { body?: unknown }).body ?? { error: e.message });
        return true;
      }
      if (!answer) return false;
      const [status, body, headers] = answer;
      if (typeof body === 'string') {
        _res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
        _res.end(body);
      } else ctx.send(status, body, headers);
      return true;
    },
    async attach(folder: FolderAccess) {
      committee = new Committee(db, folder, o.approvals);
      const done = await committee.recover(folder.tookOverStaleLock);
      if (done.length) console.error(`finished ${done.length} merge(s) interrupted by a crash: ${done.join(', ')}`);
    },
    close: () => db.close(),
  };
}
