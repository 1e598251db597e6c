// The open document as a form, beside Monaco: statement, clauses (grade, action, condition
// builder), descriptions, citations and interpretations; for an input its dictionary entry.
// Every change gives a new document, which the app turns into a draft exactly as typing in Monaco
// does (same draft, same live impact). Selectors: data-testid="node-form"; fields carry
// aria-labels ("Statement", "Grade of clause a", "Quote 1"...).
import { useMemo, useState, type ReactNode } from 'react';
import type { Guideline, JsonValue } from '../../engine/runtime/index.ts';
import { Readable } from '../Readable.tsx';
import { ConditionBuilder, NumberField } from './ConditionBuilder.tsx';
import { DeletePanel } from './DeletePanel.tsx';
import './builder.css';
import { dictOf, setAt } from './logic.ts';

type Doc = Record<string, unknown>;
const GRADES = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'D1', 'D2'];
const ACTIONS: [string, string][] = [['recommend', 'Recommended'], ['consider', 'May be considered'], ['not-recommended', 'Not recommended'], ['information', 'Information']];
const CATEGORIES: [string, string][] = [
  ['undefined-term', 'Term the guideline leaves undefined'], ['source-discrepancy', 'The source contradicts itself'], ['missing-source', 'Source material missing'],
  ['text-repair', 'Text repaired'], ['scope', 'Scope decision'], ['judgement', 'Encoder’s judgement'],
];

let lastTab: 'words' | 'form' = 'words';

/** The readable pane: "In words" (the plain reading) or "Edit as form". */
export function NodeSide({ doc, g, version, path, onDoc, onDeleted }: { doc: Doc; g: Guideline; version: string | undefined; path: string; onDoc: (d: Doc) => void; onDeleted: (path: string) => void }) {
  const [tab, setTab] = useState(lastTab);
  const choose = (t: typeof tab) => { lastTab = t; setTab(t); };
  return (
    <>
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'words'} className={tab === 'words' ? 'on' : ''} data-testid="tab-words" onClick={() => choose('words')}>In words</button>
        <button role="tab" aria-selected={tab === 'form'} className={tab === 'form' ? 'on' : ''} data-testid="tab-form" onClick={() => choose('form')}>Edit as form</button>
      </div>
      {tab === 'words' ? <Readable doc={doc} g={g} /> : <NodeForm key={path} doc={doc} g={g} version={version} path={path} onDoc={onDoc} onDeleted={onDeleted} />}
    </>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return <label className="nf-field"><span className="nf-label">{label}</span>{children}</label>;
}

