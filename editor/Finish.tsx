// Finishing a change: the editor's saves go through POST /api/save (engine/node/server/finish.ts),
// which refuses a save that would leave a regression case failing. When the change moves cases,
// this dialog lists each new result, unticked; the member ticks each one they have verified, and
// only when all are ticked does "Accept and save" send the acceptances: the server then rewrites
// those cases' expectations and golden traces in the same atomic save.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Finding, Guideline, JsonValue } from '../engine/runtime/index.ts';
import { send } from './api.ts';
import type { Draft } from './drafts.ts';
import { outcomeLabel, showValue, STATUS_WORDS } from './model.ts';

export interface Written { path: string; text: string; version: string }
interface MovedCase { id: string; title: string; path: string; changes: { key: string; expected: JsonValue; actual: JsonValue }[] }
interface FailingCase { id: string; title: string; problems: string[] }
export interface Conflict { path: string; version: string | null; text: string | null; mine: string }
interface Accepted { case: string; key: string; value: JsonValue }

export type SaveAnswer =
  | { kind: 'saved'; written: Written[]; accepted: string[]; goldens: string[]; warnings: Finding[] }
  | { kind: 'moved'; error: string; moved: MovedCase[]; failing: FailingCase[] }
  | { kind: 'conflict'; error: string; conflicts: Conflict[] }
  | { kind: 'error'; error: string; findings?: Finding[] };

export async function saveChanges(changes: { path: string; text: string; version: string | null }[], accept: Accepted[] = []): Promise<SaveAnswer> {
  let res: Response;
  try { res = await send('/api/save', 'POST', { changes, accept }); } catch {
    return { kind: 'error', error: 'The local server is not running (start it with npm start). Your edit is kept as a draft in this browser.' };
  }
  const body = await res.json().catch(() => ({ error: `the server answered ${res.status}` }));
  if (res.ok) return { kind: 'saved', written: body.written ?? [], accepted: body.accepted ?? [], goldens: body.goldens ?? [], warnings: body.warnings ?? [] };
  if (res.status === 409 && body.conflicts) return { kind: 'conflict', error: body.error, conflicts: body.conflicts };
  if (res.status === 422 && (body.moved || body.failing)) return { kind: 'moved', error: body.error, moved: body.moved ?? [], failing: body.failing ?? [] };
  return { kind: 'error', error: body.error ?? `the server answered ${res.status}`, findings: body.findings };
}

/** "values.child_pugh_class" → the definition's title; "outcomes.tace_1.a" → "TACE 1, clause a". */
function resultLabel(g: Guideline, key: string): string {
  const dot = key.indexOf('.');
  const kind = key.slice(0, dot);
  const id = key.slice(dot + 1);
  if (kind === 'values' || kind === 'undecided') return g.nodes.find((n) => n.id === id)?.title ?? id;
  return `${outcomeLabel(g, id)}${kind === 'missing' ? ' (facts it still needs)' : ''}`;
}
function resultValue(g: Guideline, key: string, v: JsonValue): string {
  const kind = key.slice(0, key.indexOf('.'));
  const id = key.slice(key.indexOf('.') + 1);
  if (kind === 'values') return showValue(g, id, v as never);
  if (kind === 'undecided') return Array.isArray(v) ? `undecided (needs ${v.map((m) => g.inputs.find((i) => i.id === m)?.title ?? m).join(', ')})` : showValue(g, id, (v as { known?: JsonValue })?.known ?? null);
  if (kind === 'missing') return Array.isArray(v) ? (v.length ? v.map((m) => g.inputs.find((i) => i.id === String(m))?.title ?? String(m)).join(', ') : 'nothing') : String(v);
  return typeof v === 'string' ? STATUS_WORDS[v] ?? v : JSON.stringify(v);
}
const tickKey = (c: string, k: string) => `${c}\u0000${k}`;

