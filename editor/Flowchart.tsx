// Flowcharts drawn from the data (issue 16): for one recommendation or practice point, the facts ->
// definitions -> clauses that decide it, with a case's values when one is chosen; for a chapter, its
// algorithm (Figure 3; the treatment overview by stage, derived). The graph and the SVG come from the
// review wing (the same drawing as the book); this view only picks what to draw.
// Routes: #/flow/<rule id>[?case=<case id>] and #/flow/chapter/<chapter id>.
import { useEffect, useMemo, useState } from 'react';
import { chapterFlows, FLOW_CHAPTERS, hasFlow, renderFlow, ruleFlow, type FlowGraph } from '../engine/review/index.ts';
import { evaluate, nodeLabel, type Guideline } from '../engine/runtime/index.ts';
import './flowchart.css';

export const FLOW_ROUTE = 'flow';

/** The address of a rule's flowchart, optionally with a case's values. */
export function flowPath(ruleId: string, caseId?: string): string {
  return `${FLOW_ROUTE}/${ruleId}${caseId ? `?case=${encodeURIComponent(caseId)}` : ''}`;
}

function parseRoute(route: string): { chapter?: string; rule?: string; caseId?: string } {
  const [path, query = ''] = route.slice(FLOW_ROUTE.length + 1).split('?');
  const caseId = new URLSearchParams(query).get('case') ?? undefined;
  if (path.startsWith('chapter/')) return { chapter: path.slice('chapter/'.length) };
  return { rule: path || undefined, caseId };
}

export function FlowView({ g, route, onOpen }: { g: Guideline; route: string; onOpen: (path: string) => void }) {
  const { chapter, rule, caseId } = parseRoute(route);
  const rules = useMemo(() => g.nodes.filter(hasFlow).map((n) => ({ id: n.id, label: nodeLabel(n) })).sort((a, b) => a.label.localeCompare(b.label, 'en', { numeric: true })), [g]);
  const cases = useMemo(() => [...g.cases].sort((a, b) => a.title.localeCompare(b.title)), [g]);
  const chapters = g.manifest.chapters.filter((c) => FLOW_CHAPTERS.includes(c.id));
  // Cases whose expectations name this rule (or one of its clauses) first.
  const checks = (c: (typeof cases)[number]) => !!rule && Object.keys(c.expect?.outcomes ?? {}).some((k) => k === rule || k.startsWith(`${rule}.`));
  const checking = cases.filter(checks);
  const others = cases.filter((c) => !checks(c));

  const built = useMemo((): { graphs: FlowGraph[]; error?: string } => {
    try {
      if (chapter) return { graphs: chapterFlows(g, chapter) };
      if (!rule) return { graphs: [] };
      const c = caseId ? g.cases.find((x) => x.id === caseId) : undefined;
      if (caseId && !c) return { graphs: [], error: `No case "${caseId}" in this guideline.` };
      const result = c ? evaluate(g, c.facts) : undefined;
      return { graphs: [ruleFlow(g, rule, { result })] };
    } catch (e) {
      return { graphs: [], error: (e as Error).message };
    }
  }, [g, chapter, rule, caseId]);

  const [svgs, setSvgs] = useState<{ key: FlowGraph[]; svg: string[] } | null>(null);
  const [layoutError, setLayoutError] = useState('');
  useEffect(() => {
    let live = true;
    setLayoutError('');
    Promise.all(built.graphs.map((f) => renderFlow(f))).then(
      (svg) => { if (live) setSvgs({ key: built.graphs, svg }); },
      (e) => { if (live) setLayoutError(String((e as Error).message ?? e)); },
    );
    return () => { live = false; };
  }, [built]);
  const ready = svgs?.key === built.graphs;
  const selectedCase = caseId ? g.cases.find((x) => x.id === caseId) : undefined;

  return (
    <div className="doc flow-view" data-testid="flow-view">
      <div className="doc-header">
        <div className="doc-title">
          <h2>Flowcharts</h2>
          <div className="muted small">Drawn from the encoded data, the same charts as in the rendered book.</div>
        </div>
      </div>
      <div className="flow-controls">
        <label>Recommendation{' '}
          <select data-testid="flow-rule" value={rule ?? ''} onChange={(ev) => onOpen(ev.target.value ? flowPath(ev.target.value, caseId) : FLOW_ROUTE)}>
            <option value="">Choose one…</option>
            {rules.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
          </select>
        </label>
        <label>With the patient of case{' '}
          <select data-testid="flow-case" value={caseId ?? ''} disabled={!rule} onChange={(ev) => rule && onOpen(flowPath(rule, ev.target.value || undefined))}>
            <option value="">No patient (structure only)</option>
            {checking.length ? <optgroup label="Cases that check this recommendation">{checking.map((c) => <option key={c.id} value={c.id}>{c.title}</option>)}</optgroup> : null}
            <optgroup label={checking.length ? 'Other cases' : 'All cases'}>{others.map((c) => <option key={c.id} value={c.id}>{c.title}</option>)}</optgroup>
          </select>
        </label>
        <span className="flow-chapters">Chapter algorithms:{' '}
          {chapters.map((c) => (
            <a key={c.id} href={`#/${FLOW_ROUTE}/chapter/${c.id}`} className={chapter === c.id ? 'on' : ''} data-testid={`flow-chapter-${c.id}`}>{c.title}</a>
          ))}
        </span>
      </div>
      {selectedCase ? <div className="banner ok" data-testid="flow-case-banner">Values of the patient “{selectedCase.title}”, as the engine computed them; a thick green border marks what applies, a dashed amber one what cannot be decided yet.</div> : null}
      {built.error ? <div className="banner error">{built.error}</div> : null}
      {layoutError ? <div className="banner error">The chart could not be laid out: {layoutError}</div> : null}
      {!built.graphs.length && !built.error ? <p className="muted">Choose a recommendation, or a chapter's algorithm.</p> : null}
      {built.graphs.map((f, i) => (
        <figure key={f.id} className={`flow-figure${f.derived ? ' derived' : ''}`} data-testid="flowchart" data-ready={ready ? 'true' : 'false'} data-derived={f.derived ? 'true' : 'false'}>
          <figcaption>
            <strong>{f.title}</strong>{f.derived ? <span className="derived-mark">derived</span> : null}
            {f.notice ? <div className="muted small" data-testid="flow-notice">{f.notice}</div> : null}
          </figcaption>
          {ready
            // The SVG is built by flowSvg, which escapes every text it writes.
            ? <div className="flow-scroll" tabIndex={0} aria-label={`${f.title} (scrollable chart)`} dangerouslySetInnerHTML={{ __html: svgs!.svg[i] }} />
            : <div className="muted">Laying out the chart…</div>}
          <details className="flow-list">
            <summary>The chart as a list</summary>
            <ul>
              {f.nodes.map((n) => {
                const file = n.ref ? (g.origins[`node:${n.ref}`] ?? g.origins[`input:${n.ref}`])?.file : undefined;
                return (
                <li key={n.id}>
                  {file ? <button type="button" className="link" onClick={() => onOpen(file)}>{n.label}</button> : n.label}
                  {n.value !== undefined ? <> — <b>{n.value}</b></> : null}
                  {n.detail?.length ? <span className="muted small"> ({n.detail.join('; ')})</span> : null}
                </li>
                );
              })}
            </ul>
          </details>
        </figure>
      ))}
    </div>
  );
}
