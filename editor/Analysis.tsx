// The Analysis view (#/analysis): the guideline checked for every patient the data dictionary
// allows (engine/analysis, Z3 on the server: POST /api/analyze). Safety rules proved, or broken with
// the patient who breaks them; contradictions; clauses no patient meets; patients a chapter does
// not cover; thresholds without cases on both sides. With drafts, the draft's analysis is compared
// with the saved guideline's, and what the edit breaks is shown first, before the member saves.
// Each witness patient opens in "Try a patient" or is saved as a case (the usual form, nothing
// ticked). `#/analysis?invariants=a,b&parts=invariants,gaps` limits a run (quick checks, tests).
import { useEffect, useMemo, useRef, useState } from 'react';
import type { AnalysisReport, BoundaryPoint, InvariantFinding, Witness } from './analysisReport.ts';
import type { Case, Finding, Guideline, JsonValue } from '../engine/runtime/index.ts';
import { send } from './api.ts';
import { changesAnything, compareAnalyses, type AnalysisChange } from './analysisDiff.ts';
import { NewCaseForm } from './CaseView.tsx';
import type { Draft } from './drafts.ts';
import { outcomeLabel, ruleLabel, showValue } from './model.ts';
import { factName, humanize } from './words.ts';
import './analysis.css';

export const ANALYSIS_ROUTE = 'analysis';
export const isAnalysisRoute = (route: string) => route === ANALYSIS_ROUTE || route.startsWith(`${ANALYSIS_ROUTE}?`);

interface Run { state: 'queued' | 'running' | 'done' | 'failed'; key: string; report?: AnalysisReport; error?: string; queuedAt: number; startedAt?: number; finishedAt?: number }
interface Answer { saved: Run; draft?: Run; running: boolean }
type Problem = { error: string; findings?: Finding[]; saved?: Run };

/** The documents the analysis reads from drafts (the manifest and the CHANGELOG stay the saved ones). */
const ANALYSED = /^(inputs|nodes|cases|invariants)\//;

function optionsOf(route: string): { invariants?: string[]; parts?: string[] } {
  const q = new URLSearchParams(route.split('?')[1] ?? '');
  const list = (k: string) => q.get(k)?.split(',').map((s) => s.trim()).filter(Boolean);
  const invariants = list('invariants');
  const parts = list('parts');
  return { ...(invariants ? { invariants } : {}), ...(parts ? { parts } : {}) };
}

const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const OP: Record<string, string> = { '<=': '≤', '>=': '≥', '<': '<', '>': '>', '==': '=', '!=': '≠' };
const STATUS: Record<InvariantFinding['status'], string> = { proved: 'proved for every patient', refuted: 'broken: a patient exists', unknown: 'not decided (solver limit)' };

/** An intervention code as the guideline's label for it. */
function interventionLabel(g: Guideline, code: string): string {
  for (const n of g.nodes) {
    if (n.kind !== 'recommendation' && n.kind !== 'practice-point') continue;
    for (const c of n.clauses) {
      if (c.action.intervention === code && c.action.label) return c.action.label;
      const o = c.action.options?.find((x) => x.intervention === code);
      if (o) return o.label;
    }
  }
  return humanize(g, code).replace(/_/g, ' ');
}

function WitnessBox({ g, witness, label, onOpenPatient, onSaveNew }: { g: Guideline; witness: Witness; label: string; onOpenPatient: (f: Record<string, JsonValue>) => void; onSaveNew: (path: string, c: Case) => void }) {
  const [saving, setSaving] = useState(false);
  const facts = Object.entries(witness.facts);
  return (
    <div className="witness" data-testid="witness">
      <div className="witness-head">
        <span className="muted small">{label}{witness.reproduced ? '' : ' (the engine does not reproduce it: check the translation)'}</span>
        <button data-testid="witness-open" onClick={() => onOpenPatient(witness.facts)}>Open as a patient</button>
        <button data-testid="witness-save" onClick={() => setSaving(true)} disabled={saving}>Save as a case…</button>
      </div>
      <details>
        <summary>The patient ({facts.length} fact{facts.length === 1 ? '' : 's'} known; the others not known)</summary>
        <table className="kv"><tbody>{facts.map(([id, v]) => <tr key={id}><td>{factName(g, id)}</td><td>{showValue(g, id, v)}</td></tr>)}</tbody></table>
      </details>
      {saving ? <NewCaseForm g={g} facts={witness.facts} onSave={(p, c) => { onSaveNew(p, c); setSaving(false); }} onCancel={() => setSaving(false)} /> : null}
    </div>
  );
}

