// Delete the open item, with its impact shown first: which nodes read it, which cases name it, and
// which regression cases would change (compare() of the draft with and without it). The server
// deletes only if the guideline still passes every check without the file.
// Selectors: data-testid="delete-start", "delete-impact" (data-refs, data-cases, data-changed),
// "delete-refs", "delete-cases", "delete-changed" (.impact-case[data-case]), "confirm-delete".
import { ProblemList } from '../ProblemList.tsx';
import { useEffect, useRef, useState } from 'react';
import { compare } from '../../engine/authoring/index.ts';
import type { Finding, Guideline, JsonValue } from '../../engine/runtime/index.ts';
import { send } from '../api.ts';
import { outcomeLabel, ruleLabel, STATUS_WORDS } from '../model.ts';

type Doc = Record<string, unknown>;

/** Every name read by {"var": ...} in a JSON value. */
function varsOf(l: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(l)) { for (const x of l) varsOf(x, out); return out; }
  if (!l || typeof l !== 'object') return out;
  for (const [k, v] of Object.entries(l)) {
    if (k === 'var') {
      const raw = Array.isArray(v) ? v[0] : v;
      if (typeof raw === 'string') out.add(raw.split('.')[0]);
      else varsOf(v, out);
    } else varsOf(v, out);
  }
  return out;
}

export interface DeleteImpact { refs: string[]; cases: string[]; changed: ReturnType<typeof compare>['changed']; done: number; total: number; error?: string }

/** Who reads the item and which cases name it (immediate); the cases that change come in chunks. */
export function deleteRefs(g: Guideline, doc: Doc, path: string): { refs: string[]; cases: string[] } {
  const id = String(doc.id ?? '');
  if (path.startsWith('cases/')) return { refs: [], cases: [] };
  const refs: string[] = [];
  for (const n of g.nodes) {
    if (n.id === id) continue;
    const reads = varsOf(n.kind === 'definition' ? n.expr : n.kind === 'invariant' ? n.when : n.kind === 'table' ? null : (n as { clauses: unknown }).clauses);
    if (reads.has(id) || (n as { population?: string }).population === id) refs.push(n.id);
  }
  for (const c of g.manifest.chapters) if (c.population === id) refs.push(`manifest.json (chapter ${c.title})`);
  const cases = g.cases.filter((c) => id in c.facts || id in (c.expect.values ?? {}) || id in (c.expect.undecided ?? {})
    || Object.keys({ ...c.expect.outcomes, ...c.expect.missing }).some((k) => k.split('.')[0] === id)
    || Object.values({ ...c.expect.missing, ...c.expect.undecided }).some((list) => (list as string[]).includes(id))).map((c) => c.id);
  return { refs, cases };
}

/** The guideline without the file's item. */
export function withoutFile(g: Guideline, path: string): Guideline {
  return { ...g, inputs: g.inputs.filter((i) => g.origins[`input:${i.id}`]?.file !== path), nodes: g.nodes.filter((n) => g.origins[`node:${n.id}`]?.file !== path) };
}

const CHUNK = 16;

