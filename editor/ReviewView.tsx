// The Review view: the reviewer's diff (the same as `npx guideline diff`) between the guideline as
// saved on disk and the guideline with every unsaved draft applied, in words a clinician reads:
// each changed item and what kind of change it is, the regression cases whose outcome moves, and
// the version bump the change requires. Computed off the main thread (review.worker.ts).
import { useEffect, useRef, useState } from 'react';
import { suggestVersion, type EntityDiff, type FieldChange, type GuidelineDiff } from '../engine/review/index.ts';
import { type Guideline, type JsonValue } from '../engine/runtime/index.ts';
import type { Draft } from './drafts.ts';
import { loadRevision, loadRevisions, type Revisions } from './api.ts';
import type { SavedFile } from './model.ts';
import { outcomeLabel, showValue, STATUS_WORDS } from './model.ts';
import { Grade } from './Readable.tsx';
import { GradeLines } from './ImpactPanel.tsx';
import type { ReviewIn, ReviewOut } from './review.worker.ts';
import { VersionPanel } from './VersionPanel.tsx';
import { humanize } from './words.ts';

const KIND_WORDS: Record<string, string> = {
  manifest: 'Guideline manifest', input: 'Patient fact', recommendation: 'Recommendation', 'practice-point': 'Practice point',
  definition: 'Derived value', table: 'Reference table',
};
const DRAFTS = 'drafts';
const REVISION_WORDS: Record<string, string> = { 'last-commit': 'the last commit', 'last-tag': 'the last tag' };
const STATUS_TEXT: Record<EntityDiff['status'], string> = { added: 'New', removed: 'Removed', changed: 'Changed' };
const BUMP_WORDS: Record<string, string> = {
  none: 'No new version needed',
  patch: 'Patch: wording, sources or notes only; every answer stays the same',
  minor: 'Minor: something was added or eligibility widened; nothing was taken away',
  major: 'Major: an answer a user relied on changes (narrowed eligibility, a grade, a removed item, a changed value)',
};

function ChangeItem({ c, status }: { c: FieldChange; status: EntityDiff['status'] }) {
  const clause = c.clause !== undefined ? ` (clause ${c.clause})` : '';
  const beforeAfter = (before?: string, after?: string) => (
    <div className="rv-ba">
      {before !== undefined ? <div className="rv-before"><span className="rv-tag">Before</span>{before}</div> : null}
      {after !== undefined ? <div className="rv-after"><span className="rv-tag">After</span>{after}</div> : null}
    </div>
  );
  let head: React.ReactNode;
  let body: React.ReactNode = null;
  switch (c.category) {
    case 'grade': {
      const word = c.direction === 'up' ? 'upgrade' : c.direction === 'down' ? 'downgrade' : c.direction === 'mixed' ? 'evidence and strength move in opposite directions' : c.direction === 'added' ? 'grade added' : c.direction === 'removed' ? 'grade removed' : 'changed';
      head = <>Grade{clause}: <Grade grade={(c.before as string | null) ?? null} /> → <Grade grade={(c.after as string | null) ?? null} /> <span className={`rv-dir ${c.direction === 'down' ? 'down' : c.direction === 'up' ? 'up' : ''}`}>{word}</span></>;
      break;
    }
    case 'threshold':
      head = <>Threshold{clause}: <b>{String(c.before)}</b> → <b>{String(c.after)}</b> <span className="rv-dir">{c.direction === 'up' ? 'raised' : 'lowered'}</span></>;
      body = beforeAfter(c.beforeText, c.afterText);
      break;
    case 'logic':
      head = status === 'changed' ? <>Condition{clause} changed</> : <>{c.summary}</>;
      if (status === 'changed') body = beforeAfter(c.beforeText, c.afterText);
      break;
    case 'statement':
      if (status === 'changed') {
        head = c.clause !== undefined ? <>Text of clause {c.clause} changed</> : <>Statement changed</>;
        body = beforeAfter(c.beforeText, c.afterText);
      } else head = <>{status === 'added' ? 'Statement' : 'Statement was'}: {c.afterText ?? c.beforeText}</>;
      break;
    case 'citation':
      head = <>Source {c.direction === 'added' ? 'added' : 'removed'}: <span className={c.direction === 'added' ? 'rv-after-inline' : 'rv-before-inline'}>{c.afterText ?? c.beforeText}</span></>;
      break;
    case 'interpretation':
      head = <>Interpretation note {c.direction === 'added' ? 'added' : 'removed'}: <span className={c.direction === 'added' ? 'rv-after-inline' : 'rv-before-inline'}>{c.afterText ?? c.beforeText}</span></>;
      break;
    case 'clause':
      head = <>{c.summary.charAt(0).toUpperCase() + c.summary.slice(1)}</>;
      body = c.afterText !== undefined || c.beforeText !== undefined ? <div className="rv-ba"><div className={c.direction === 'added' ? 'rv-after' : 'rv-before'}><span className="rv-tag">When</span>{c.afterText ?? c.beforeText}</div></div> : null;
      break;
    case 'wording':
      head = <>Wording{c.aspect ? ` (${c.aspect})` : ''}{clause} changed</>;
      if (c.beforeText !== undefined || c.afterText !== undefined) body = beforeAfter(c.beforeText, c.afterText);
      else if (c.before !== undefined || c.after !== undefined) body = beforeAfter(show(c.before), show(c.after));
      else head = <>{c.summary}</>;
      break;
    case 'action':
      head = <>What is recommended{clause} changed: {show(c.before)} → {show(c.after)}</>;
      break;
    default:
      head = <>{c.summary.charAt(0).toUpperCase() + c.summary.slice(1)}</>;
  }
  return <li className={`rv-change cat-${c.category}`} data-category={c.category}><span className="rv-cat">{CATEGORY_LABEL[c.category] ?? c.category}</span><div className="rv-change-body"><div>{head}</div>{body}</div></li>;
}

