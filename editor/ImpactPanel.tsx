// Which regression cases change if the draft were saved: before → after per recommendation,
// clause and derived value. Computed off the main thread (impact.worker.ts).
import type { GradeChange } from '../engine/authoring/index.ts';
import type { Guideline } from '../engine/runtime/index.ts';
import type { WorkerOut } from './impact.worker.ts';
import { outcomeLabel, showValue, STATUS_WORDS } from './model.ts';
import { Grade } from './Readable.tsx';

/** Whose impact the panel shows: the draft of the open file alone, or every draft together. */
export type ImpactScope = 'open' | 'all';

/** A grade that changed on advice the patient's result carries: the same advice, another strength or evidence. */
export function GradeLines({ g, grades }: { g: Guideline; grades?: GradeChange[] }) {
  return <>{(grades ?? []).map((x) => (
    <li key={`grade:${x.key}`} data-grade-change={x.key}><span className="what">{outcomeLabel(g, x.key)}</span> <span className="muted small">({STATUS_WORDS[x.status] ?? x.status})</span> grade <Grade grade={x.before} /> → <Grade grade={x.after} /></li>
  ))}</>;
}

export function ImpactPanel({ g, impact, pending, hasDrafts, onOpenCase, scope, onScope, draftCount, openDraft }: {
  g: Guideline; impact?: WorkerOut; pending: boolean; hasDrafts: boolean; onOpenCase: (id: string) => void;
  /** the toggle: shown when there are drafts; `openDraft` is the open file when it is a draft */
  scope: ImpactScope; onScope: (s: ImpactScope) => void; draftCount: number; openDraft?: string;
}) {
  const title = (id: string) => g.nodes.find((n) => n.id === id)?.title ?? id;
  let body;
  if (!hasDrafts) body = <p className="muted">Edit a rule or a threshold: the cases whose outcome would change appear here, before you save.</p>;
  else if (!impact) body = <p className="muted">Checking…</p>;
  else if (!impact.compared) body = <div className="banner error">The draft has {impact.findings.filter((f) => f.severity === 'error').length} problem(s), so its impact cannot be computed yet. Fix the marked lines.</div>;
  else if (!impact.comparison!.changed.length) body = <p className="no-change" data-testid="impact-none">No regression case changes its outcome ({impact.comparison!.casesCompared} checked).</p>;
  else body = (
    <>
      <p><b>{impact.comparison!.changed.length}</b> of {impact.comparison!.casesCompared} cases change:</p>
      <ul className="impact-list">
        {impact.comparison!.changed.map((c) => (
          <li key={c.id} className="impact-case" data-case={c.id} onClick={() => onOpenCase(c.id)} title="Open this case">
            <div className="impact-title">{c.title}</div>
            {c.error ? <div className="error-text small">{c.error.after ?? c.error.before}</div> : null}
            <ul>
              {c.outcomes.map((o) => (
                <li key={o.key}><span className="what">{outcomeLabel(g, o.key)}</span> <span className={`pill ${o.before}`}>{STATUS_WORDS[o.before] ?? o.before}</span> → <span className={`pill ${o.after}`}>{STATUS_WORDS[o.after] ?? o.after}</span></li>
              ))}
              {c.values.map((v) => (
                <li key={v.id}><span className="what">{title(v.id)}</span> <span className="pill value">{showValue(g, v.id, v.before)}</span> → <span className="pill value">{showValue(g, v.id, v.after)}</span></li>
              ))}
              <GradeLines g={g} grades={c.grades} />
            </ul>
          </li>
        ))}
      </ul>
    </>
  );
  return (
    <aside className="impact" data-testid="impact" data-seq={impact?.seq ?? 0} data-pending={pending ? 'true' : 'false'}>
      <h3>Impact on regression cases {pending ? <span className="spinner" title="updating">⟳</span> : null}</h3>
      {hasDrafts ? (
        <div className="impact-scope" role="group" aria-label="Whose impact to show" data-testid="impact-scope" data-scope={scope}>
          <button aria-pressed={scope === 'open'} className={scope === 'open' ? 'on' : ''} disabled={!openDraft} onClick={() => onScope('open')}
            title={openDraft ? `Only the draft of ${openDraft}` : 'Open a drafted file to see its impact alone'}>This draft</button>
          <button aria-pressed={scope === 'all'} className={scope === 'all' ? 'on' : ''} onClick={() => onScope('all')}>All {draftCount} draft{draftCount === 1 ? '' : 's'}</button>
        </div>
      ) : null}
      {hasDrafts && scope === 'open' && !openDraft ? <p className="muted small">The open page is not a draft: showing all drafts.</p> : null}
      {body}
      {impact?.compared ? <p className="muted small">{impact.changedNodes.length} changed item(s); {impact.comparison?.casesCompared ?? 0} cases compared in {impact.ms.toFixed(0)} ms.</p> : null}
    </aside>
  );
}
