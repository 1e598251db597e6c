// The authoring editor: navigator | node or case view | impact panel.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatDocument, parseSource } from '../engine/authoring/index.ts';
import { type Case, type Finding, type Guideline, type JsonValue } from '../engine/runtime/index.ts';
import { loadFiles, send, type Session } from './api.ts';
import { ProposalsView } from './Committee.tsx';
import { CaseView } from './CaseView.tsx';
import { FLOW_ROUTE, FlowView, flowPath } from './Flowchart.tsx';
import { loadDrafts, storeDraft, type Draft } from './drafts.ts';
import { mergeComparisons } from './impact.ts';
import type { WorkerIn, WorkerOut } from './impact.worker.ts';
import { ImpactPanel, type ImpactScope } from './ImpactPanel.tsx';
import { JsonEditor, modelFor, setModelText } from './JsonEditor.tsx';
import { setNames } from './monaco-setup.ts';
import { docType, inputRange, ruleLabel, withDrafts, type SavedFile } from './model.ts';
import { Navigator } from './Navigator.tsx';
import { NodeSide } from './builder/NodeForm.tsx';
import { AddMenu } from './builder/Templates.tsx';
import { ReviewView } from './ReviewView.tsx';
import { ANALYSIS_ROUTE, AnalysisView, isAnalysisRoute } from './Analysis.tsx';
import { useFinish, type SaveAnswer } from './Finish.tsx';
import { ConflictDiff } from './LineDiff.tsx';
import { ProblemList } from './ProblemList.tsx';
import { useSaveShortcut } from './shortcuts.ts';

interface Notice { path: string; kind: 'ok' | 'error' | 'conflict'; text: string; findings?: Finding[]; theirVersion?: string | null; theirText?: string | null; mineText?: string }

