// Which regression cases change if the draft were saved: before → after per recommendation,
// clause and derived value. Computed off the main thread (impact.worker.ts).
import type { Guideline } from '../engine/runtime/index.ts';
import type { WorkerOut } from './impact.worker.ts';
import { outcomeLabel, showValue, STATUS_WORDS } from './model.ts';

export function ImpactPanel({ g, impact, pending, hasDrafts, onOpenCase }: {
  g: Guideline; impact?: WorkerOut; pending: boolean; hasDrafts: boolean; onOpenCase: (id: string) => void;
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
            </ul>
          </li>
        ))}
      </ul>
    </>
  );
  return (
    <aside className="impact" data-testid="impact" data-seq={impact?.seq ?? 0} data-pending={pending ? 'true' : 'false'}>
      <h3>Impact on regression cases {pending ? <span className="spinner" title="updating">⟳</span> : null}</h3>
      {body}
      {impact?.compared ? <p className="muted small">{impact.changedNodes.length} changed item(s); {impact.comparison?.casesCompared ?? 0} cases compared in {impact.ms.toFixed(0)} ms.</p> : null}
    </aside>
  );
}