function InvariantItem({ g, i, before, witnessProps }: { g: Guideline; i: InvariantFinding; before?: InvariantFinding; witnessProps: Omit<Parameters<typeof WitnessBox>[0], 'witness' | 'label' | 'g'> }) {
  return (
    <li className={`invariant ${i.status}`} data-testid="invariant-row" data-invariant={i.id} data-status={i.status}>
      <div className="invariant-line">
        <span className={`pill ${i.status}`}>{STATUS[i.status]}</span> <b>{i.title}</b> <span className="muted small">{seconds(i.ms)}{i.quantified ? ', for every way of completing the unknown facts' : ''}</span>
        {before && before.status !== i.status ? <span className="muted small"> (saved guideline: {STATUS[before.status]})</span> : null}
      </div>
      {i.clause ? <div className="small">Reached by <b>{outcomeLabel(g, i.clause)}</b></div> : null}
      {i.reason ? <div className="small muted">{humanize(g, i.reason)}</div> : null}
      {i.witness ? <WitnessBox g={g} witness={i.witness} label="A patient who breaks it:" {...witnessProps} /> : null}
    </li>
  );
}

function Boundary({ g, pt }: { g: Guideline; pt: BoundaryPoint }) {
  const missing = [pt.at.length ? '' : 'at', pt.below.length ? '' : 'just below', pt.above.length ? '' : 'just above'].filter(Boolean);
  const where = g.nodes.find((n) => n.id === pt.node);
  return <li>{factName(g, pt.operand)} {OP[pt.op] ?? pt.op} {pt.threshold} <span className="muted small">in {where ? ruleLabel(where, pt.node) : pt.node}; step {pt.step}</span>: no case {missing.join(', ')}</li>;
}

function ChangeSummary({ g, change, witnessProps }: { g: Guideline; change: AnalysisChange; witnessProps: Omit<Parameters<typeof WitnessBox>[0], 'witness' | 'label' | 'g'> }) {
  const { broken, fixed, undecided, newConflicts, resolvedConflicts, newDead, newGaps, closedGaps, boundaries: b } = change;
  if (!changesAnything(change)) return <div className="banner ok" data-testid="analysis-no-change">Your draft changes nothing the analysis reports: every safety rule has the same result as in the saved guideline.</div>;
  return (
    <section className="analysis-change" aria-labelledby="analysis-change-h">
      <h3 id="analysis-change-h">What your draft changes</h3>
      {broken.length ? (
        <div className="banner error" data-testid="analysis-breaks" role="alert">
          <b>This edit breaks {broken.length === 1 ? 'a safety rule' : `${broken.length} safety rules`}</b> that the saved guideline keeps. Do not save it before the committee has looked:
          <ul className="invariants">{broken.map((i) => <InvariantItem key={i.id} g={g} i={i} witnessProps={witnessProps} />)}</ul>
        </div>
      ) : null}
      {undecided.length ? <div className="banner conflict">No longer proved (the solver gave up): {undecided.map((i) => i.title).join('; ')}</div> : null}
      {fixed.length ? <div className="banner ok" data-testid="analysis-fixes">This edit repairs: {fixed.map((i) => i.title).join('; ')}</div> : null}
      {newConflicts.length ? <div className="banner error">New contradictions: <ul>{newConflicts.map((c) => <li key={`${c.a.clause}|${c.b.clause}`}>{interventionLabel(g, c.intervention)}: {outcomeLabel(g, c.a.clause)} ({c.a.action}) against {outcomeLabel(g, c.b.clause)} ({c.b.action})</li>)}</ul></div> : null}
      {resolvedConflicts.length ? <div className="banner ok">Contradictions resolved: {resolvedConflicts.map((c) => `${interventionLabel(g, c.intervention)} (${outcomeLabel(g, c.a.clause)} / ${outcomeLabel(g, c.b.clause)})`).join('; ')}</div> : null}
      {newDead.length ? <div className="banner conflict">Clauses no patient can meet any more: {newDead.map((d) => outcomeLabel(g, d.clause)).join('; ')}</div> : null}
      {newGaps.length ? <div className="banner conflict">Chapters with new uncovered patients: {newGaps.map((x) => g.manifest.chapters.find((c) => c.id === x.chapter)?.title ?? x.chapter).join('; ')}</div> : null}
      {closedGaps.length ? <div className="banner ok">Chapters now covering every patient: {closedGaps.map((x) => g.manifest.chapters.find((c) => c.id === x.chapter)?.title ?? x.chapter).join('; ')}</div> : null}
      {b.before.covered !== b.after.covered || b.before.total !== b.after.total ? <p>Thresholds with cases on both sides: {b.before.covered} of {b.before.total} → {b.after.covered} of {b.after.total}.</p> : null}
    </section>
  );
}

