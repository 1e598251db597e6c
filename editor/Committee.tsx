// The committee's views (shared server only): logging in, the list of proposals, one proposal with
// its review diff, case impact, reviews and comments, and the actions the member's role allows
// (approve, request changes, comment, merge). A new proposal is made from this browser's drafts.
import { useCallback, useEffect, useState } from 'react';
import { getSession, send, type Session } from './api.ts';
import type { Draft } from './drafts.ts';

export function Login({ onDone }: { onDone: (s: Session) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    const r = await send('/api/login', 'POST', { name, password });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { setError(body.error ?? `the server answered ${r.status}`); return; }
    onDone(await getSession(true));
  };
  return (
    <form className="doc login" onSubmit={submit} data-testid="login">
      <h2>Log in to the committee's server</h2>
      <label>Name <input name="name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} /></label>
      <label>Password <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      <button className="primary" type="submit">Log in</button>
      {error ? <div className="banner error" data-testid="login-error">{error}</div> : null}
    </form>
  );
}

const ROLE_MAY: Record<string, string[]> = {
  propose: ['author', 'chair'], comment: ['author', 'reviewer', 'chair'], review: ['reviewer', 'chair'], merge: ['chair'],
};
const may = (s: Session, what: string) => !!s.role && ROLE_MAY[what].includes(s.role);

interface Summary { id: string; title: string; author: string; status: string; revision: number; approvals: string[]; changesRequested: string[]; files: string[] }

export function ProposalsView({ session, route, drafts, onOpen, onProposed, onMerged }: {
  session: Session; route: string; drafts: Map<string, Draft>;
  onOpen: (route: string) => void; onProposed: (paths: string[]) => void; onMerged: () => void;
}) {
  const id = route.startsWith('proposals/') ? route.slice('proposals/'.length) : '';
  return id && id !== 'new'
    ? <ProposalView key={id} id={id} session={session} onOpen={onOpen} onMerged={onMerged} />
    : <ProposalList session={session} drafts={drafts} onOpen={onOpen} onProposed={onProposed} />;
}

function ProposalList({ session, drafts, onOpen, onProposed }: { session: Session; drafts: Map<string, Draft>; onOpen: (r: string) => void; onProposed: (paths: string[]) => void }) {
  const [list, setList] = useState<Summary[] | null>(null);
  const [title, setTitle] = useState('');
  const [rationale, setRationale] = useState('');
  const [error, setError] = useState('');
  useEffect(() => { fetch('/api/proposals', { credentials: 'same-origin' }).then((r) => r.json()).then((b) => setList(b.proposals ?? [])); }, []);
  const propose = async () => {
    setError('');
    const files = [...drafts].map(([path, d]) => ({ path, text: d.text, version: d.baseVersion }));
    const r = await send('/api/proposals', 'POST', { title, rationale, files });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { setError(`${body.error ?? r.status}${body.findings ? `: ${body.findings.map((f: { message: string }) => f.message).join('; ')}` : ''}`); return; }
    onProposed(files.map((f) => f.path));
    onOpen(`proposals/${body.id}`);
  };
  return (
    <div className="doc" data-testid="proposals">
      <div className="doc-header"><div className="doc-title"><h2>Proposals</h2><div className="muted small">Changes to the guideline go through the committee: proposed, reviewed, approved, merged by the chair.</div></div></div>
      {may(session, 'propose') ? (
        <div className="banner" data-testid="new-proposal">
          <b>New proposal from your {drafts.size} draft{drafts.size === 1 ? '' : 's'}</b>{drafts.size ? <span className="muted small"> ({[...drafts.keys()].join(', ')})</span> : <span className="muted small"> — edit a node first; your drafts become the proposal.</span>}
          <div className="form-row"><input placeholder="Title" value={title} onChange={(e) => setTitle(e.target.value)} data-testid="proposal-title" /></div>
          <div className="form-row"><textarea placeholder="Rationale: why, with the guideline's text" value={rationale} onChange={(e) => setRationale(e.target.value)} data-testid="proposal-rationale" /></div>
          <button className="primary" disabled={!drafts.size || !title.trim() || !rationale.trim()} onClick={propose} data-testid="propose">Propose</button>
          {error ? <div className="banner error">{error}</div> : null}
        </div>
      ) : null}
      {list === null ? <p className="muted">Loading…</p> : list.length === 0 ? <p className="muted">No proposal yet.</p> : (
        <table className="proposals"><thead><tr><th>Title</th><th>Author</th><th>Status</th><th>Approvals</th><th>Files</th></tr></thead>
          <tbody>{list.map((p) => (
            <tr key={p.id} data-testid="proposal-row"><td><a href={`#/proposals/${p.id}`} onClick={(e) => { e.preventDefault(); onOpen(`proposals/${p.id}`); }}>{p.title}</a></td>
              <td>{p.author}</td><td><span className={`state ${p.status === 'merged' ? 'saved' : 'draft'}`}>{p.status}</span></td><td>{p.approvals.join(', ') || '—'}{p.changesRequested.length ? ` (changes requested by ${p.changesRequested.join(', ')})` : ''}</td><td>{p.files.join(', ')}</td></tr>
          ))}</tbody></table>
      )}
    </div>
  );
}

