// The committee's workflow over the guideline folder. A proposal is a set of draft file changes
// with a title and a rationale, owned by its author; members comment per node and per clause;
// reviewers approve or request changes on its current revision; the chair merges once the
// configured number of approvals (from others than the author) is reached and no reviewer's latest
// word is "request changes". Editing a proposal starts a new revision: earlier approvals no longer
// count. Merging writes the files under the folder's lock (one writer, atomically) and commits
// them to git; every step is recorded in the append-only audit trail, one row per node concerned.
//
// Crash safety of a merge: (1) the proposal is marked `merging` in the database, (2) the files are
// written (temporary file, fsync, rename), (3) git commit with a `Proposal: <id>` trailer, (4) the
// proposal is marked `merged` and only then is the merge acknowledged. A server killed anywhere in
// between finishes the merge when it starts again (recover()): every file is written again from the
// database (idempotent) and the commit is made unless one with the trailer exists.
import { randomBytes } from 'node:crypto';
import { compare, formatDocument, parseSource } from '../../authoring/index.ts';
import { diffGuidelines, formatDiff } from '../../review/index.ts';
import { editablePath, parseDocument, versionOf, type FolderAccess } from '../server.ts';
import { may, type Permission, type Role } from './accounts.ts';
import type { Db } from './db.ts';
import { HttpError } from './folder.ts';
import { clearStaleIndexLock, commitMerge, type Person } from './git-commit.ts';

export interface Actor { user: string; role: Role | string }
export interface FileChange { path: string; text: string; version: string | null }

interface ProposalRow {
  id: string; title: string; rationale: string; author: string; status: string; revision: number;
  created_at: string; updated_at: string; merged_at: string | null; merged_by: string | null; merge_commit: string | null;
}
interface FileRow { path: string; base_version: string | null; text: string }
interface ReviewRow { id: string; reviewer: string; revision: number; verdict: 'approve' | 'request-changes'; body: string; created_at: string }

export interface AuditEntry { seq: number; at: string; actor: string; action: string; proposal: string | null; node: string | null; detail: unknown }

