// A regression case (or an ad-hoc patient): facts in a form built from the data dictionary, the
// result against the draft guideline, the expectations checked, and the trace.
import { useMemo, useState } from 'react';
import { compareExpectations } from '../engine/authoring/index.ts';
import { evaluate, EngineError, recommendFromResult, type Case, type EvaluationResult, type Guideline, type InputDef, type JsonValue } from '../engine/runtime/index.ts';
import { isRule, outcomeLabel, ruleLabel, showValue, slug, STATUS_WORDS } from './model.ts';
import { Grade } from './Readable.tsx';
import { TraceTree } from './Trace.tsx';
import { factName, humanize, needsText } from './words.ts';

function FactField({ input, value, onChange }: { input: InputDef; value: JsonValue | undefined; onChange: (v: JsonValue | undefined) => void }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string>('');
  const id = `fact-${input.id}`;
  let control;
  if (input.type === 'number') {
    const shown = text ?? (value === undefined ? '' : String(value));
    control = (
      <input id={id} name={input.id} type="number" inputMode="decimal" value={shown} min={input.minimum} max={input.maximum} step={input.integer ? 1 : 'any'}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (t.trim() === '') { setError(''); onChange(undefined); return; }
          const n = Number(t);
          if (!Number.isFinite(n)) { setError('not a number'); return; }
          if (input.integer && !Number.isInteger(n)) { setError('a whole number, please'); return; }
          if ((input.minimum !== undefined && n < input.minimum) || (input.maximum !== undefined && n > input.maximum)) {
            setError(`outside ${input.minimum}–${input.maximum}${input.unit ? ` ${input.unit}` : ''}${input.hint ? `. ${input.hint}` : ''}`);
            return;
          }
          setError('');
          onChange(n);
        }}
        onBlur={() => { if (!error) setText(undefined); }} />
    );
  } else if (input.type === 'boolean') {
    control = (
      <select id={id} name={input.id} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">not known</option><option value="true">yes</option><option value="false">no</option>
      </select>
    );
  } else if (input.type === 'enum') {
    control = (
      <select id={id} name={input.id} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}>
        <option value="">not known</option>
        {(input.values ?? []).map((v) => <option key={v.value} value={v.value}>{v.label}</option>)}
      </select>
    );
  } else {
    control = (
      <textarea id={id} name={input.id} rows={2} defaultValue={value === undefined ? '' : JSON.stringify(value)} placeholder="[ ] list of items as JSON"
        onChange={(e) => { try { const v = e.target.value.trim() ? JSON.parse(e.target.value) : undefined; setError(''); onChange(v); } catch { setError('not valid JSON'); } }} />
    );
  }
  return (
    <div className={`fact ${error ? 'invalid' : ''} ${value === undefined ? 'absent' : ''}`} title={input.description}>
      <label htmlFor={id}>{input.title}</label>
      <div className="fact-control">{control}{input.unit && input.type === 'number' ? <span className="unit">{input.unit}</span> : null}</div>
      {error ? <div className="fact-error">{error}</div> : null}
    </div>
  );
}

/** The order a clinician takes a history in: liver function, the tumour, performance, history; then the rest. */
const CLINICAL_ORDER = ['liver-function', 'tumor', 'staging', 'portal-hypertension', 'performance', 'patient-background', 'treatment-history', 'response-assessment'];
const rank = (grp: string) => { const k = CLINICAL_ORDER.indexOf(grp); return k < 0 ? CLINICAL_ORDER.length : k; };

export function FactsForm({ g, facts, onChange }: { g: Guideline; facts: Record<string, JsonValue>; onChange: (f: Record<string, JsonValue>) => void }) {
  const [q, setQ] = useState('');
  const query = q.trim().toLowerCase();
  const groups = new Map<string, InputDef[]>();
  for (const i of g.inputs) {
    if (query && !`${i.id} ${i.title} ${i.description ?? ''} ${i.unit ?? ''}`.toLowerCase().includes(query)) continue;
    const grp = g.origins[`input:${i.id}`]?.folder ?? 'other';
    groups.set(grp, [...(groups.get(grp) ?? []), i]);
  }
  const ordered = [...groups].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return (
    <div className="facts-form">
      <input type="search" className="facts-search" data-testid="facts-search" aria-label="Search the patient facts" placeholder="Search facts (e.g. albumin, ECOG)" value={q} onChange={(e) => setQ(e.target.value)} />
      {query && !ordered.length ? <p className="muted small">No fact matches “{q}”.</p> : null}
      {ordered.map(([grp, inputs]) => (
        <fieldset key={grp}>
          <legend>{grp.replace(/-/g, ' ')}</legend>
          {inputs.map((i) => (
            <FactField key={i.id} input={i} value={facts[i.id]}
              onChange={(v) => { const next = { ...facts }; if (v === undefined) delete next[i.id]; else next[i.id] = v; onChange(next); }} />
          ))}
        </fieldset>
      ))}
    </div>
  );
}