function ReportView({ g, r, before, parts, witnessProps }: { g: Guideline; r: AnalysisReport; before?: AnalysisReport; parts?: string[]; witnessProps: Omit<Parameters<typeof WitnessBox>[0], 'witness' | 'label' | 'g'> }) {
  const ran = (p: string) => !parts || parts.includes(p);
  const notRun = <p className="muted small">Not part of this run.</p>;
  const order = { refuted: 0, unknown: 1, proved: 2 } as const;
  const invariants = [...r.invariants].sort((a, b) => order[a.status] - order[b.status] || (a.title < b.title ? -1 : 1));
  const count = (s: string) => r.invariants.filter((i) => i.status === s).length;
  const beforeOf = new Map(before?.invariants.map((i) => [i.id, i]));
  const chapter = (id: string) => g.manifest.chapters.find((c) => c.id === id)?.title ?? id;
  return (
    <div className="analysis-report" data-testid="analysis-report">
      <section aria-labelledby="an-inv"><h3 id="an-inv">Safety rules (invariants)</h3>
        {ran('invariants') ? (
          <>
            <p>{count('proved')} proved, {count('refuted')} broken, {count('unknown')} not decided; {seconds(r.ms.invariants)}.</p>
            <ul className="invariants">{invariants.map((i) => <InvariantItem key={i.id} g={g} i={i} before={beforeOf.get(i.id)} witnessProps={witnessProps} />)}</ul>
          </>
        ) : notRun}
      </section>
      <section aria-labelledby="an-conf"><h3 id="an-conf">Contradictions ({ran('conflicts') ? r.conflicts.length : '–'})</h3>
        {!ran('conflicts') ? notRun : !r.conflicts.length ? <p className="muted">No two recommendations give contradictory advice on one intervention to any patient.</p> : (
          <ul className="findings">{r.conflicts.map((c) => (
            <li key={`${c.a.clause}|${c.b.clause}|${c.intervention}`}>{interventionLabel(g, c.intervention)}: <b>{outcomeLabel(g, c.a.clause)}</b> ({c.a.action}) and <b>{outcomeLabel(g, c.b.clause)}</b> ({c.b.action}) both apply to one patient.
              <WitnessBox g={g} witness={c.witness} label="A patient both apply to:" {...witnessProps} /></li>
          ))}</ul>
        )}
      </section>
      <section aria-labelledby="an-dead"><h3 id="an-dead">Clauses no patient can meet ({ran('clauses') ? r.dead.length : '–'})</h3>
        {!ran('clauses') ? notRun : (
          <>
            {r.dead.length ? <ul className="findings">{r.dead.map((d) => <li key={d.clause}>{outcomeLabel(g, d.clause)} <span className="muted small">({chapter(d.chapter)})</span></li>)}</ul> : <p className="muted">Every clause applies to some patient.</p>}
            {r.everyone.length ? <details><summary>Clauses that apply to everyone in their population ({r.everyone.length})</summary><ul className="findings">{r.everyone.map((d) => <li key={d.clause}>{outcomeLabel(g, d.clause)}{d.note ? <span className="muted small"> ({d.note})</span> : null}</li>)}</ul></details> : null}
            {r.undecidable.length ? <details><summary>Clauses no facts can decide ({r.undecidable.length})</summary><ul className="findings">{r.undecidable.map((d) => <li key={d.clause}>{outcomeLabel(g, d.clause)}</li>)}</ul></details> : null}
          </>
        )}
      </section>
      <section aria-labelledby="an-gaps"><h3 id="an-gaps">Patients a chapter does not cover ({ran('gaps') ? r.gaps.length : '–'})</h3>
        {!ran('gaps') ? notRun : !r.gaps.length ? <p className="muted">In every chapter, some recommendation applies to each fully described patient of its population.</p> : (
          <>
            <p className="muted small">A patient inside the chapter's population, every fact known, for whom no recommendation of the chapter applies. A report for the committee, not an error.</p>
            <ul className="findings">{r.gaps.map((x) => <li key={x.chapter}><b>{chapter(x.chapter)}</b> <span className="muted small">(population: {factName(g, x.population)})</span><WitnessBox g={g} witness={x.witness} label="A patient no recommendation of the chapter covers:" {...witnessProps} /></li>)}</ul>
          </>
        )}
      </section>
      <section aria-labelledby="an-bound"><h3 id="an-bound">Boundary coverage</h3>
        {!ran('boundaries') ? notRun : (
          <>
            <p>{r.boundaries.covered} of {r.boundaries.total} thresholds have regression cases at the threshold and one step on each side.</p>
            {r.boundaries.uncovered.length ? <details><summary>Thresholds without such cases ({r.boundaries.uncovered.length})</summary><ul className="findings">{r.boundaries.uncovered.map((pt) => <Boundary key={`${pt.operand} ${pt.threshold}`} g={g} pt={pt} />)}</ul></details> : null}
          </>
        )}
      </section>
      {r.untranslatable.length ? <section><h3>Not analysed</h3><ul className="findings">{r.untranslatable.map((u) => <li key={u.node}>{ruleLabel(g.nodes.find((n) => n.id === u.node), u.node)}: {humanize(g, u.reason)}</li>)}</ul></section> : null}
    </div>
  );
}