const now = () => new Date().toISOString();
const newId = () => `p-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
/** The node (or input, or case) id a file holds: its name without .json. */
export const nodeOfPath = (path: string) => path.slice(path.lastIndexOf('/') + 1, -'.json'.length);

function need(actor: Actor, p: Permission): void {
  if (!may(actor.role, p)) throw new HttpError(403, `refused: a ${actor.role} may not ${p === 'review' ? 'approve or request changes' : p}`);
}
function text(v: unknown, name: string, max: number, required = true): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || (required && !v.trim())) throw new HttpError(400, `"${name}" must be a non-empty text`);
  if (v.length > max) throw new HttpError(413, `"${name}" is longer than ${max} characters`);
  return v;
}

export class Committee {
  constructor(public db: Db, public folder: FolderAccess, public approvalsNeeded: number) {}

  private async audit(actor: string, action: string, proposal: string | null, nodes: (string | null)[], detail: unknown): Promise<void> {
    const at = now();
    for (const node of nodes.length ? nodes : [null]) {
      const last = await this.db.get<{ m: number | null }>('SELECT MAX(seq) AS m FROM audit');
      await this.db.run('INSERT INTO audit (seq, at, actor, action, proposal_id, node, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [Number(last?.m ?? 0) + 1, at, actor, action, proposal, node, JSON.stringify(detail)]);
    }
  }

  /** Check and normalise a set of file changes against the folder as it is now. */
  private prepare(files: unknown): FileRow[] {
    if (!Array.isArray(files) || !files.length) throw new HttpError(400, '"files" must list at least one change: [{"path", "text", "version"}]');
    if (files.length > 200) throw new HttpError(413, 'a proposal changes at most 200 files');
    const seen = new Set<string>();
    const rows: FileRow[] = [];
    for (const f of files as FileChange[]) {
      if (typeof f !== 'object' || f === null || typeof f.path !== 'string' || typeof f.text !== 'string') throw new HttpError(400, 'each change is {"path": "...", "text": "...", "version": "<sha256>" | null}');
      if (!editablePath(f.path)) throw new HttpError(403, `refused: "${f.path}" is not an input, node or case file inside the guideline folder`);
      if (seen.has(f.path)) throw new HttpError(400, `"${f.path}" is listed twice`);
      seen.add(f.path);
      if (f.version !== null && typeof f.version !== 'string') throw new HttpError(400, '"version" is the version the change is based on, or null for a new file');
      const parsed = parseDocument(f.path, f.text);
      if (!('doc' in parsed)) throw Object.assign(new HttpError(parsed.status, (parsed.body as { error: string }).error), { body: parsed.body });
      const current = this.folder.read(f.path);
      const currentVersion = current === undefined ? null : versionOf(current);
      if (currentVersion !== f.version) {
        throw Object.assign(new HttpError(409, `${f.path} changed since you opened it: reload it and make your change again`), { body: { error: `${f.path} changed since you opened it`, path: f.path, version: currentVersion, text: current ?? null } });
      }
      rows.push({ path: f.path, base_version: f.version, text: formatDocument(parsed.doc) });
    }
    const { fresh } = this.folder.validate(rows.map((r) => ({ path: r.path, text: r.text })));
    if (fresh.length) throw Object.assign(new HttpError(422, `the change has ${fresh.length} problem(s)`), { body: { error: `the change has ${fresh.length} problem(s)`, findings: fresh } });
    return rows;
  }

  async create(actor: Actor, body: { title?: unknown; rationale?: unknown; files?: unknown }): Promise<ProposalRow> {
    need(actor, 'propose');
    const title = text(body.title, 'title', 200)!;
    const rationale = text(body.rationale, 'rationale', 20_000)!;
    const files = this.prepare(body.files);
    const id = newId();
    const at = now();
    await this.db.transaction(async () => {
      await this.db.run('INSERT INTO proposals (id, title, rationale, author, status, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [id, title, rationale, actor.user, 'open', 1, at, at]);
      for (const f of files) await this.db.run('INSERT INTO proposal_files (proposal_id, path, base_version, text) VALUES (?, ?, ?, ?)', [id, f.path, f.base_version, f.text]);
      await this.audit(actor.user, 'proposed', id, files.map((f) => nodeOfPath(f.path)), { title, rationale, revision: 1, files: files.map((f) => f.path) });
    });
    return (await this.row(id))!;
  }

  private async row(id: string): Promise<ProposalRow | undefined> {
    const r = await this.db.get<ProposalRow>('SELECT * FROM proposals WHERE id = ?', [id]);
    return r && { ...r, revision: Number(r.revision) };
  }
  private async must(id: string): Promise<ProposalRow> {
    const r = typeof id === 'string' && /^[a-z0-9-]{1,64}$/.test(id) ? await this.row(id) : undefined;
    if (!r) throw new HttpError(404, 'no such proposal');
    return r;
  }
  private files(id: string): Promise<FileRow[]> {
    return this.db.all<FileRow>('SELECT path, base_version, text FROM proposal_files WHERE proposal_id = ? ORDER BY path', [id]);
  }
  private async reviews(id: string): Promise<ReviewRow[]> {
    return (await this.db.all<ReviewRow>('SELECT id, reviewer, revision, verdict, body, created_at FROM reviews WHERE proposal_id = ? ORDER BY created_at, id', [id])).map((r) => ({ ...r, revision: Number(r.revision) }));
  }

  /** Approvals that count now: the latest word of each reviewer other than the author, on the current revision. */
  async standing(p: ProposalRow): Promise<{ approvals: string[]; changesRequested: string[] }> {
    const latest = new Map<string, ReviewRow>();
    for (const r of await this.reviews(p.id)) if (r.revision === p.revision && r.reviewer !== p.author) latest.set(r.reviewer, r);
    const list = [...latest.values()];
    return { approvals: list.filter((r) => r.verdict === 'approve').map((r) => r.reviewer).sort(), changesRequested: list.filter((r) => r.verdict === 'request-changes').map((r) => r.reviewer).sort() };
  }

  async update(actor: Actor, id: string, body: { revision?: unknown; title?: unknown; rationale?: unknown; files?: unknown }): Promise<ProposalRow> {
    const p = await this.must(id);
    need(actor, 'propose');
    if (p.author !== actor.user) throw new HttpError(403, 'refused: only its author edits a proposal');
    if (p.status !== 'open') throw new HttpError(409, `the proposal is ${p.status}`);
    if (body.revision !== p.revision) throw Object.assign(new HttpError(409, `the proposal is at revision ${p.revision}; you edited revision ${String(body.revision)}: reload it`), { body: { error: 'the proposal changed since you opened it', revision: p.revision } });
    const title = text(body.title, 'title', 200, false) ?? p.title;
    const rationale = text(body.rationale, 'rationale', 20_000, false) ?? p.rationale;
    const files = body.files === undefined ? undefined : this.prepare(body.files);
    await this.db.transaction(async () => {
      const changed = await this.db.run('UPDATE proposals SET title = ?, rationale = ?, revision = ?, updated_at = ? WHERE id = ? AND revision = ?', [title, rationale, p.revision + 1, now(), id, p.revision]);
      if (changed !== 1) throw new HttpError(409, 'the proposal changed since you opened it: reload it');
      if (files) {
        await this.db.run('DELETE FROM proposal_files WHERE proposal_id = ?', [id]);
        for (const f of files) await this.db.run('INSERT INTO proposal_files (proposal_id, path, base_version, text) VALUES (?, ?, ?, ?)', [id, f.path, f.base_version, f.text]);
      }
      const paths = files?.map((f) => f.path) ?? (await this.files(id)).map((f) => f.path);
      await this.audit(actor.user, 'revised', id, paths.map(nodeOfPath), { revision: p.revision + 1, title, rationale, files: paths });
    });
    return (await this.row(id))!;
  }

  async list(): Promise<unknown[]> {
    const rows = await this.db.all<ProposalRow>('SELECT * FROM proposals ORDER BY created_at DESC, id');
    const out = [];
    for (const r of rows) {
      const p = { ...r, revision: Number(r.revision) };
      const s = await this.standing(p);
      out.push({ id: p.id, title: p.title, author: p.author, status: p.status, revision: p.revision, created_at: p.created_at, updated_at: p.updated_at, approvals: s.approvals, changesRequested: s.changesRequested, files: (await this.files(p.id)).map((f) => f.path) });
    }
    return out;
  }

  /** The proposal with its files, reviews, comments, review diff (Markdown and JSON), version verdict and case impact. */
  async get(id: string): Promise<Record<string, unknown>> {
    const p = await this.must(id);
    const files = await this.files(id);
    const reviews = await this.reviews(id);
    const comments = await this.db.all('SELECT id, author, node, clause, body, created_at FROM comments WHERE proposal_id = ? ORDER BY created_at, id', [id]);
    const standing = await this.standing(p);
    let review: Record<string, unknown> | undefined;
    if (p.status === 'open') {
      const current = this.folder.list().files;
      const paths = new Set(files.map((f) => f.path));
      const base = parseSource(current).guideline;
      const head = parseSource(current.filter((f) => !paths.has(f.path)).concat(files.map((f) => ({ path: f.path, text: f.text })))).guideline;
      const outcomes = compare(base, head);
      const d = diffGuidelines(base, head, { outcomes });
      review = {
        markdown: formatDiff(d, 'markdown'),
        bump: d.bump,
        entities: d.entities.map((e) => ({ id: e.id, status: e.status })),
        impact: { casesCompared: outcomes.casesCompared, changed: outcomes.changed },
        stale: files.filter((f) => { const t = this.folder.read(f.path); return (t === undefined ? null : versionOf(t)) !== f.base_version; }).map((f) => f.path),
      };
    }
    return {
      ...p,
      files,
      reviews,
      comments,
      approvals: standing.approvals,
      changesRequested: standing.changesRequested,
      approvalsNeeded: this.approvalsNeeded,
      mergeable: p.status === 'open' && standing.approvals.length >= this.approvalsNeeded && !standing.changesRequested.length,
      review,
    };
  }

  async comment(actor: Actor, id: string, body: { body?: unknown; node?: unknown; clause?: unknown }): Promise<unknown> {
    const p = await this.must(id);
    need(actor, 'comment');
    const b = text(body.body, 'body', 20_000)!;
    const node = body.node === undefined || body.node === null ? null : body.node;
    const clause = body.clause === undefined || body.clause === null ? null : body.clause;
    if (node !== null && (typeof node !== 'string' || !/^[a-z0-9_]{1,100}$/.test(node))) throw new HttpError(400, '"node" is a node id');
    if (clause !== null && (typeof clause !== 'string' || !/^[a-z0-9_.-]{1,50}$/.test(clause) || node === null)) throw new HttpError(400, '"clause" is a clause id of the given node');
    const c = { id: `c-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, author: actor.user, node, clause, body: b, created_at: now() };
    await this.db.transaction(async () => {
      await this.db.run('INSERT INTO comments (id, proposal_id, author, node, clause, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [c.id, p.id, c.author, c.node, c.clause, c.body, c.created_at]);
      const nodes = node ? [node] : (await this.files(id)).map((f) => nodeOfPath(f.path));
      await this.audit(actor.user, 'commented', id, nodes, { clause, body: b });
    });
    return c;
  }

  async review(actor: Actor, id: string, body: { verdict?: unknown; body?: unknown; revision?: unknown }): Promise<unknown> {
    const p = await this.must(id);
    need(actor, 'review');
    if (p.author === actor.user) throw new HttpError(403, 'refused: nobody approves or reviews their own proposal');
    if (p.status !== 'open') throw new HttpError(409, `the proposal is ${p.status}`);
    if (body.verdict !== 'approve' && body.verdict !== 'request-changes') throw new HttpError(400, '"verdict" is "approve" or "request-changes"');
    if (body.revision !== p.revision) throw new HttpError(409, `the proposal is at revision ${p.revision}: review what it says now`);
    const b = text(body.body ?? '', 'body', 20_000, false) ?? '';
    if (body.verdict === 'request-changes' && !b.trim()) throw new HttpError(400, 'say what should change ("body")');
    const r = { id: `r-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, reviewer: actor.user, revision: p.revision, verdict: body.verdict, body: b, created_at: now() };
    await this.db.transaction(async () => {
      await this.db.run('INSERT INTO reviews (id, proposal_id, reviewer, revision, verdict, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [r.id, id, r.reviewer, r.revision, r.verdict, r.body, r.created_at]);
      await this.audit(actor.user, body.verdict === 'approve' ? 'approved' : 'requested-changes', id, (await this.files(id)).map((f) => nodeOfPath(f.path)), { revision: p.revision, body: b });
    });
    return r;
  }

  async withdraw(actor: Actor, id: string): Promise<void> {
    const p = await this.must(id);
    if (p.author !== actor.user && !may(actor.role, 'merge')) throw new HttpError(403, 'refused: only the author or the chair withdraws a proposal');
    if (p.status !== 'open') throw new HttpError(409, `the proposal is ${p.status}`);
    await this.db.transaction(async () => {
      await this.db.run("UPDATE proposals SET status = 'withdrawn', updated_at = ? WHERE id = ? AND status = 'open'", [now(), id]);
      await this.audit(actor.user, 'withdrawn', id, (await this.files(id)).map((f) => nodeOfPath(f.path)), {});
    });
  }

  private async person(name: string): Promise<Person> {
    const u = await this.db.get<{ name: string; email: string | null }>('SELECT name, email FROM users WHERE name = ?', [name]);
    return { name, email: u?.email ?? null };
  }

  async merge(actor: Actor, id: string): Promise<{ commit: string | null; files: string[] }> {
    need(actor, 'merge');
    return this.folder.exclusive(async () => {
      const p = await this.must(id);
      if (p.status !== 'open') throw new HttpError(409, `the proposal is ${p.status}`);
      const standing = await this.standing(p);
      if (standing.changesRequested.length) throw new HttpError(409, `changes were requested by ${standing.changesRequested.join(', ')}`);
      if (standing.approvals.length < this.approvalsNeeded) throw new HttpError(409, `${standing.approvals.length} approval(s) of ${this.approvalsNeeded} needed`);
      const files = await this.files(id);
      for (const f of files) {
        const t = this.folder.read(f.path);
        if ((t === undefined ? null : versionOf(t)) !== f.base_version) throw new HttpError(409, `${f.path} changed since the proposal was written (another merge): its author must update the proposal`);
      }
      const { fresh } = this.folder.validate(files.map((f) => ({ path: f.path, text: f.text })));
      if (fresh.length) throw Object.assign(new HttpError(422, 'the merged guideline would have problems'), { body: { error: 'the merged guideline would have problems', findings: fresh } });
      const changed = await this.db.transaction(async () => this.db.run("UPDATE proposals SET status = 'merging', merged_by = ?, updated_at = ? WHERE id = ? AND status = 'open' AND revision = ?", [actor.user, now(), id, p.revision]));
      if (changed !== 1) throw new HttpError(409, 'the proposal changed meanwhile: reload it');
      return this.finish(id, false);
    });
  }

  /** Steps 2-4 of a merge (also what recovery runs). Call inside folder.exclusive. */
  private async finish(id: string, recovering: boolean): Promise<{ commit: string | null; files: string[] }> {
    const p = (await this.row(id))!;
    const files = await this.files(id);
    for (const f of files) if (this.folder.read(f.path) !== f.text) await this.folder.write(f.path, f.text);
    const standing = await this.standing(p);
    const commit = commitMerge(this.folder.dir, {
      proposal: id, title: p.title, rationale: p.rationale,
      author: await this.person(p.author),
      approvers: await Promise.all(standing.approvals.map((a) => this.person(a))),
      mergedBy: await this.person(p.merged_by ?? 'unknown'),
      paths: files.map((f) => f.path),
    }, recovering) ?? null;
    await this.db.transaction(async () => {
      await this.db.run("UPDATE proposals SET status = 'merged', merged_at = ?, merge_commit = ? WHERE id = ? AND status = 'merging'", [now(), commit, id]);
      await this.audit(p.merged_by ?? 'unknown', 'merged', id, files.map((f) => nodeOfPath(f.path)), { revision: p.revision, approvals: standing.approvals, commit, files: files.map((f) => f.path) });
    });
    return { commit, files: files.map((f) => f.path) };
  }

  /** Finish every merge a killed server left half-way. */
  async recover(tookOverStaleLock: boolean): Promise<string[]> {
    const pending = await this.db.all<{ id: string }>("SELECT id FROM proposals WHERE status = 'merging' ORDER BY updated_at, id");
    if (!pending.length) return [];
    if (tookOverStaleLock) clearStaleIndexLock(this.folder.dir);
    return this.folder.exclusive(async () => {
      for (const { id } of pending) await this.finish(id, true);
      return pending.map((p) => p.id);
    });
  }

  async auditTrail(filter: { node?: string | null; proposal?: string | null } = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.node) { where.push('node = ?'); params.push(filter.node); }
    if (filter.proposal) { where.push('proposal_id = ?'); params.push(filter.proposal); }
    const rows = await this.db.all<{ seq: number; at: string; actor: string; action: string; proposal_id: string | null; node: string | null; detail: string }>(
      `SELECT seq, at, actor, action, proposal_id, node, detail FROM audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`, params);
    return rows.map((r) => ({ seq: Number(r.seq), at: r.at, actor: r.actor, action: r.action, proposal: r.proposal_id, node: r.node, detail: JSON.parse(r.detail) }));
  }
}