export function run(g: Guideline, facts: Record<string, JsonValue>): { result?: EvaluationResult; error?: string } {
  try { return { result: evaluate(g, facts, { trace: true }) }; } catch (e) {
    if (e instanceof EngineError) return { error: e.message };
    return { error: String(e) };
  }
}

/**
 * The patient's recommendations (recommend(), the same view as `guideline recommend`): one item per
 * intervention, conflicts marked, advice against and statements apart, then what to ask next.
 */
function Recommendations({ g, result }: { g: Guideline; result: EvaluationResult }) {
  const p = useMemo(() => recommendFromResult(g, result), [g, result]);
  return (
    <div data-testid="recommendations">
      <h4>Recommendations ({p.recommendations.length})</h4>
      <ul className="outcomes">
        {p.recommendations.map((i) => (
          <li key={`${i.rule}.${i.clause}.${i.intervention}`} className={i.conflict ? 'applies conflict' : 'applies'} data-intervention={i.intervention}>
            <Grade grade={i.grade} /> <b>{i.label}</b> <span className="meta">{i.role === 'primary' ? 'primary' : i.action} · {i.source}{i.alsoBy?.length ? ` · also ${i.alsoBy.length} more` : ''}</span>{i.conflict ? <span className="pill undecided"> conflict</span> : null}
          </li>
        ))}
      </ul>
      {p.conflicts.length ? (
        <ul className="outcomes" data-group="conflicts">
          {p.conflicts.map((c) => <li key={`${c.offeredBy}|${c.against}`} className="undecided">⚠ {p.recommendations.find((i) => i.intervention === c.intervention)?.label ?? humanize(g, c.intervention)}: {humanize(g, c.reason)}</li>)}
        </ul>
      ) : null}
      {p.against.length ? (
        <>
          <h4>Advised against ({p.against.length})</h4>
          <ul className="outcomes">{p.against.map((i) => <li key={`${i.rule}.${i.clause}`} className="does-not-apply"><Grade grade={i.grade} /> {i.label} <span className="meta">{i.source}</span></li>)}</ul>
        </>
      ) : null}
      {p.askNext.length ? (
        <>
          <h4>Ask next</h4>
          <ol className="ask-next" data-group="ask-next">{p.askNext.slice(0, 5).map((q) => <li key={q.fact} data-fact={q.fact}>{q.question} <span className="meta">(decides {q.decides}, helps {q.involved})</span></li>)}</ol>
        </>
      ) : null}
      {p.statements.length ? (
        <details data-group="statements"><summary><b>Statements of evidence ({p.statements.length})</b></summary>
          <ul className="outcomes">{p.statements.map((st) => <li key={`${st.rule}.${st.clause}`}><Grade grade={st.grade} /> {st.source}: {st.label}</li>)}</ul>
        </details>
      ) : null}
    </div>
  );
}