const CATEGORY_LABEL: Record<string, string> = {
  statement: 'Text', wording: 'Wording', grade: 'Grade', logic: 'Condition', threshold: 'Threshold', action: 'Action', clause: 'Clause',
  citation: 'Source', interpretation: 'Interpretation', input: 'Patient fact', definition: 'Value type', table: 'Table', metadata: 'Other',
};

function show(v: JsonValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function Entity({ e, onOpen }: { e: EntityDiff; onOpen: (path: string) => void }) {
  return (
    <section className={`rv-entity ${e.status}`} data-node={e.id}>
      <div className="rv-entity-head">
        <span className={`rv-status ${e.status}`}>{STATUS_TEXT[e.status]}</span>
        <span className="muted small">{KIND_WORDS[e.kind] ?? e.kind}</span>
        <b className="rv-label">{e.label}</b>
        <code>{e.id}</code>
        {e.file && e.status !== 'removed' && e.kind !== 'manifest' ? <button className="link" onClick={() => onOpen(e.file!)}>open</button> : null}
      </div>
      <ul className="rv-changes">{e.changes.map((c, i) => <ChangeItem key={i} c={c} status={e.status} />)}</ul>
    </section>
  );
}

function Version({ d, g }: { d: GuidelineDiff; g: Guideline }) {
  const b = d.bump;
  const needed = suggestVersion(b.base, b.required);
  const [showAll, setShowAll] = useState(false);
  const reasons = showAll ? b.reasons : b.reasons.slice(0, 8);
  return (
    <section className={`rv-version ${b.satisfied ? 'ok' : 'fail'}`} data-testid="review-bump" data-required={b.required}>
      <div className="rv-version-grid">
        <div><div className="muted small">Change requires</div><div className={`rv-bump lvl-${b.required}`}>{b.required === 'none' ? 'no new version' : `${b.required} version`}</div></div>
        <div><div className="muted small">Version in the manifest</div><div className="rv-big">{b.head}</div>{b.head === b.base ? <div className="muted small">unchanged since the saved {b.base}</div> : <div className="muted small">saved: {b.base}</div>}</div>
        <div><div className="muted small">Version required</div><div className="rv-big">{b.required === 'none' ? b.base : `${needed} or later`}</div></div>
        <div className="rv-verdict">{b.satisfied ? '✓ The manifest version is right' : '✗ The manifest version must change'}</div>
      </div>
      <p className="small">{BUMP_WORDS[b.required]}. {b.message}.</p>
      {b.reasons.length ? (
        <>
          <div className="small"><b>Why</b></div>
          <ul className="rv-reasons">{reasons.map((r, i) => <li key={i}><span className={`rv-level lvl-${r.level}`}>{r.level}</span> {humanize(g, r.text)}</li>)}</ul>
          {b.reasons.length > reasons.length ? <button className="link" onClick={() => setShowAll(true)}>Show all {b.reasons.length} reasons</button> : null}
        </>
      ) : null}
    </section>
  );
}

export function ReviewView({ saved, drafts, g, blocked, onOpen, onOpenCase, onEdit, onSaveAll, notice }: {
  saved: Map<string, SavedFile>; drafts: Map<string, Draft>; g: Guideline; blocked: boolean;
  onOpen: (path: string) => void; onOpenCase: (id: string) => void;
  /** finishing the change (VersionPanel): edit the manifest or CHANGELOG draft, save every draft */
  onEdit?: (path: string, text: string) => void; onSaveAll?: () => void; notice?: React.ReactNode;
}) {
  const worker = useRef<Worker>(null);
  const seq = useRef(0);
  const [out, setOut] = useState<ReviewOut>();
  const [pending, setPending] = useState(false);
  const [copied, setCopied] = useState('');
  // What is compared: the drafts with the saved guideline, or the saved guideline with a git revision.
  const [against, setAgainst] = useState<string>(DRAFTS);
  const [revisions, setRevisions] = useState<Revisions>();
  const [revError, setRevError] = useState('');
  useEffect(() => { loadRevisions().then(setRevisions, (e) => setRevisions({ repository: false, message: (e as Error).message, revisions: [] })); }, []);
  const git = against !== DRAFTS;

  useEffect(() => {
    const w = new Worker(new URL('./review.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (ev: MessageEvent<ReviewOut>) => {
      if (ev.data.seq !== seq.current) return;
      setOut(ev.data);
      setPending(false);
    };
    worker.current = w;
    return () => w.terminate();
  }, []);
  useEffect(() => {
    worker.current?.postMessage({ type: 'baseline', files: [...saved.values()].map(({ path, text }) => ({ path, text })) } satisfies ReviewIn);
  }, [saved]);
  useEffect(() => {
    if (!git) return;
    let live = true;
    const n = ++seq.current;
    setOut(undefined);
    setRevError('');
    setPending(true);
    loadRevision(against).then(
      (files) => { if (live) worker.current?.postMessage({ type: 'revision', seq: n, files } satisfies ReviewIn); },
      (e) => { if (live) { setRevError((e as Error).message); setPending(false); } },
    );
    return () => { live = false; };
  }, [git, against, saved]);
  useEffect(() => {
    if (git) return;
    if (!drafts.size) { seq.current++; setOut(undefined); setPending(false); return; }
    setPending(true);
    const t = setTimeout(() => {
      const n = ++seq.current;
      worker.current?.postMessage({ type: 'review', seq: n, drafts: [...drafts].map(([path, d]) => ({ path, text: d.text })) } satisfies ReviewIn);
    }, 100);
    return () => clearTimeout(t);
  }, [drafts, saved, git]);

  const copy = async () => {
    if (!out?.markdown) return;
    try { await navigator.clipboard.writeText(out.markdown); setCopied('Copied. Paste it into the pull request.'); } catch {
      const ta = document.createElement('textarea');
      ta.value = out.markdown;
      document.body.appendChild(ta);
      ta.select();
      const ok = document.execCommand('copy');
      ta.remove();
      setCopied(ok ? 'Copied. Paste it into the pull request.' : 'The browser refused to copy; use the text below.');
    }
  };

  const d = out?.diff;
  let body: React.ReactNode;
  const chosen = revisions?.revisions.find((r) => r.rev === against);
  if (git && revError) {
    body = <div className="banner error" data-testid="review-git-error">{revError}</div>;
  } else if (git && !out) {
    body = <p className="muted">Reading the guideline at {chosen ? REVISION_WORDS[chosen.role] : against} from git…</p>;
  } else if (!git && !drafts.size) {
    body = <div className="banner ok" data-testid="review-empty">Nothing to review: there are no unsaved drafts. Every change is saved, and the saved guideline is what <code>npx guideline diff</code> compares in version control.</div>;
  } else if (!out) {
    body = <p className="muted">Comparing your drafts with the saved guideline…</p>;
  } else if (out.problems.length) {
    body = <div className="banner error">A draft has problems that stop the comparison (fix the marked lines first):<ul>{out.problems.map((p, i) => <li key={i}>{p.file ? <code>{p.file}</code> : null} {p.message}</li>)}</ul></div>;
  } else if (d) {
    const nodes = d.entities;
    body = (
      <>
        {blocked && !git ? <div className="banner error">The draft has problems (see the marked lines); it cannot be saved as it is. The comparison below shows it anyway.</div> : null}
        <Version d={d} g={g} />
        {onEdit && onSaveAll && !git ? <VersionPanel d={d} saved={saved} drafts={drafts} onEdit={onEdit} onSaveAll={onSaveAll} /> : null}
        <h3 className="rv-h">What changed <span className="muted small">({nodes.length} item{nodes.length === 1 ? '' : 's'})</span></h3>
        {nodes.length ? nodes.map((e) => <Entity key={`${e.kind}:${e.id}`} e={e} onOpen={onOpen} />) : <p className="muted">No recommendation, definition or patient fact changed.</p>}
        <h3 className="rv-h">Regression cases whose outcome moves <span className="muted small">({d.outcomes.changed.length} of {d.outcomes.casesCompared})</span></h3>
        {d.outcomes.changed.length ? (
          <ul className="rv-cases">
            {d.outcomes.changed.map((c) => (
              <li key={c.id} className="impact-case rv-case" data-case={c.id} onClick={() => onOpenCase(c.id)} title="Open this case">
                <div className="impact-title">{c.title} <code className="muted">{c.id}</code></div>
                {c.error ? <div className="error-text small">Evaluation: {c.error.before ? 'fails' : 'works'} → {c.error.after ? `fails (${c.error.after.split('\n')[0]})` : 'works'}</div> : null}
                <ul>
                  {c.outcomes.map((o) => (
                    <li key={o.key}><span className="what">{outcomeLabel(g, o.key)}</span> <span className={`pill ${o.before}`}>{STATUS_WORDS[o.before] ?? o.before}</span> → <span className={`pill ${o.after}`}>{STATUS_WORDS[o.after] ?? o.after}</span></li>
                  ))}
                  {c.values.map((v) => (
                    <li key={v.id}><span className="what">{g.nodes.find((n) => n.id === v.id)?.title ?? v.id}</span> <span className="pill value">{showValue(g, v.id, v.before)}</span> → <span className="pill value">{showValue(g, v.id, v.after)}</span></li>
                  ))}
                  <GradeLines g={g} grades={c.grades} />
                </ul>
              </li>
            ))}
          </ul>
        ) : <p className="no-change">No regression case changes its outcome ({d.outcomes.casesCompared} checked).</p>}
        {d.cases.length ? (
          <>
            <h3 className="rv-h">Regression cases edited</h3>
            <ul className="rv-reasons">{d.cases.map((c) => <li key={c.id}>{STATUS_TEXT[c.status]} <code>{c.id}</code>: {c.title}</li>)}</ul>
          </>
        ) : null}
        <details className="rv-md">
          <summary>Markdown for the pull request</summary>
          <pre data-testid="review-markdown">{out.markdown}</pre>
        </details>
      </>
    );
  }
  return (
    <div className="doc review" data-testid="review" data-pending={pending ? 'true' : 'false'} data-seq={out?.seq ?? 0} data-ms={out ? out.ms.toFixed(0) : ''}>
      <div className="doc-header">
        <div className="doc-title">
          <h2>Review {pending ? <span className="spinner" title="updating">⟳</span> : null}</h2>
          <div className="muted small">{git
            ? <>The guideline as saved on disk compared with {chosen ? `${REVISION_WORDS[chosen.role]} (${chosen.rev === 'HEAD' ? chosen.commit.slice(0, 8) : chosen.rev}: ${chosen.subject})` : against}: the same comparison as <code>npx guideline diff git:{against} .</code></>
            : <>{drafts.size ? `Your ${drafts.size} unsaved draft${drafts.size === 1 ? '' : 's'}` : 'Your unsaved drafts'} compared with the guideline as saved on disk: the same comparison as <code>npx guideline diff</code>.</>}</div>
          <label className="small rv-against">Compare{' '}
            <select data-testid="review-against" value={against} onChange={(ev) => setAgainst(ev.target.value)}>
              <option value={DRAFTS}>my drafts with the saved guideline</option>
              {(revisions?.revisions ?? []).map((r) => <option key={r.rev} value={r.rev}>the saved guideline with {REVISION_WORDS[r.role]} ({r.rev === 'HEAD' ? r.commit.slice(0, 8) : r.rev})</option>)}
            </select>
          </label>
          {revisions && !revisions.repository ? <div className="muted small" data-testid="review-no-git">{revisions.message}</div> : null}
        </div>
        <div className="doc-actions">
          {copied ? <span className="muted small" data-testid="copied">{copied}</span> : null}
          <button className="primary" data-testid="copy-markdown" disabled={!out?.markdown} onClick={copy}>Copy as Markdown</button>
        </div>
      </div>
      {notice}
      {body}
    </div>
  );
}
