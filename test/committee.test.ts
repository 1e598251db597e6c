// The committee's API, one suite run on SQLite (better-sqlite3) and on PostgreSQL (PGlite in
// process): accounts and sessions, the role matrix, proposals from draft to merged with reviews,
// comments, the git commit with its trailers, conflicts, and the append-only audit trail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionOf } from '../engine/node/server.ts';
import { hashPassword, PERMISSIONS, setScryptCost, verifyPassword } from '../engine/node/server/accounts.ts';
import { openCommittee } from '../engine/node/server/committee-api.ts';
import { openDb, schemaVersion } from '../engine/node/server/db.ts';
import { startServer } from '../engine/node/server.ts';
import { committeeServer, git, MEMBERS, PASSWORD, type Setup } from './committee-setup.ts';
import { Client } from './server-client.ts';

const NODE = 'nodes/liver/good_liver.json';

describe.each(['sqlite', 'pglite'] as const)('committee on %s', (kind) => {
  let s: Setup;
  const as: Record<string, Client> = {};
  const disk = (p = NODE) => readFileSync(join(s.dir, p), 'utf8');
  const withThreshold = (t: number, base = disk()) => { const d = JSON.parse(base); d.expr.and[0]['>'][1] = t; return JSON.stringify(d); };
  const withDescription = (x: string, base = disk()) => { const d = JSON.parse(base); d.description = x; return JSON.stringify(d); };
  const propose = (who: string, text: string, title = 'Albumin threshold', base = disk()) =>
    as[who].send('POST', '/api/proposals', { title, rationale: 'Table 1 prints it so.', files: [{ path: NODE, text, version: versionOf(base) }] });

  beforeAll(async () => {
    s = await committeeServer(kind, 2);
    for (const [name] of MEMBERS) {
      as[name] = new Client(s.server.port);
      const r = await as[name].login(name, PASSWORD);
      expect(r.status, name).toBe(200);
    }
  }, 120_000);
  afterAll(async () => { await s?.close(); });

  it('passwords: scrypt at N=2^15 by default, compared in constant time', async () => {
    setScryptCost(2 ** 15);
    const h = await hashPassword(PASSWORD);
    setScryptCost(2 ** 12);
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
    expect(await verifyPassword(PASSWORD, h)).toBe(true);
    expect(await verifyPassword(PASSWORD + ' ', h)).toBe(false);
    expect(await hashPassword(PASSWORD)).not.toBe(await hashPassword(PASSWORD)); // salted
  });

  it('the schema is migrated once and versioned', async () => {
    expect(await schemaVersion(s.db)).toEqual([1]);
  });

  it('login: a session cookie (HttpOnly, SameSite=Strict, Secure) and a CSRF token; wrong passwords are rate-limited', async () => {
    const c = new Client(s.server.port);
    const r = await c.login('ann', PASSWORD);
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^gl_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    expect(r.json()).toMatchObject({ user: 'ann', role: 'author', csrf: expect.any(String) });
    expect((await c.session())).toMatchObject({ mode: 'shared', user: 'ann', role: 'author' });
    // The database keeps only a hash of the session token, and the password only as scrypt.
    const token = c.cookie!.split('=')[1];
    const rows = await s.db.all<{ token_hash: string }>('SELECT token_hash FROM sessions');
    expect(rows.some((x) => x.token_hash === token)).toBe(false);
    expect((await s.db.get<{ password: string }>('SELECT password FROM users WHERE name = ?', ['ann']))!.password).toMatch(/^scrypt\$\d+\$8\$1\$/);
    const bad = new Client(s.server.port);
    expect((await bad.login('rob', 'wrong password!')).status).toBe(401);
    expect((await bad.login('nobody', 'wrong password!')).status).toBe(401);
    for (let i = 0; i < 4; i++) await bad.login('rob', 'wrong password!');
    const limited = await bad.login('rob', PASSWORD); // even the right password waits now
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const out = await c.send('POST', '/api/logout', {});
    expect(out.status).toBe(200);
    expect((await c.get('/api/proposals')).status).toBe(401);
  });

  it('without a session nothing is read or written; a session without its CSRF token, or from another Origin, is refused', async () => {
    const anon = new Client(s.server.port);
    expect((await anon.get('/api/proposals')).status).toBe(401);
    expect((await anon.get('/api/files')).status).toBe(401);
    expect((await anon.send('POST', '/api/proposals', {})).status).toBe(403); // no CSRF token
    const ann = as.ann;
    const csrf = ann.csrf;
    ann.csrf = undefined;
    expect((await propose('ann', withDescription('no csrf'))).status).toBe(403);
    ann.csrf = 'forged-token-forged-token-forged-token-xx';
    expect((await propose('ann', withDescription('forged csrf'))).status).toBe(403);
    ann.csrf = csrf;
    const evil = new Client(s.server.port, 'http://evil.example');
    evil.cookie = ann.cookie;
    evil.csrf = ann.csrf;
    expect((await evil.send('POST', '/api/proposals', {})).status).toBe(403);
    // On the shared server files change only through proposals.
    expect((await ann.send('PUT', `/api/files/${NODE}`, { text: withDescription('direct'), version: versionOf(disk()) })).status).toBe(403);
    expect(JSON.parse(disk()).description).toBeUndefined();
  });

  it('the role matrix: who may read, propose, comment, approve and merge', async () => {
    const p = (await propose('ann', withThreshold(3.4))).json();
    expect(p.status).toBe('open');
    const alfsOwn = (await propose('alf', withDescription('alf was here'), 'Description')).json();
    type Row = [string, string, (who: string) => Promise<{ status: number }>, number];
    const rows: Row[] = [];
    const table: Record<string, (who: string) => Promise<{ status: number }>> = {
      read: (who) => as[who].get('/api/proposals'),
      propose: (who) => propose(who, withDescription(`by ${who}`), `by ${who}`),
      comment: (who) => as[who].send('POST', `/api/proposals/${p.id}/comments`, { body: `${who} says hi`, node: 'good_liver' }),
      review: (who) => as[who].send('POST', `/api/proposals/${p.id}/reviews`, { verdict: 'approve', body: 'fine', revision: 1 }),
      'edit another\'s proposal': (who) => as[who].send('PUT', `/api/proposals/${alfsOwn.id}`, { revision: 1, title: `taken by ${who}` }),
      merge: (who) => as[who].send('POST', `/api/proposals/${p.id}/merge`, {}),
    };
    const expected: Record<string, Record<string, number>> = {
      read: { ann: 200, rob: 200, cha: 200, rea: 200 },
      propose: { ann: 201, rob: 403, cha: 201, rea: 403 },
      comment: { ann: 201, rob: 201, cha: 201, rea: 403 },
      // ann is the author: an author may not review, and nobody reviews their own.
      review: { ann: 403, alf: 403, rob: 201, rita: 201, cha: 201, rea: 403 },
      'edit another\'s proposal': { ann: 403, rob: 403, cha: 403, rea: 403 },
      merge: { ann: 403, rob: 403, rea: 403, cha: 200 }, // cha last: 3 approvals by then
    };
    for (const [action, who] of Object.entries(expected)) for (const [name, status] of Object.entries(who)) rows.push([action, name, table[action], status]);
    for (const [action, name, fn, status] of rows) expect((await fn(name)).status, `${name} (${MEMBERS.find((m) => m[0] === name)![1]}) ${action}`).toBe(status);
    // The matrix above is the one the server enforces.
    expect(PERMISSIONS.merge).toEqual(['chair']);
    expect(JSON.parse(disk()).expr.and[0]['>'][1]).toBe(3.4);
  });

  it('nobody approves their own proposal, not even the chair', async () => {
    const q = (await propose('cha', withDescription('the chair proposes'), 'Chair')).json();
    const r = await as.cha.send('POST', `/api/proposals/${q.id}/reviews`, { verdict: 'approve', body: 'mine', revision: 1 });
    expect(r.status).toBe(403);
    expect(r.json().error).toMatch(/own proposal/);
  });

  it('draft to merged: review diff and case impact, changes requested, revised, approved twice, merged into git with trailers, audited', async () => {
    const base = disk();
    const created = await propose('ann', withThreshold(4.5, base), 'Raise the albumin threshold to 4.5');
    expect(created.status).toBe(201);
    const id = created.json().id;
    let p = (await as.rob.get(`/api/proposals/${id}`)).json();
    expect(p.review.markdown).toMatch(/good_liver/);
    expect(p.review.bump.required).toBe('major'); // a case stops applying
    expect(p.review.impact.changed.map((c: { id: string }) => c.id)).toContain('good_liver_is_treated');
    expect(p.mergeable).toBe(false);
    // A comment on a node and clause, a request for changes: the chair cannot merge.
    expect((await as.rob.send('POST', `/api/proposals/${id}/comments`, { body: 'Which table?', node: 'liver_1', clause: 'a' })).status).toBe(201);
    expect((await as.rob.send('POST', `/api/proposals/${id}/reviews`, { verdict: 'request-changes', body: 'cite the table', revision: 1 })).status).toBe(201);
    expect((await as.rita.send('POST', `/api/proposals/${id}/reviews`, { verdict: 'approve', body: '', revision: 1 })).status).toBe(201);
    expect((await as.cha.send('POST', `/api/proposals/${id}/merge`, {})).status).toBe(409);
    // The author revises: revision 2; approvals of revision 1 no longer count.
    const revised = await as.ann.send('PUT', `/api/proposals/${id}`, { revision: 1, rationale: 'Table 1 (albumin > 4.5 g/dL in this fixture).', files: [{ path: NODE, text: withThreshold(4.5, base), version: versionOf(base) }] });
    expect(revised.status).toBe(200);
    expect(revised.json().revision).toBe(2);
    p = (await as.cha.get(`/api/proposals/${id}`)).json();
    expect(p.approvals).toEqual([]);
    expect((await as.rob.send('POST', `/api/proposals/${id}/reviews`, { verdict: 'approve', body: 'good', revision: 1 })).status).toBe(409); // stale revision
    expect((await as.rob.send('POST', `/api/proposals/${id}/reviews`, { verdict: 'approve', body: 'good', revision: 2 })).status).toBe(201);
    expect((await as.cha.send('POST', `/api/proposals/${id}/merge`, {})).status).toBe(409); // 1 of 2
    expect((await as.rita.send('POST', `/api/proposals/${id}/reviews`, { verdict: 'approve', body: 'yes', revision: 2 })).status).toBe(201);
    p = (await as.cha.get(`/api/proposals/${id}`)).json();
    expect(p).toMatchObject({ approvals: ['rita', 'rob'], mergeable: true });
    const merged = await as.cha.send('POST', `/api/proposals/${id}/merge`, {});
    expect(merged.status).toBe(200);
    const { commit } = merged.json();
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(JSON.parse(disk()).expr.and[0]['>'][1]).toBe(4.5);
    // git: the author is the proposal's author, the trailers name approvers and chair.
    const log = git(s.repo, 'log', '-1', '--format=%an <%ae>%n%B', commit);
    expect(log).toContain('ann <ann@example.org>');
    expect(log).toContain('Raise the albumin threshold to 4.5');
    expect(log).toContain('Co-authored-by: ann <ann@example.org>');
    expect(log).toContain('Approved-by: rita <rita@users.noreply.guideline>');
    expect(log).toContain('Approved-by: rob <rob@users.noreply.guideline>');
    expect(log).toContain('Merged-by: cha <cha@users.noreply.guideline>');
    expect(log).toContain(`Proposal: ${id}`);
    expect(git(s.repo, 'show', '--name-only', '--format=', commit)).toBe(`guideline/mini/${NODE}`);
    expect(git(s.repo, 'status', '--porcelain', '--', 'guideline/mini/nodes')).toBe('');
    // Merged once; not again.
    expect((await as.cha.send('POST', `/api/proposals/${id}/merge`, {})).status).toBe(409);
    // The audit trail of the node, in order, and its export.
    const trail = (await as.rea.get(`/api/audit?node=good_liver&proposal=${id}`)).json().entries;
    expect(trail.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toEqual(
      ['ann proposed', 'rob requested-changes', 'rita approved', 'ann revised', 'rob approved', 'rita approved', 'cha merged']);
    expect((await as.rea.get(`/api/audit?node=liver_1&proposal=${id}`)).json().entries.map((e: { action: string; detail: { clause: string } }) => [e.action, e.detail.clause])).toEqual([['commented', 'a']]);
    const exported = await as.rea.get('/api/audit/export');
    expect(exported.headers['content-disposition']).toMatch(/attachment/);
    const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((e) => e.action === 'merged' && e.proposal === id && e.detail.commit === commit)).toBe(true);
    expect(lines.map((e) => e.seq)).toEqual([...lines.keys()].map((i) => i + 1));
  });

  it('the audit trail is append-only in the database itself', async () => {
    await expect(s.db.run("UPDATE audit SET actor = 'mallory'")).rejects.toThrow(/append-only/);
    await expect(s.db.run('DELETE FROM audit')).rejects.toThrow(/append-only/);
    expect((await s.db.all('SELECT seq FROM audit')).length).toBeGreaterThan(5);
  });

  it('two proposals on one node: the first merges, the second is refused (409), kept, and merges after its author updates it', async () => {
    const base = disk();
    const a = (await propose('ann', withDescription('first', base), 'First', base)).json();
    const b = (await propose('alf', withDescription('second', base), 'Second', base)).json();
    for (const id of [a.id, b.id]) for (const r of ['rob', 'rita']) expect((await as[r].send('POST', `/api/proposals/${id}/reviews`, { verdict: 'approve', body: '', revision: 1 })).status).toBe(201);
    expect((await as.cha.send('POST', `/api/proposals/${a.id}/merge`, {})).status).toBe(200);
    const refused = await as.cha.send('POST', `/api/proposals/${b.id}/merge`, {});
    expect(refused.status).toBe(409);
    expect(refused.json().error).toMatch(/changed since the proposal was written/);
    expect(JSON.parse(disk()).description).toBe('first');
    const kept = (await as.alf.get(`/api/proposals/${b.id}`)).json();
    expect(kept.review.stale).toEqual([NODE]);
    expect(JSON.parse(kept.files[0].text).description).toBe('second');
    // Two tabs of its author update it at once: one wins, the other is told (409).
    const now = disk();
    const edits = await Promise.all(['second (rebased)', 'second (other tab)'].map((d) => as.alf.send('PUT', `/api/proposals/${b.id}`, { revision: 1, files: [{ path: NODE, text: withDescription(d, now), version: versionOf(now) }] })));
    expect(edits.map((e) => e.status).sort()).toEqual([200, 409]);
    for (const r of ['rob', 'rita']) expect((await as[r].send('POST', `/api/proposals/${b.id}/reviews`, { verdict: 'approve', body: '', revision: 2 })).status).toBe(201);
    expect((await as.cha.send('POST', `/api/proposals/${b.id}/merge`, {})).status).toBe(200);
    expect(JSON.parse(disk()).description).toMatch(/^second/);
  });

  it('a proposal with schema or checker errors is refused (422) and not stored; a stale base is 409', async () => {
    const before = (await as.ann.get('/api/proposals')).json().proposals.length;
    const bad = JSON.parse(disk());
    bad.expr.and[0]['>'][0] = { var: 'albumine' };
    expect((await propose('ann', JSON.stringify(bad))).status).toBe(422);
    expect((await as.ann.send('POST', '/api/proposals', { title: 't', rationale: 'r', files: [{ path: NODE, text: withDescription('x'), version: versionOf('old') }] })).status).toBe(409);
    expect((await as.ann.send('POST', '/api/proposals', { title: 't', rationale: 'r', files: [{ path: '../../x.json', text: '{}', version: null }] })).status).toBe(403);
    expect((await as.ann.send('POST', '/api/proposals', { title: '', rationale: 'r', files: [] })).status).toBe(400);
    expect((await as.ann.get('/api/proposals/..%2Fx')).status).toBe(404);
    expect((await as.ann.get('/api/proposals')).json().proposals.length).toBe(before);
  });

  it('a non-loopback bind is refused while no account exists', async () => {
    const empty = await openCommittee({ db: await openDb('sqlite::memory:'), approvals: 1 });
    await expect(startServer({ guidelineDir: join(s.tmp, 'nowhere'), staticDir: s.stat, host: '0.0.0.0', committee: empty })).rejects.toThrow();
    await expect(startServer({ guidelineDir: s.dir, staticDir: s.stat, host: '0.0.0.0', committee: empty })).rejects.toThrow(/no account exists/);
    await empty.close();
  });
});