export function DeletePanel({ g, version, path, doc, onDeleted }: { g: Guideline; version: string | undefined; path: string; doc: Doc; onDeleted: (path: string) => void }) {
  const [impact, setImpact] = useState<DeleteImpact | null>(null);
  const [refused, setRefused] = useState<{ text: string; findings?: Finding[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useRef(0);
  useEffect(() => () => { run.current++; }, []);
  const start = () => {
    setRefused(null);
    const { refs, cases } = deleteRefs(g, doc, path);
    const n = ++run.current;
    // Nothing to compare when others read it (the deletion is refused) or for a case file.
    if (refs.length || cases.length || path.startsWith('cases/')) { setImpact({ refs, cases, changed: [], done: 0, total: 0 }); return; }
    const without = withoutFile(g, path);
    const all = [...g.cases].sort((a, b) => (a.id < b.id ? -1 : 1));
    const acc: DeleteImpact = { refs, cases, changed: [], done: 0, total: all.length };
    setImpact({ ...acc });
    // In chunks, so the page stays responsive while the cases are compared.
    const step = (i: number) => {
      if (run.current !== n) return;
      try {
        // A removed rule disappears from every case; what matters is where it applied or was undecided.
        for (const c of compare(g, without, all.slice(i, i + CHUNK)).changed) {
          const outcomes = c.outcomes.filter((o) => !(o.after === 'absent' && (o.before === 'not-in-population' || o.before === 'does-not-apply')));
          if (outcomes.length || c.values.length || c.error) acc.changed.push({ ...c, outcomes });
        }
      } catch (e) { acc.error = (e as Error).message; acc.done = acc.total; setImpact({ ...acc }); return; }
      acc.done = Math.min(acc.total, i + CHUNK);
      setImpact({ ...acc, changed: [...acc.changed] });
      if (acc.done < acc.total) setTimeout(() => step(i + CHUNK), 0);
    };
    setTimeout(() => step(0), 0);
  };
  const saved = version !== undefined;
  const name = String(doc.title ?? doc.id ?? path);
  const label = (id: string) => ruleLabel(g.nodes.find((n) => n.id === id), id);

  const confirm = async () => {
    if (!saved) { onDeleted(path); return; } // only a draft: dropping it is the whole deletion
    setBusy(true);
    const res = await send(`/api/files/${path}`, 'DELETE', { version });
    const body = await res.json().catch(() => ({}));
    setBusy(false);
    if (res.ok) onDeleted(path);
    else setRefused({ text: body.error ?? `the server answered ${res.status}`, findings: body.findings });
  };

  return (
    <fieldset className="nf-delete" data-testid="delete-panel">
      <legend>Delete</legend>
      {!impact ? (
        <button type="button" data-testid="delete-start" onClick={start}>Delete “{name}”…</button>
      ) : (
        <div data-testid="delete-impact" data-refs={impact.refs.length} data-cases={impact.cases.length} data-changed={impact.changed.length} data-done={impact.done >= impact.total ? 'true' : 'false'}>
          <p><b>Before you delete {name}:</b></p>
          {impact.refs.length ? (
            <div data-testid="delete-refs"><p>{impact.refs.length} item(s) read it; they must stop reading it first, or the deletion is refused:</p>
              <ul>{impact.refs.map((r) => <li key={r} data-ref={r}>{label(r)} <code>{r}</code></li>)}</ul></div>
          ) : <p data-testid="delete-no-refs">Nothing else reads it.</p>}
          {impact.cases.length ? (
            <div data-testid="delete-cases"><p>{impact.cases.length} case(s) name it in their facts or expectations and must be edited first:</p>
              <ul>{impact.cases.map((c) => <li key={c}><code>{c}</code></li>)}</ul></div>
          ) : null}
          {impact.done < impact.total ? <p className="muted" data-testid="delete-progress">Comparing the regression cases… {impact.done} of {impact.total}</p> : null}
          {impact.total === 0 && (impact.refs.length || impact.cases.length) ? <p className="muted">Which cases would change is computed once nothing refers to it any more.</p> : impact.error ? <div className="banner error">Its impact cannot be computed: {impact.error}</div> : impact.changed.length ? (
            <div data-testid="delete-changed"><p>{impact.changed.length} regression case(s) lose a result that applies or is undecided today (cases where it does not apply or is not for the patient are not listed):</p>
              <ul className="impact-list">{impact.changed.map((c) => (
                <li key={c.id} className="impact-case" data-case={c.id}><div className="impact-title">{c.title}</div>
                  <ul>{c.outcomes.map((o) => <li key={o.key}>{outcomeLabel(g, o.key)} {STATUS_WORDS[o.before] ?? o.before} → {STATUS_WORDS[o.after] ?? o.after}</li>)}
                    {c.values.map((v) => <li key={v.id}>{label(v.id)}: {JSON.stringify(v.before as JsonValue)} → {JSON.stringify(v.after as JsonValue)}</li>)}</ul>
                </li>))}</ul></div>
          ) : impact.done >= impact.total ? <p data-testid="delete-none-changed">No regression case changes its outcome.</p> : null}
          <div className="buttons">
            <button type="button" className="danger" data-testid="confirm-delete" disabled={busy || impact.done < impact.total} onClick={confirm}>{saved ? `Delete ${path}` : 'Drop this new draft'}</button>
            <button type="button" onClick={() => { setImpact(null); setRefused(null); }}>Cancel</button>
          </div>
          {refused ? (
            <div className="banner error" data-testid="delete-refused">{refused.text}
              {refused.findings?.length ? <ProblemList findings={refused.findings} className="notice-problems" /> : null}
            </div>
          ) : null}
        </div>
      )}
    </fieldset>
  );
}