export function AnalysisView({ g, saved, drafts, route, onOpenPatient, onSaveNew }: {
  /** the guideline as the member sees it (drafts applied): labels and the witness forms */
  g: Guideline;
  /** changes when the saved guideline changes (a save, a reload): the analysis is asked again */
  saved: unknown;
  drafts: Map<string, Draft>;
  route: string;
  onOpenPatient: (facts: Record<string, JsonValue>) => void;
  onSaveNew: (path: string, c: Case) => void;
}) {
  const options = useMemo(() => optionsOf(route), [route]);
  const body = useMemo(() => ({
    ...options,
    drafts: [...drafts].filter(([p]) => ANALYSED.test(p)).map(([path, d]) => ({ path, text: d.text })),
  }), [options, drafts]);
  const [answer, setAnswer] = useState<Answer>();
  const [problem, setProblem] = useState<Problem>();
  const [now, setNow] = useState(Date.now());
  const seq = useRef(0);

  // Ask at once (debounced while typing), then again every second while a run is not finished.
  useEffect(() => {
    const n = ++seq.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      let res: Response;
      try { res = await send('/api/analyze', 'POST', body); } catch { if (n === seq.current) setProblem({ error: 'The local server is not running (start it with npm start).' }); return; }
      const data = await res.json().catch(() => ({ error: `the server answered ${res.status}` }));
      if (n !== seq.current) return;
      if (!res.ok) { setProblem(data); setAnswer(data.saved ? { saved: data.saved, running: data.saved.state === 'queued' || data.saved.state === 'running' } : undefined); if (data.saved && data.saved.state !== 'done' && data.saved.state !== 'failed') timer = setTimeout(ask, 1000); return; }
      setProblem(undefined);
      setAnswer(data);
      if (data.running) timer = setTimeout(ask, 1000);
    };
    timer = setTimeout(ask, body.drafts.length ? 400 : 0);
    return () => { if (timer) clearTimeout(timer); };
  }, [body, saved]);
  const running = answer?.running || (answer?.saved && (answer.saved.state === 'queued' || answer.saved.state === 'running'));
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [running]);

  const witnessProps = { onOpenPatient, onSaveNew };
  const savedReport = answer?.saved.report;
  const draftReport = answer?.draft?.report;
  const change = savedReport && draftReport ? compareAnalyses(savedReport, draftReport) : undefined;
  const hasDrafts = body.drafts.length > 0;
  const runState = (r: Run | undefined, what: string) => {
    if (!r) return null;
    if (r.state === 'queued') return `${what}: waiting for the solver…`;
    if (r.state === 'running') return `${what}: running (${Math.max(0, Math.round((now - (r.startedAt ?? now)) / 1000))} s; the whole guideline takes tens of seconds)…`;
    if (r.state === 'failed') return `${what}: ${r.error}`;
    return `${what}: done in ${seconds(r.report!.ms.total)}.`;
  };
  const status = [runState(answer?.saved, 'The saved guideline'), hasDrafts ? runState(answer?.draft, 'Your draft') : null].filter(Boolean).join(' ');
  const state = !answer ? 'starting' : running ? 'running' : problem ? 'problem' : 'done';
  const limited = options.invariants || options.parts;
  return (
    <div className="doc analysis-view" data-testid="analysis-view">
      <div className="doc-header"><div className="doc-title"><h2>Analysis</h2>
        <div className="muted small">Every patient the data dictionary allows, each fact known or not, checked by a solver (Z3): safety rules proved or a patient who breaks them, contradictions, clauses no patient meets, patients a chapter does not cover, thresholds without cases on both sides.{hasDrafts ? ' Your drafts are compared with the saved guideline.' : ''}</div>
      </div></div>
      <p className={`analysis-status ${state}`} data-testid="analysis-status" data-state={state} aria-live="polite">
        {running ? <span className="spinner" aria-hidden="true">⟳ </span> : null}{answer ? status : 'Asking the server for the analysis…'}
      </p>
      {limited ? <p className="banner conflict small" data-testid="analysis-limited">A limited run{options.invariants ? `: ${options.invariants.length} safety rule${options.invariants.length > 1 ? 's' : ''}` : ''}{options.parts ? `; parts: ${options.parts.join(', ')}` : ''}. <a href={`#/${ANALYSIS_ROUTE}`}>Analyse everything</a></p> : null}
      {problem ? (
        <div className="banner error" data-testid="analysis-problem">{problem.error}
          {problem.findings?.length ? <ul>{problem.findings.map((f, i) => <li key={i}>{f.file ? <code>{f.file}</code> : null} {humanize(g, f.message)}</li>)}</ul> : null}
        </div>
      ) : null}
      {hasDrafts && change ? <ChangeSummary g={g} change={change} witnessProps={witnessProps} /> : hasDrafts && savedReport && !problem ? <p className="muted" data-testid="analysis-draft-pending">Your draft's analysis follows; meanwhile the saved guideline's results are shown.</p> : null}
      {draftReport ?? savedReport ? (
        <>
          <h3 className="analysis-of">{draftReport ? 'Results with your drafts' : 'Results for the saved guideline'}</h3>
          <ReportView g={g} r={(draftReport ?? savedReport)!} before={draftReport ? savedReport : undefined} parts={options.parts} witnessProps={witnessProps} />
        </>
      ) : null}
    </div>
  );
}