const NEW_PATIENT = 'new-patient';
const REVIEW = 'review';
const routeOf = () => decodeURIComponent(location.hash.replace(/^#\/?/, ''));

declare global { interface Window { __impactLog?: { seq: number; total: number; worker: number }[] } }

/** One answer from the shares of the workers: the same findings in each, the comparisons joined. */
function joinAnswers(parts: WorkerOut[]): WorkerOut {
  const [first] = parts;
  if (!first.compared || parts.some((p) => !p.comparison)) return first;
  return { ...first, comparison: mergeComparisons(parts.map((p) => p.comparison!)), ms: Math.max(...parts.map((p) => p.ms)) };
}

export function App({ session = { mode: 'local' } }: { session?: Session }) {
  const shared = session.mode === 'shared';
  const [saved, setSavedState] = useState<Map<string, SavedFile> | null>(null);
  // The latest saved files, readable synchronously: setModelText() after a save or a reload fires the
  // editor's onChange before React re-renders, and that edit must compare with the new saved text.
  const savedRef = useRef<Map<string, SavedFile> | null>(null);
  const setSaved = useCallback((next: Map<string, SavedFile> | ((prev: Map<string, SavedFile> | null) => Map<string, SavedFile>)) => {
    const value = typeof next === 'function' ? next(savedRef.current) : next;
    savedRef.current = value;
    setSavedState(value);
  }, []);
  const [loadError, setLoadError] = useState('');
  const [drafts, setDrafts] = useState<Map<string, Draft>>(new Map());
  const [restored, setRestored] = useState<string[]>([]);
  const [route, setRoute] = useState(routeOf());
  const [impact, setImpact] = useState<WorkerOut>();
  const [impactScope, setImpactScope] = useState<ImpactScope>('all');
  const [pending, setPending] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [adhoc, setAdhoc] = useState<Record<string, JsonValue>>({});
  const [caseTab, setCaseTab] = useState<'form' | 'json'>('form');
  const workers = useRef<Worker[]>([]);
  const seq = useRef(0);
  const editAt = useRef(new Map<number, number>());
  const lastEdit = useRef(0);
  /** a comparison is running: the next edit waits a little (typing coalesces); an idle worker starts at once */
  const busy = useRef(false);

  const open = useCallback((path: string) => { location.hash = `#/${path}`; }, []);
  useEffect(() => {
    const onHash = () => { setRoute(routeOf()); setNotice(null); };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // --- load --------------------------------------------------------------------------------
  const reload = useCallback(async () => {
    const files = await loadFiles();
    const map = new Map(files.map((f) => [f.path, f]));
    setSaved(map);
    return map;
  }, [setSaved]);
  useEffect(() => {
    reload().then((map) => {
      const id = parseSource([...map.values()]).guideline.manifest.id;
      const stored = loadDrafts(id);
      for (const [p, d] of stored) if (map.get(p)?.text === d.text) { stored.delete(p); storeDraft(id, p, undefined); }
      setDrafts(stored);
      setRestored([...stored.keys()]);
      document.body.dataset.editorReady = 'true';
    }, (e) => setLoadError(`Cannot reach the local server (${(e as Error).message}). Start it with npm start; drafts stay in this browser.`));
  }, [reload]);

  const base = useMemo(() => (saved ? parseSource([...saved.values()]).guideline : undefined), [saved]);
  const gid = base?.manifest.id ?? 'unknown';
  const draftG: Guideline | undefined = useMemo(() => {
    if (!saved || !base) return undefined;
    return withDrafts(base, saved.get('manifest.json'), [...drafts].map(([path, d]) => ({ path, text: d.text }))).guideline;
  }, [saved, base, drafts]);
  const draftKeys = [...drafts.keys()].join('\n');
  const navigator = useMemo(() => base ? (
    <Navigator g={base} selected={route} drafts={new Set(draftKeys ? draftKeys.split('\n') : [])} onOpen={open} onNewPatient={() => open(NEW_PATIENT)} />
  ) : null, [base, route, draftKeys, open]);

  useEffect(() => {
    if (!draftG) return;
    setNames([
      ...draftG.inputs.map((i) => ({ id: i.id, kind: 'fact' as const, title: i.title, unit: i.unit, range: inputRange(i), description: i.description })),
      ...draftG.nodes.filter((n) => n.kind === 'definition').map((d) => ({ id: d.id, kind: 'definition' as const, title: d.title ?? d.id, unit: (d as { unit?: string }).unit, range: d.kind === 'definition' ? (d.values ? d.values.map((v) => v.value).join(', ') : d.type) : '', description: d.description })),
    ]);
  }, [draftG]);

  // --- impact workers ----------------------------------------------------------------------
  // The cases are shared between workers (one per core, at most two); their answers are joined
  // when all have answered the latest edit.
  useEffect(() => {
    const count = Math.max(1, Math.min(2, globalThis.navigator.hardwareConcurrency || 1));
    const answers = new Map<number, WorkerOut[]>();
    const ws = Array.from({ length: count }, () => new Worker(new URL('./impact.worker.ts', import.meta.url), { type: 'module' }));
    for (const w of ws) {
      w.onmessage = (ev: MessageEvent<WorkerOut>) => {
        if (ev.data.seq !== seq.current) return; // a newer edit is on its way
        const got = [...(answers.get(ev.data.seq) ?? []), ev.data];
        if (got.length < ws.length) { answers.set(ev.data.seq, got); return; }
        answers.clear();
        busy.current = false;
        setImpact(joinAnswers(got));
        setPending(false);
      };
    }
    workers.current = ws;
    return () => ws.forEach((w) => w.terminate());
  }, []);
  useEffect(() => {
    if (!saved) return;
    const files = [...saved.values()].map(({ path, text }) => ({ path, text }));
    workers.current.forEach((w, index) => w.postMessage({ type: 'baseline', files, shard: { index, count: workers.current.length } } satisfies WorkerIn));
  }, [saved]);
  // "This draft": only the open file's draft is compared (when the open file is a draft).
  const impactOnly = impactScope === 'open' && drafts.has(route) ? route : undefined;
  useEffect(() => {
    if (!saved) return;
    if (!drafts.size) { seq.current++; setImpact(undefined); setPending(false); return; }
    setPending(true);
    const t = setTimeout(() => {
      const n = ++seq.current;
      busy.current = true;
      editAt.current.set(n, lastEdit.current);
      const chosen = [...drafts].filter(([path]) => !impactOnly || path === impactOnly);
      const message = { type: 'draft', seq: n, drafts: chosen.map(([path, d]) => ({ path, text: d.text })) } satisfies WorkerIn;
      for (const w of workers.current) w.postMessage(message);
    }, busy.current ? 150 : 0);
    return () => clearTimeout(t);
  }, [drafts, saved, impactOnly]);
  useEffect(() => {
    if (!impact) return;
    const at = editAt.current.get(impact.seq);
    if (at) (window.__impactLog ??= []).push({ seq: impact.seq, total: performance.now() - at, worker: impact.ms });
  }, [impact]);

  // --- editing -----------------------------------------------------------------------------
  const edit = useCallback((path: string, text: string) => {
    lastEdit.current = performance.now();
    setDrafts((prev) => {
      const next = new Map(prev);
      const s = savedRef.current?.get(path);
      if (s && s.text === text) next.delete(path);
      else next.set(path, { text, baseVersion: prev.get(path)?.baseVersion ?? s?.version ?? null, savedAt: Date.now() });
      storeDraft(gid, path, next.get(path));
      return next;
    });
  }, [saved, gid]);

  const discard = (path: string) => {
    const s = saved?.get(path);
    setDrafts((prev) => { const next = new Map(prev); next.delete(path); return next; });
    storeDraft(gid, path, undefined);
    if (s) setModelText(path, s.text);
    setNotice(null);
  };

  // Saves go through the finishing save (Finish.tsx): cases a change moves are accepted one by one.
  const onSaved = useCallback((paths: string[], a: Extract<SaveAnswer, { kind: 'saved' }>) => {
    setSaved((prev) => { const next = new Map(prev); for (const w of a.written) next.set(w.path, w); return next; });
    setDrafts((prev) => { const next = new Map(prev); for (const p of paths) { next.delete(p); storeDraft(gid, p, undefined); } return next; });
    for (const w of a.written) if (modelFor(w.path)) setModelText(w.path, w.text);
    const where = routeOf();
    const created = !paths.length ? a.written.find((w) => w.path.startsWith('cases/')) : undefined;
    const text = created ? `New case saved to ${created.path}; its golden trace was written, so guideline test passes.`
      : `Saved ${paths.join(', ')}.${a.accepted.length ? ` Accepted the new results of ${a.accepted.length} case${a.accepted.length > 1 ? 's' : ''} (expectations and golden traces updated).` : ''}${a.goldens.length ? ` ${a.goldens.length} golden trace${a.goldens.length > 1 ? 's' : ''} rewritten.` : ''}${a.warnings.length ? ` ${a.warnings.length} warning(s): ${a.warnings.map((w) => w.message).join(' ')}` : ''}`;
    if (created) { open(created.path); setTimeout(() => setNotice({ path: created.path, kind: 'ok', text }), 0); } else setNotice({ path: where, kind: 'ok', text, findings: a.warnings });
  }, [gid, open, setSaved]);
  const finish = useFinish({
    g: draftG, drafts, onSaved,
    onConflict: (_paths, a) => { const c = a.conflicts[0]; setNotice({ path: routeOf() === REVIEW ? REVIEW : c.path, kind: 'conflict', text: a.error, theirVersion: c.version, theirText: c.text, mineText: c.mine }); },
    onError: (_paths, a) => setNotice({ path: routeOf(), kind: 'error', text: a.error, findings: a.findings }),
    onOpenCase: (id) => { const p = base?.origins[`case:${id}`]?.file; if (p) { setCaseTab('form'); open(p); } },
  });
  const save = (path: string) => finish.save([path]);
  const saveAll = () => finish.save([...drafts.keys()]);
  const saveNewCase = (path: string, c: Case) => finish.save([], [{ path, text: formatDocument(c), version: null }]);
  useSaveShortcut(() => {
    const r = routeOf();
    if (shared) return;
    if (r === REVIEW) saveAll(); else if (drafts.has(r)) save(r);
  });

  const keepMine = (path: string, theirVersion: string | null | undefined) => {
    setDrafts((prev) => {
      const d = prev.get(path);
      if (!d) return prev;
      const nd = { ...d, baseVersion: theirVersion ?? null };
      storeDraft(gid, path, nd);
      return new Map(prev).set(path, nd);
    });
    setNotice({ path, kind: 'ok', text: 'Your draft now replaces the other version when you press Save.' });
  };
  const takeTheirs = async (path: string) => {
    const map = await reload();
    setDrafts((prev) => { const next = new Map(prev); next.delete(path); return next; });
    storeDraft(gid, path, undefined);
    const t = map.get(path)?.text;
    if (t !== undefined) setModelText(path, t);
    setNotice({ path, kind: 'ok', text: 'Showing the version saved by the other tab or person. Your draft was discarded.' });
  };

  // --- view --------------------------------------------------------------------------------
  if (loadError) return <div className="fatal">{loadError}</div>;
  if (!saved || !base || !draftG) return <div className="fatal">Loading the guideline…</div>;

  const findingsFor = (path: string): Finding[] => [
    ...(impact?.findings ?? []).filter((f) => f.file === path),
    ...(notice && notice.path === path && notice.findings ? notice.findings : []),
  ];
  const changedNodes = drafts.size && impact?.compared ? impact.changedNodes.filter((id) => draftG.nodes.some((n) => n.id === id)) : [];
  const casePath = (id: string) => base.origins[`case:${id}`]?.file ?? draftG.origins[`case:${id}`]?.file;

  const path = route;
  const s = saved.get(path);
  const d = drafts.get(path);
  const text = d?.text ?? s?.text;
  let doc: Record<string, unknown> | undefined;
  let parseError = '';
  if (text !== undefined) { try { doc = JSON.parse(text); } catch (e) { parseError = (e as Error).message; } }
  const type = docType(path);
  const stale = d && s && d.baseVersion !== s.version;

  const header = (title: string, sub: string) => (
    <div className="doc-header">
      <div className="doc-title"><h2>{title}</h2><div className="muted small">{sub} · <code>{path}</code></div></div>
      <div className="doc-actions">
        {d ? <span className="state draft" data-testid="state">Unsaved draft</span> : <span className="state saved" data-testid="state">Saved</span>}
        {shared
          ? <button className="primary" data-testid="propose-drafts" disabled={!d} onClick={() => open('proposals')}>Propose…</button>
          : <button className="primary" data-testid="save" disabled={!d} onClick={() => save(path)}>Save</button>}
        <button disabled={!d} onClick={() => discard(path)}>Discard draft</button>
        {doc && (doc.kind === 'recommendation' || doc.kind === 'practice-point') && typeof doc.id === 'string' ? <a href={`#/${flowPath(doc.id)}`} data-testid="flow-link">Flowchart</a> : null}
      </div>
    </div>
  );
  const noticeBox = notice && notice.path === path ? (
    <div className={`banner ${notice.kind}`} data-testid={`notice-${notice.kind}`}>
      {notice.text}
      {notice.kind === 'error' && notice.findings?.length ? <ProblemList findings={notice.findings} className="notice-problems" /> : null}
      {notice.kind === 'conflict' && notice.mineText !== undefined ? <ConflictDiff theirs={notice.theirText ?? ''} mine={notice.mineText} /> : null}
      {notice.kind === 'conflict' ? (
        <div className="buttons">
          <button onClick={() => takeTheirs(path)}>Show their version (discard my draft)</button>
          <button onClick={() => keepMine(path, notice.theirVersion)}>Keep my draft and replace theirs</button>
        </div>
      ) : null}
    </div>
  ) : null;
  const problems = (path: string) => {
    const list = findingsFor(path).filter((f) => !(notice?.findings?.includes(f)));
    return <ProblemList findings={list} />;
  };

  let main;
  if (shared && (path === 'proposals' || path.startsWith('proposals/'))) {
    main = <ProposalsView session={session} route={path} drafts={drafts} onOpen={open}
      onProposed={(paths) => { setDrafts((prev) => { const next = new Map(prev); for (const p of paths) { next.delete(p); storeDraft(gid, p, undefined); } return next; }); }}
      onMerged={() => { reload().then((map) => { for (const [p, f] of map) if (modelFor(p)) setModelText(p, f.text); }); }} />;
  } else if (path === FLOW_ROUTE || path.startsWith(`${FLOW_ROUTE}/`)) {
    main = <FlowView g={draftG} route={path} onOpen={open} />;
  } else if (path === REVIEW) {
    main = <ReviewView saved={saved} drafts={drafts} g={draftG} blocked={impact?.compared === false} onOpen={open} onEdit={edit} onSaveAll={saveAll} notice={noticeBox}
      onOpenCase={(id) => { const p = casePath(id); if (p) { setCaseTab('form'); open(p); } }} />;
  } else if (isAnalysisRoute(path)) {
    main = <AnalysisView g={draftG} saved={saved} drafts={drafts} route={path} onSaveNew={saveNewCase}
      onOpenPatient={(facts) => { setAdhoc(facts); open(NEW_PATIENT); }} />;
  } else if (path === NEW_PATIENT) {
    main = (
      <div className="doc">
        <div className="doc-header"><div className="doc-title"><h2>Try a patient</h2><div className="muted small">Evaluated against your current draft. Nothing is saved unless you save it as a case.</div></div></div>
        {notice && notice.path === NEW_PATIENT ? noticeBox : null}
        <CaseView g={draftG} adhoc doc={{ id: '', title: '', facts: adhoc, expect: {} }} onFacts={setAdhoc} onSaveNew={saveNewCase} changed={changedNodes} />
      </div>
    );
  } else if (text === undefined) {
    main = <Welcome g={base} drafts={drafts} />;
  } else if (type === 'case') {
    const c = doc as unknown as Case | undefined;
    main = (
      <div className="doc">
        {header(c?.title ?? path, 'Regression case')}
        {noticeBox}
        {stale ? <div className="banner conflict">The saved case changed since you started this draft.</div> : null}
        <div className="tabs">
          <button className={caseTab === 'form' ? 'on' : ''} onClick={() => setCaseTab('form')}>Patient and result</button>
          <button className={caseTab === 'json' ? 'on' : ''} onClick={() => setCaseTab('json')}>Edit as JSON</button>
        </div>
        {caseTab === 'form' && c && typeof c === 'object' ? (
          <CaseView g={draftG} adhoc={false} doc={c} onSaveNew={saveNewCase} changed={changedNodes}
            onFacts={(facts) => { const t = formatDocument({ ...c, facts }); edit(path, t); if (modelFor(path)) setModelText(path, t); }} />
        ) : caseTab === 'form' ? <div className="banner error">The case is not valid JSON ({parseError}); fix it under “Edit as JSON”.</div> : (
          <div className="editor-pane full"><JsonEditor key={path} path={path} text={text} findings={findingsFor(path)} onChange={(t) => edit(path, t)} />{problems(path)}</div>
        )}
      </div>
    );
  } else {
    const id = (doc?.id as string | undefined) ?? path;
    const node = draftG.nodes.find((n) => n.id === id) ?? base.nodes.find((n) => n.id === id);
    const title = type === 'input' ? String(doc?.title ?? id) : node ? ruleLabel(node, id) : String(doc?.title ?? id);
    main = (
      <div className="doc">
        {header(title, type === 'input' ? 'Patient fact' : doc?.kind === 'definition' ? 'Definition' : doc?.kind === 'recommendation' ? 'Recommendation' : String(doc?.kind ?? 'Document'))}
        {noticeBox}
        {stale ? <div className="banner conflict">The saved file changed since you started this draft (another tab or person). Saving will ask you which version to keep.</div> : null}
        <div className="split">
          <div className="readable-pane">
            {doc && typeof doc === 'object' ? <NodeSide doc={doc} g={draftG} path={path} version={s?.version}
              onDoc={(nd) => { const t = formatDocument(nd); edit(path, t); if (modelFor(path)) setModelText(path, t); }}
              onDeleted={(p) => { discard(p); reload(); open(''); }} /> : <div className="banner error">Not valid JSON yet: {parseError}</div>}
          </div>
          <div className="editor-pane">
            <div className="pane-title">JSON (for those who want it) <span className="muted small">Ctrl+Space completes fact names inside "var"; hover a name to see its unit and range.</span></div>
            <div className="monaco-box"><JsonEditor key={path} path={path} text={text} findings={findingsFor(path)} onChange={(t) => edit(path, t)} /></div>
            {problems(path)}
          </div>
        </div>
      </div>
    );
  }

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand"><a href="#/">{base.manifest.title}</a> <span className="muted small">v{base.manifest.version}</span></div>
        <div className="top-right">
          {shared ? null : <AddMenu g={draftG} onCreate={(p, t) => { edit(p, t); open(p); }} />}
          {shared ? <a href="#/proposals" className={`review-link ${path.startsWith('proposals') ? 'on' : ''}`} data-testid="proposals-link">Proposals</a> : null}
          <a href={`#/${FLOW_ROUTE}/chapter/diagnosis`} className={`review-link ${path.startsWith(FLOW_ROUTE) ? 'on' : ''}`} data-testid="flows-link">Flowcharts</a>
          <a href={`#/${ANALYSIS_ROUTE}`} className={`review-link ${isAnalysisRoute(path) ? 'on' : ''}`} data-testid="analysis-link">Analysis</a>
          <a href="#/new-patient" className={`review-link ${path === NEW_PATIENT ? 'on' : ''}`} data-testid="new-patient-link">Try a new patient</a>
          <a href="#/review" className={`review-link ${path === REVIEW ? 'on' : ''}`} data-testid="review-link">Review{drafts.size ? ` (${drafts.size})` : ''}</a>
          {shared ? <span className="user" data-testid="user">{session.user} ({session.role}) <button className="link" onClick={() => { send('/api/logout', 'POST', {}).then(() => location.reload()); }}>Log out</button></span> : null}
          {drafts.size ? <span className="state draft">{drafts.size} unsaved draft{drafts.size > 1 ? 's' : ''}</span> : <span className="state saved">All changes saved</span>}
        </div>
      </header>
      {restored.length ? (
        <div className="banner restored" data-testid="restored">
          Restored {restored.length} unsaved draft{restored.length > 1 ? 's' : ''} from your last session:{' '}
          {restored.map((p) => <button key={p} className="link" onClick={() => open(p)}>{p.split('/').pop()!.replace(/\.json$/, '')}</button>)}
          <button className="link" onClick={() => { for (const p of restored) discard(p); setRestored([]); }}>Discard them</button>
          <button className="link" onClick={() => setRestored([])}>Dismiss</button>
        </div>
      ) : null}
      <div className="columns">
        {navigator}
        <main className="main">{main}</main>
        {finish.dialog}
        <ImpactPanel g={draftG} impact={impact} pending={pending} hasDrafts={drafts.size > 0} scope={impactScope} onScope={setImpactScope} draftCount={drafts.size} openDraft={drafts.has(path) ? path : undefined} onOpenCase={(id) => { const p = casePath(id); if (p) { setCaseTab('form'); open(p); } }} />
      </div>
    </div>
  );
}

function Welcome({ g, drafts }: { g: Guideline; drafts: Map<string, Draft> }) {
  const recs = g.nodes.filter((n) => n.kind === 'recommendation').length;
  const defs = g.nodes.filter((n) => n.kind === 'definition').length;
  return (
    <div className="doc welcome">
      <h2>{g.manifest.title}</h2>
      <p className="muted">{g.manifest.source.citation}</p>
      <p>{recs} recommendations, {defs} definitions, {g.inputs.length} patient facts and {g.cases.length} regression cases are encoded.{drafts.size ? ` You have ${drafts.size} unsaved draft(s).` : ''}</p>
      <h3>How to work</h3>
      <ol>
        <li><b>Open</b> a recommendation or definition on the left: it is shown in words, with its grade and source, beside its JSON.</li>
        <li><b>Edit</b> the JSON (a threshold, a condition, a grade). Problems are underlined as you type.</li>
        <li><b>See the impact</b> on the right: every regression case whose outcome would change, before → after. Click one to see the patient and how the result was reached.</li>
        <li><b>Save</b>: the edit is written to the guideline folder only if it passes every check. Until then it is a draft kept in this browser.</li>
        <li><b>Review</b> (button at the top): every draft compared with the saved guideline, item by item in words, the cases it moves and the version bump it requires; copy it as Markdown for the pull request.</li>
      </ol>
    </div>
  );
}