interface Detail {
  id: string; title: string; rationale: string; author: string; status: string; revision: number; merge_commit: string | null;
  files: { path: string }[]; reviews: { reviewer: string; verdict: string; body: string; revision: number }[];
  comments: { author: string; node: string | null; clause: string | null; body: string }[];
  approvals: string[]; changesRequested: string[]; approvalsNeeded: number; mergeable: boolean;
  review?: { markdown: string; bump: { required: string }; impact: { changed: { id: string }[] }; stale: string[] };
}

function ProposalView({ id, session, onOpen, onMerged }: { id: string; session: Session; onOpen: (r: string) => void; onMerged: () => void }) {
  const [p, setP] = useState<Detail | null>(null);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [node, setNode] = useState('');
  const load = useCallback(async () => {
    const r = await fetch(`/api/proposals/${encodeURIComponent(id)}`, { credentials: 'same-origin' });
    const body = await r.json();
    if (!r.ok) setError(body.error ?? String(r.status)); else setP(body);
  }, [id]);
  useEffect(() => { load(); }, [load]);
  const act = async (path: string, body: unknown) => {
    setError('');
    const r = await send(`/api/proposals/${encodeURIComponent(id)}${path}`, 'POST', body);
    const b = await r.json().catch(() => ({}));
    if (!r.ok) setError(b.error ?? String(r.status));
    else { setNote(''); if (path === '/merge') onMerged(); }
    await load();
  };
  if (!p) return <div className="doc">{error ? <div className="banner error">{error}</div> : <p className="muted">Loading…</p>}</div>;
  const own = p.author === session.user;
  return (
    <div className="doc" data-testid="proposal" data-status={p.status}>
      <div className="doc-header">
        <div className="doc-title"><h2>{p.title}</h2><div className="muted small">by {p.author} · revision {p.revision} · <span data-testid="proposal-status">{p.status}</span>{p.merge_commit ? <> · commit <code>{p.merge_commit.slice(0, 10)}</code></> : null}</div></div>
        <div className="doc-actions"><button onClick={() => onOpen('proposals')}>All proposals</button></div>
      </div>
      {error ? <div className="banner error" data-testid="proposal-error">{error}</div> : null}
      <p>{p.rationale}</p>
      <div className="muted small">Approvals: <span data-testid="approvals">{p.approvals.join(', ') || 'none'}</span> of {p.approvalsNeeded} needed{p.changesRequested.length ? ` · changes requested by ${p.changesRequested.join(', ')}` : ''}</div>
      {p.review ? (
        <>
          <div className="muted small">Requires a <b>{p.review.bump.required}</b> version bump · {p.review.impact.changed.length} regression case(s) move{p.review.stale.length ? ` · changed on disk since: ${p.review.stale.join(', ')}` : ''}</div>
          <pre className="review-markdown" data-testid="proposal-diff">{p.review.markdown}</pre>
        </>
      ) : null}
      {p.status === 'open' ? (
        <div className="banner">
          <div className="form-row"><textarea placeholder="Comment, or what should change" value={note} onChange={(e) => setNote(e.target.value)} data-testid="review-note" /></div>
          <div className="form-row"><input placeholder="About node (optional id)" value={node} onChange={(e) => setNode(e.target.value)} /></div>
          <div className="buttons">
            {may(session, 'comment') ? <button disabled={!note.trim()} onClick={() => act('/comments', { body: note, node: node || undefined })} data-testid="comment">Comment</button> : null}
            {may(session, 'review') && !own ? <button className="primary" onClick={() => act('/reviews', { verdict: 'approve', body: note, revision: p.revision })} data-testid="approve">Approve</button> : null}
            {may(session, 'review') && !own ? <button disabled={!note.trim()} onClick={() => act('/reviews', { verdict: 'request-changes', body: note, revision: p.revision })} data-testid="request-changes">Request changes</button> : null}
            {may(session, 'merge') ? <button className="primary" disabled={!p.mergeable} onClick={() => act('/merge', {})} data-testid="merge">Merge</button> : null}
          </div>
        </div>
      ) : null}
      <h3>Reviews and comments</h3>
      <ul data-testid="reviews">
        {p.reviews.map((r, i) => <li key={`r${i}`}><b>{r.reviewer}</b> {r.verdict === 'approve' ? 'approved' : 'requested changes'} (revision {r.revision}){r.body ? `: ${r.body}` : ''}</li>)}
        {p.comments.map((c, i) => <li key={`c${i}`}><b>{c.author}</b>{c.node ? ` on ${c.node}${c.clause ? `.${c.clause}` : ''}` : ''}: {c.body}</li>)}
      </ul>
    </div>
  );
}