/** The result: what the case is about first, then the recommendations, then the rest collapsed. */
export function ResultSummary({ g, result, focus = [] }: { g: Guideline; result: EvaluationResult; focus?: string[] }) {
  const rules = g.nodes.filter(isRule);
  const by = (s: string) => rules.filter((r) => result.rules[r.id]?.status === s);
  const defs = new Map(g.nodes.filter((n) => n.kind === 'definition').map((d) => [d.id, d]));
  const focusDefs = focus.filter((id) => defs.has(id) && result.values[id]);
  const focusRules = rules.filter((r) => focus.includes(r.id) && result.rules[r.id]);
  const publicDefs = g.nodes.filter((n) => n.kind === 'definition' && n.public && !focusDefs.includes(n.id));
  const knownDefs = publicDefs.filter((d) => !result.values[d.id]?.missing);
  const undecidedDefs = publicDefs.filter((d) => result.values[d.id]?.missing);
  const notApplying = by('does-not-apply');
  const undecidedRules = by('undecided');
  const outside = by('not-in-population');
  const row = (id: string) => {
    const v = result.values[id];
    return <tr key={id} data-value={id}><td>{defs.get(id)?.title ?? id}</td><td className={v?.missing ? 'undecided-text' : ''}>{showValue(g, id, v?.missing ? { undecided: v.missing } : v?.value)}</td></tr>;
  };
  const needs = (missing: string[] | undefined) => needsText(g, missing);
  return (
    <div className="result">
      {focusDefs.length || focusRules.length ? (
        <>
          <h4>What this case is about</h4>
          {focusDefs.length ? <table className="kv focus"><tbody>{focusDefs.map(row)}</tbody></table> : null}
          {focusRules.length ? (
            <ul className="outcomes">
              {focusRules.map((r) => {
                const st = result.rules[r.id].status;
                return <li key={r.id} className={st}><b>{ruleLabel(r, r.id)}</b> <span className={`pill ${st}`}>{STATUS_WORDS[st] ?? st}</span></li>;
              })}
            </ul>
          ) : null}
        </>
      ) : null}
      <Recommendations g={g} result={result} />
      {knownDefs.length ? (
        <>
          <h4>Other derived values ({knownDefs.length})</h4>
          <table className="kv"><tbody>{knownDefs.map((d) => row(d.id))}</tbody></table>
        </>
      ) : null}
      <details data-group="result-undecided"><summary><b>Cannot be decided with these facts ({undecidedRules.length + undecidedDefs.length})</b></summary>
        <ul className="outcomes">
          {undecidedRules.map((r) => <li key={r.id} className="undecided"><b>{ruleLabel(r, r.id)}</b>: needs {needs(result.rules[r.id].missing)}</li>)}
          {undecidedDefs.map((d) => <li key={d.id} className="undecided"><b>{d.title}</b>: needs {needs(result.values[d.id].missing)}</li>)}
        </ul>
      </details>
      <details><summary><b>Does not apply ({notApplying.length})</b></summary>
        <ul className="outcomes">{notApplying.map((r) => <li key={r.id} className="does-not-apply">{ruleLabel(r, r.id)}</li>)}</ul>
      </details>
      {outside.length ? (
        <details data-group="result-outside"><summary><b>Not for this patient: outside the rule's population ({outside.length})</b></summary>
          <ul className="outcomes">{outside.map((r) => <li key={r.id} className="not-in-population">{ruleLabel(r, r.id)} <span className="meta">({factName(g, result.rules[r.id].population ?? '')})</span></li>)}</ul>
        </details>
      ) : null}
    </div>
  );
}