export function NodeForm({ doc, g, version, path, onDoc, onDeleted }: { doc: Doc; g: Guideline; version: string | undefined; path: string; onDoc: (d: Doc) => void; onDeleted: (path: string) => void }) {
  const dict = useMemo(() => dictOf(g), [g]);
  const set = (pointer: string, v: JsonValue | undefined) => onDoc(setAt(doc, pointer, v));
  /** an optional text member: empty removes it */
  const text = (pointer: string, label: string, value: unknown, rows = 1, optional = true) => {
    const onChange = (s: string) => set(pointer, s === '' && optional ? undefined : s);
    return (
      <Field label={label}>
        {rows > 1
          ? <textarea aria-label={label} rows={rows} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} />
          : <input type="text" aria-label={label} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} />}
      </Field>
    );
  };
  const builder = (pointer: string, logic: unknown, unit?: string) => (
    <ConditionBuilder logic={logic as JsonValue} pointer={pointer} dict={dict} path={path} unit={unit} onChange={(l) => set(pointer, l)} />
  );
  const kind = doc.kind as string | undefined;
  const body: ReactNode[] = [];

  if (kind === 'recommendation' || kind === 'practice-point') {
    body.push(text('/statement', 'Statement', doc.statement, 4, false));
    if (kind === 'practice-point') body.push(text('/title', 'Title', doc.title, 1, false));
    const clauses = (doc.clauses as { id: string; text: string; grade: string | null; when: unknown; action: Record<string, unknown> }[]) ?? [];
    clauses.forEach((c, i) => {
      const p = `/clauses/${i}`;
      body.push(
        <fieldset className="nf-clause" key={`clause-${i}`} data-clause={c.id}>
          <legend>Clause {c.id}</legend>
          {text(`${p}/text`, `Text of clause ${c.id}`, c.text, 2, false)}
          <div className="nf-inline">
            <Field label={`Grade of clause ${c.id}`}>
              <select aria-label={`Grade of clause ${c.id}`} value={c.grade ?? ''} disabled={kind === 'practice-point'} onChange={(e) => set(`${p}/grade`, e.target.value === '' ? null : e.target.value)}>
                <option value="">ungraded</option>
                {GRADES.map((x) => <option key={x} value={x}>{x}</option>)}
              </select>
            </Field>
            <Field label={`Action of clause ${c.id}`}>
              <select aria-label={`Action of clause ${c.id}`} value={String(c.action?.type ?? '')} onChange={(e) => set(`${p}/action/type`, e.target.value)}>
                {ACTIONS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
              </select>
            </Field>
            <Field label={`Role of clause ${c.id}`}>
              <select aria-label={`Role of clause ${c.id}`} value={String(c.action?.role ?? '')} onChange={(e) => set(`${p}/action/role`, e.target.value === '' ? undefined : e.target.value)}>
                <option value="">(none)</option><option value="primary">primary</option><option value="alternative">alternative</option>
              </select>
            </Field>
          </div>
          <div className="nf-inline">
            {text(`${p}/action/label`, `Intervention label of clause ${c.id}`, c.action?.label, 1, false)}
            {text(`${p}/action/intervention`, `Intervention code of clause ${c.id}`, c.action?.intervention, 1, false)}
          </div>
          {Array.isArray(c.action?.options) ? <div className="muted small">{(c.action.options as unknown[]).length} options (edit them in JSON).</div> : null}
          <div className="nf-label">Applies when</div>
          {builder(`${p}/when`, c.when)}
        </fieldset>,
      );
    });
    body.push(<button key="add-clause" type="button" onClick={() => {
      const ids = new Set(clauses.map((c) => c.id));
      const id = 'abcdefghijklmnopqrstuvwxyz'.split('').find((x) => !ids.has(x)) ?? `c${clauses.length + 1}`;
      const last = clauses[clauses.length - 1];
      set(`/clauses/${clauses.length}`, { id, text: '', grade: kind === 'practice-point' ? null : last?.grade ?? 'B2', when: (last?.when ?? true) as JsonValue, action: { ...(last?.action ?? { type: 'recommend', intervention: '', label: '' }), options: undefined } as unknown as JsonValue });
    }}>+ clause</button>);
  } else if (kind === 'definition') {
    body.push(text('/title', 'Title', doc.title, 1, false));
    body.push(text('/description', 'Description', doc.description, 3));
    body.push(<div key="expr"><div className="nf-label">Computed as</div>{builder('/expr', doc.expr, doc.unit as string | undefined)}</div>);
  } else if (kind === 'invariant') {
    body.push(text('/title', 'Title', doc.title, 1, false));
    body.push(text('/reason', 'Reason', doc.reason, 3, false));
    body.push(<div key="when"><div className="nf-label">For every patient for whom</div>{builder('/when', doc.when)}<div className="muted small">What it forbids or requires: edit “forbid” / “require” in JSON.</div></div>);
  } else if (kind === 'input') {
    body.push(text('/title', 'Title', doc.title, 1, false));
    body.push(text('/description', 'Description', doc.description, 3, false));
    if (doc.type === 'number') {
      body.push(
        <div className="nf-inline" key="range">
          {text('/unit', 'Unit', doc.unit)}
          <Field label="Plausible minimum"><NumberField value={Number(doc.minimum ?? 0)} label="Plausible minimum" testId="input-minimum" onChange={(v) => set('/minimum', v)} /></Field>
          <Field label="Plausible maximum"><NumberField value={Number(doc.maximum ?? 0)} label="Plausible maximum" testId="input-maximum" onChange={(v) => set('/maximum', v)} /></Field>
        </div>,
      );
    }
    body.push(text('/hint', 'Hint shown with input errors', doc.hint, 2));
  } else {
    return <div className="banner">This document has no form; edit it in JSON.</div>;
  }

  // citations and interpretations (every kind but a table)
  const citations = (doc.citations as Record<string, unknown>[] | undefined) ?? [];
  body.push(
    <fieldset className="nf-citations" key="citations">
      <legend>Source in the guideline</legend>
      {citations.map((c, i) => (
        <div className="nf-citation" key={i}>
          <Field label={`Section ${i + 1} (one heading per line)`}>
            <textarea aria-label={`Section ${i + 1}`} rows={2} value={((c.section as string[]) ?? []).join('\n')} onChange={(e) => set(`/citations/${i}/section`, e.target.value.split('\n'))} />
          </Field>
          <div className="nf-inline">
            {text(`/citations/${i}/recommendation`, `Recommendation ${i + 1}`, c.recommendation)}
            {text(`/citations/${i}/table`, `Table ${i + 1}`, c.table)}
            {text(`/citations/${i}/figure`, `Figure ${i + 1}`, c.figure)}
          </div>
          {text(`/citations/${i}/quote`, `Quote ${i + 1}`, c.quote, 2)}
          <button type="button" className="link" onClick={() => set(`/citations/${i}`, undefined)}>remove this source</button>
        </div>
      ))}
      <button type="button" onClick={() => set(`/citations/${citations.length}`, { section: [g.manifest.chapters[0]?.section ?? ''] })}>+ source</button>
    </fieldset>,
  );
  if (kind !== 'input' || doc.interpretations) {
    const items = (doc.interpretations as Record<string, unknown>[] | undefined) ?? [];
    body.push(
      <fieldset className="nf-interpretations" key="interpretations">
        <legend>Interpretations made by the encoding</legend>
        {items.map((x, i) => (
          <div className="nf-interpretation" key={i}>
            <Field label={`Category of interpretation ${i + 1}`}>
              <select aria-label={`Category of interpretation ${i + 1}`} value={String(x.category)} onChange={(e) => set(`/interpretations/${i}/category`, e.target.value)}>
                {CATEGORIES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
              </select>
            </Field>
            {text(`/interpretations/${i}/about`, `What interpretation ${i + 1} is about (a JSON pointer)`, x.about)}
            {text(`/interpretations/${i}/text`, `What was decided (interpretation ${i + 1})`, x.text, 2, false)}
            {text(`/interpretations/${i}/reason`, `Why (interpretation ${i + 1})`, x.reason, 2, false)}
            <button type="button" className="link" onClick={() => set(items.length === 1 ? '/interpretations' : `/interpretations/${i}`, undefined)}>remove this interpretation</button>
          </div>
        ))}
        <button type="button" onClick={() => set(items.length ? `/interpretations/${items.length}` : '/interpretations', items.length ? { category: 'judgement', text: '', reason: '' } : [{ category: 'judgement', text: '', reason: '' }])}>+ interpretation</button>
      </fieldset>,
    );
  }
  return (
    <div className="node-form" data-testid="node-form">
      {body}
      <DeletePanel g={g} version={version} path={path} doc={doc} onDeleted={onDeleted} />
    </div>
  );
}