export function FinishDialog({ g, answer, busy, onAccept, onCancel, onOpenCase }: {
  g: Guideline; answer: Extract<SaveAnswer, { kind: 'moved' }>; busy: boolean;
  onAccept: (accept: Accepted[]) => void; onCancel: () => void; onOpenCase: (id: string) => void;
}) {
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => { setTicked(new Set()); }, [answer]);
  useEffect(() => { first.current?.focus(); }, []);
  const all = answer.moved.flatMap((m) => m.changes.map((c) => ({ case: m.id, key: c.key, value: c.actual })));
  const done = all.filter((a) => ticked.has(tickKey(a.case, a.key))).length;
  const ready = !answer.failing.length && done === all.length && all.length > 0;
  return (
    <div className="finish-backdrop" onKeyDown={(e) => { if (e.key === 'Escape') onCancel(); }}>
      <div className="finish-dialog" role="dialog" aria-modal="true" aria-labelledby="finish-title" data-testid="finish-dialog">
        <h3 id="finish-title">{answer.moved.length ? 'This change moves regression cases' : 'This change cannot be saved'}</h3>
        {answer.failing.length ? (
          <div className="banner error" data-testid="finish-failing">
            <b>Refused: {answer.failing.length} case{answer.failing.length > 1 ? 's' : ''} would fail, and a failing case cannot be accepted.</b> Change the edit or the case first.
            <ul>{answer.failing.map((f) => <li key={f.id}><button className="link" onClick={() => onOpenCase(f.id)}>{f.title}</button> : {f.problems.join('; ')}</li>)}</ul>
          </div>
        ) : null}
        {answer.moved.length ? (
          <>
            <p className="small">Each result below would change. Tick each new result you have checked against the guideline’s text; accepting it rewrites that case’s expected results and its golden trace in the same save. Nothing is ticked for you. <b>{done} of {all.length} accepted.</b></p>
            {answer.moved.map((m) => (
              <section key={m.id} className="finish-case" data-case={m.id}>
                <div className="finish-case-title"><b>{m.title}</b> <span className="muted small">{m.path}</span> <button className="link" onClick={() => onOpenCase(m.id)}>open the case</button></div>
                <ul>
                  {m.changes.map((c) => {
                    const k = tickKey(m.id, c.key);
                    return (
                      <li key={c.key}>
                        <label>
                          <input type="checkbox" data-key={c.key} checked={ticked.has(k)}
                            onChange={(e) => setTicked((prev) => { const next = new Set(prev); if (e.target.checked) next.add(k); else next.delete(k); return next; })} />
                          {' '}{resultLabel(g, c.key)}: was <b>{resultValue(g, c.key, c.expected)}</b>, now <b>{resultValue(g, c.key, c.actual)}</b>
                        </label>
                      </li>
                    );
                  })}
                </ul>
              </section>
            ))}
          </>
        ) : null}
        <div className="buttons">
          <button className="primary" data-testid="finish-accept" disabled={!ready || busy} onClick={() => onAccept(all)}>
            {busy ? 'Saving…' : `Accept ${all.length} new result${all.length === 1 ? '' : 's'} and save`}
          </button>
          <button ref={first} onClick={onCancel} data-testid="finish-cancel">Cancel (keep the draft)</button>
        </div>
      </div>
    </div>
  );
}

/**
 * The save of the editor: `save(paths)` sends those drafts as one change. A save that moves
 * cases opens the dialog; the rest is reported through the callbacks.
 */
export function useFinish({ g, drafts, onSaved, onConflict, onError, onOpenCase }: {
  g: Guideline | undefined; drafts: Map<string, Draft>;
  onSaved: (paths: string[], answer: Extract<SaveAnswer, { kind: 'saved' }>) => void;
  onConflict: (paths: string[], answer: Extract<SaveAnswer, { kind: 'conflict' }>) => void;
  onError: (paths: string[], answer: Extract<SaveAnswer, { kind: 'error' }>) => void;
  onOpenCase: (id: string) => void;
}) {
  const [pending, setPending] = useState<{ paths: string[]; changes: { path: string; text: string; version: string | null }[]; answer: Extract<SaveAnswer, { kind: 'moved' }> }>();
  const [busy, setBusy] = useState(false);
  const handle = useCallback((paths: string[], changes: { path: string; text: string; version: string | null }[], a: SaveAnswer) => {
    if (a.kind === 'moved') { setPending({ paths, changes, answer: a }); return; }
    setPending(undefined);
    if (a.kind === 'saved') onSaved(paths, a);
    else if (a.kind === 'conflict') onConflict(paths, a);
    else onError(paths, a);
  }, [onSaved, onConflict, onError]);
  const save = useCallback(async (paths: string[], extra: { path: string; text: string; version: string | null }[] = []) => {
    const changes = [...paths.filter((p) => drafts.has(p)).map((p) => ({ path: p, text: drafts.get(p)!.text, version: drafts.get(p)!.baseVersion })), ...extra];
    if (!changes.length) return;
    setBusy(true);
    try { handle(paths, changes, await saveChanges(changes)); } finally { setBusy(false); }
  }, [drafts, handle]);
  const accept = async (list: Accepted[]) => {
    if (!pending) return;
    setBusy(true);
    try { handle(pending.paths, pending.changes, await saveChanges(pending.changes, list)); } finally { setBusy(false); }
  };
  const dialog = pending && g ? (
    <FinishDialog g={g} answer={pending.answer} busy={busy} onAccept={accept} onCancel={() => setPending(undefined)}
      onOpenCase={(id) => { setPending(undefined); onOpenCase(id); }} />
  ) : null;
  return { save, dialog, busy };
}