/** Choosing the expected outcome of a new case: the committee member ticks what they verified. */
export function NewCaseForm({ g, facts, onSave, onCancel, chapter: initialChapter = '' }: { g: Guideline; facts: Record<string, JsonValue>; onSave: (path: string, c: Case) => void; onCancel: () => void; chapter?: string }) {
  const { result } = useMemo(() => run(g, facts), [g, facts]);
  const chapters = g.manifest.chapters;
  const [title, setTitle] = useState('');
  // No default chapter for a new patient (the member says where the case belongs); a copy of a case stays in its chapter.
  const [chapter, setChapter] = useState(chapters.some((c) => c.id === initialChapter) ? initialChapter : '');
  const candidates = useMemo(() => {
    if (!result) return [] as { key: string; label: string; kind: 'values' | 'outcomes'; value: JsonValue; checked: boolean }[];
    const out: { key: string; label: string; kind: 'values' | 'outcomes'; value: JsonValue; checked: boolean }[] = [];
    for (const d of g.nodes) if (d.kind === 'definition' && d.public && result.values[d.id]?.value !== undefined) out.push({ key: d.id, label: `${d.title} = ${showValue(g, d.id, result.values[d.id].value)}`, kind: 'values', value: result.values[d.id].value!, checked: false });
    for (const r of g.nodes.filter(isRule)) {
      const s = result.rules[r.id]?.status;
      if (s) out.push({ key: r.id, label: `${outcomeLabel(g, r.id)} ${STATUS_WORDS[s]}`, kind: 'outcomes', value: s, checked: false });
    }
    return out;
  }, [g, result]);
  const [checked, setChecked] = useState<Record<string, boolean>>({});
  const isChecked = (k: string, d: boolean) => checked[k] ?? d;
  const id = slug(title);
  const exists = g.cases.some((c) => c.id === id);
  const ticked = candidates.filter((c) => isChecked(`${c.kind}.${c.key}`, c.checked)).length;
  const ready = title.trim().length >= 10 && !exists && chapter !== '' && ticked > 0;
  return (
    <div className="new-case" data-testid="new-case">
      <h4>Save this patient as a regression case</h4>
      <label>Describe the case as a sentence a clinician can verify<input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="A Child-Pugh A patient with a single 3 cm tumor gets resection." /></label>
      <div className="muted small">File: cases/{chapter}/{id || '…'}.json {exists ? <b className="error-text">(a case with this name exists)</b> : null}</div>
      <label>Chapter<select data-testid="new-case-chapter" value={chapter} onChange={(e) => setChapter(e.target.value)}><option value="">Choose the chapter…</option>{chapters.map((c) => <option key={c.id} value={c.id}>{c.title}</option>)}</select></label>
      <p className="muted small">Tick each result you have checked against the guideline and expect; only those become the case’s expected outcome (nothing is ticked for you). {ticked} ticked.</p>
      <ul className="expect-list">
        {candidates.map((c) => {
          const k = `${c.kind}.${c.key}`;
          return <li key={k}><label><input type="checkbox" checked={isChecked(k, c.checked)} onChange={(e) => setChecked({ ...checked, [k]: e.target.checked })} /> {c.label}</label></li>;
        })}
      </ul>
      <div className="buttons">
        <button className="primary" disabled={!ready} onClick={() => {
          const expect: Case['expect'] = {};
          for (const c of candidates) {
            if (!isChecked(`${c.kind}.${c.key}`, c.checked)) continue;
            if (c.kind === 'values') (expect.values ??= {})[c.key] = c.value;
            else (expect.outcomes ??= {})[c.key] = c.value as never;
          }
          onSave(`cases/${chapter}/${id}.json`, { id, title: title.trim(), facts, expect });
        }}>Save case</button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}

/** The node ids a case is about: what its expectations name, in their order, then what a draft changed. */
export function focusOf(doc: Case, changed: string[] = []): string[] {
  const e = doc.expect ?? {};
  const ids = [
    ...Object.keys(e.values ?? {}), ...Object.keys(e.outcomes ?? {}).map((k) => k.split('.')[0]),
    ...Object.keys(e.undecided ?? {}), ...Object.keys(e.missing ?? {}).map((k) => k.split('.')[0]),
    ...changed,
  ];
  return [...new Set(ids)];
}

export function CaseView({ g, doc, onFacts, onSaveNew, adhoc, changed = [] }: {
  g: Guideline; doc: Case; adhoc: boolean;
  /** node ids the current drafts change (shown first in the trace with the expectations) */
  changed?: string[];
  onFacts: (facts: Record<string, JsonValue>) => void;
  onSaveNew: (path: string, c: Case) => void;
}) {
  const facts = (doc.facts ?? {}) as Record<string, JsonValue>;
  const { result, error } = useMemo(() => run(g, facts), [g, facts]);
  const mismatches = result && !adhoc ? compareExpectations(doc, result) : [];
  const [saving, setSaving] = useState(false);
  return (
    <div className="case-view">
      <div className="case-left">
        <h4>Patient facts</h4>
        <p className="muted small">Units as shown; values outside the plausible range are refused. Leave a fact “not known” to see what it would decide.</p>
        <FactsForm g={g} facts={facts} onChange={onFacts} />
      </div>
      <div className="case-right">
        {error ? <div className="banner error">These facts cannot be evaluated: <pre>{error}</pre></div> : null}
        {result && !adhoc ? (
          mismatches.length === 0
            ? <div className="banner ok" data-testid="expect-ok">All {Object.values(doc.expect ?? {}).reduce((n, x) => n + Object.keys(x ?? {}).length, 0)} expected results hold with the current draft.</div>
            : <div className="banner error" data-testid="expect-fail"><b>{mismatches.length} expected result{mismatches.length > 1 ? 's' : ''} no longer hold{mismatches.length > 1 ? '' : 's'}:</b>
                <ul>{mismatches.map((m) => {
                  const [kind, ...rest] = m.key.split('.');
                  const id = rest.join('.');
                  const what = kind === 'values' || kind === 'undecided' ? g.nodes.find((n) => n.id === id)?.title ?? id : outcomeLabel(g, id);
                  const show = (v: JsonValue) => kind === 'values' ? showValue(g, id, v as never) : typeof v === 'string' ? STATUS_WORDS[v] ?? v : JSON.stringify(v);
                  return <li key={m.key} data-key={m.key}>{what}{kind === 'missing' ? ' (missing facts)' : ''}: expected <b>{show(m.expected)}</b>, now <b>{show(m.actual)}</b></li>;
                })}</ul></div>
        ) : null}
        {result ? (
          <>
            {saving ? <NewCaseForm g={g} facts={facts} chapter={adhoc ? '' : g.origins[`case:${doc.id}`]?.folder.split('/')[0]} onSave={(p, c) => { onSaveNew(p, c); setSaving(false); }} onCancel={() => setSaving(false)} />
              : <button className="save-new" onClick={() => setSaving(true)}>{adhoc ? 'Save this patient as a new case…' : 'Save as a new case…'}</button>}
            <ResultSummary g={g} result={result} focus={focusOf(doc, changed)} />
            <h4>How the result was reached</h4>
            <p className="muted small">Highlighted: the parts that decided the result. Open a line to see the values it used; ↳ marks what a value is computed from.</p>
            <TraceTree g={g} result={result} focus={focusOf(doc, changed)}
              focusNote={changed.length ? 'its expected results, what your draft changed, and what they are computed from' : adhoc ? 'what your draft changed and what it is computed from' : 'its expected results and what they are computed from'} />
          </>
        ) : null}
      </div>
    </div>
  );
}
