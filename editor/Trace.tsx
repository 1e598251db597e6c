// The evaluation trace as a tree: one branch per node, inside it the expression's parts by JSON
// pointer, each with its value; the parts that decided the result are highlighted. Nodes come in
// three groups: what the case is about (with what it is computed from), the recommendations that
// apply, and everything else (collapsed).
import { describe, formatCitation, vocabularyOf, type EvaluationResult, type Guideline, type GuidelineNode, type JsonValue, type TraceEvent } from '../engine/runtime/index.ts';
import { needsText } from './words.ts';
import { atPointer, isRule, ruleLabel, showValue } from './model.ts';
import { Grade } from './Readable.tsx';

interface TNode { ev: TraceEvent; children: TNode[]; decisive?: boolean }

const isAncestor = (a: string, b: string) => b.startsWith(a + '/');

function truthy(v: JsonValue | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length > 0;
  return !!v;
}

/** Build a pointer tree of one node's expression events. */
function treeOf(events: TraceEvent[]): TNode[] {
  const roots: TNode[] = [];
  const stack: TNode[] = [];
  // Events arrive post-order (children before parents): sort by pointer depth-first instead.
  const sorted = events.map((ev, i) => ({ ev, i })).sort((a, b) => (a.ev.pointer === b.ev.pointer ? a.i - b.i : a.ev.pointer < b.ev.pointer ? -1 : 1));
  for (const { ev } of sorted) {
    const t: TNode = { ev, children: [] };
    while (stack.length && !isAncestor(stack[stack.length - 1].ev.pointer, ev.pointer)) stack.pop();
    if (stack.length) stack[stack.length - 1].children.push(t); else roots.push(t);
    stack.push(t);
  }
  return roots;
}

/** and/or: only the parts that agree with the result decided it; elsewhere every evaluated part did. */
function markDecisive(t: TNode) {
  t.decisive = true;
  const want = truthy(t.ev.value);
  for (const c of t.children) {
    if ((t.ev.op === 'and' || t.ev.op === 'or') && want !== undefined) {
      if (truthy(c.ev.value) === want) markDecisive(c);
    } else if (t.ev.op === 'if' || t.ev.op === '?:') {
      markDecisive(c);
    } else markDecisive(c);
  }
}

function Row({ t, doc, g }: { t: TNode; doc: unknown; g: Guideline }) {
  const vocab = vocabularyOf(g);
  const ev = t.ev;
  let label: string;
  if (ev.type === 'read') label = `${vocab.title(ev.name!)}${ev.source === 'definition' ? ' (derived)' : ''}`;
  else {
    const sub = atPointer(doc, ev.pointer);
    try { label = sub === undefined ? ev.op ?? ev.type : describe(sub as never, vocab); } catch { label = ev.op ?? ev.type; }
  }
  const value = ev.missing ? `unknown (needs ${needsText(g, ev.missing)})` : ev.type === 'read' ? showValue(g, ev.name!, ev.value) : showValue(g, '', ev.value);
  const cls = `trow ${t.decisive ? 'decisive' : ''} ${ev.missing ? 'unknown' : ''}`;
  const body = (
    <span className={cls}><span className="tlabel">{label}</span>{ev.scope ? <span className="muted small"> [{ev.scope}]</span> : null}<span className="tarrow">→</span><span className="tvalue">{value}</span></span>
  );
  if (!t.children.length) return <li>{body}</li>;
  return <li><details open={t.decisive}><summary>{body}</summary><ul>{t.children.map((c, i) => <Row key={i} t={c} doc={doc} g={g} />)}</ul></details></li>;
}

/**
 * The trace, leading with what the case is about: first the nodes `focus` names (the case's
 * expectations, the nodes a draft changed), each followed by the definitions it reads, open; then
 * the rules that apply; then everything else, collapsed, split into known and undecided.
 */
export function TraceTree({ g, result, focus = [], focusNote = 'its expected results and what they are computed from' }: { g: Guideline; result: EvaluationResult; focus?: string[]; focusNote?: string }) {
  const trace = result.trace ?? [];
  const byNode = new Map<string, TraceEvent[]>();
  for (const e of trace) {
    const list = byNode.get(e.node) ?? [];
    list.push(e);
    byNode.set(e.node, list);
  }
  const nodes = new Map<string, GuidelineNode>(g.nodes.map((n) => [n.id, n]));
  const readsOf = (id: string) => [...new Set((byNode.get(id) ?? []).filter((e) => e.type === 'read' && e.source === 'definition' && e.name).map((e) => e.name!))];
  // Decisive nodes: the rules that apply or are undecided, and every definition they read, transitively.
  const decisiveNodes = new Set<string>();
  const visit = (id: string) => {
    if (decisiveNodes.has(id)) return;
    decisiveNodes.add(id);
    for (const r of readsOf(id)) visit(r);
  };
  for (const [id, r] of Object.entries(result.rules)) if (r.status !== 'does-not-apply' && r.status !== 'not-in-population') visit(id);

  // 1. focus nodes and their dependency chains (depth-first, each node once)
  const shown = new Set<string>();
  const focusRows: { id: string; depth: number; usedBy?: string }[] = [];
  const chain = (id: string, depth: number, usedBy?: string) => {
    if (shown.has(id) || !byNode.has(id)) return;
    shown.add(id);
    focusRows.push({ id, depth, usedBy });
    for (const r of readsOf(id)) chain(r, depth + 1, id);
  };
  for (const id of focus) chain(id, 0);
  // 2. rules that apply
  const sortKey = (a: string, b: string) => Number(decisiveNodes.has(b)) - Number(decisiveNodes.has(a)) || (a < b ? -1 : 1);
  const applying = [...byNode.keys()].filter((id) => !shown.has(id) && result.rules[id]?.status === 'applies').sort(sortKey);
  applying.forEach((id) => shown.add(id));
  // 3. everything else: known values and rules that do not apply, then what cannot be decided
  const rest = [...byNode.keys()].filter((id) => !shown.has(id));
  const undecided = (id: string) => {
    const r = result.rules[id];
    if (r) return r.status === 'undecided';
    return !!(byNode.get(id) ?? []).find((e) => e.type === 'definition')?.missing;
  };
  const isRuleId = (id: string) => { const n = nodes.get(id); return !!n && isRule(n); };
  const order = (a: string, b: string) => Number(isRuleId(a)) - Number(isRuleId(b)) || sortKey(a, b);
  const known = rest.filter((id) => !undecided(id)).sort(order);
  const unknown = rest.filter(undecided).sort(order);

  const renderNode = (id: string, opts: { open?: boolean; depth?: number; usedBy?: string } = {}) => {
    const n = nodes.get(id);
    const events = byNode.get(id)!;
    const rule = n && isRule(n) ? result.rules[id] : undefined;
    const head = events.find((e) => e.type === 'definition');
    const exprEvents = events.filter((e) => e.type === 'op' || e.type === 'read');
    let content: TNode[];
    if (rule && n && isRule(n)) {
      content = n.clauses.map((_c, i) => {
        const cev = events.find((e) => e.type === 'clause' && e.pointer === `/clauses/${i}`)!;
        const t: TNode = { ev: cev, children: treeOf(exprEvents.filter((e) => e.pointer.startsWith(`/clauses/${i}/`))) };
        if (cev?.status !== 'does-not-apply') { t.decisive = true; t.children.forEach(markDecisive); }
        return t;
      });
    } else {
      content = treeOf(exprEvents);
      if (decisiveNodes.has(id)) content.forEach(markDecisive);
    }
    const status = rule?.status;
    const title = n ? ruleLabel(n, id) : id;
    const value = head ? (head.missing ? `unknown (needs ${needsText(g, head.missing)})` : showValue(g, id, head.value)) : status ? status.replace(/-/g, ' ') : '';
    const depth = opts.depth ?? 0;
    return (
      <li key={id} className={`tnode ${decisiveNodes.has(id) ? 'decisive' : ''} ${status ?? ''}`} data-node={id} style={depth ? { marginLeft: depth * 18 } : undefined}>
        <details open={opts.open ?? (decisiveNodes.has(id) && !!rule)}>
          <summary>
            {depth ? <span className="tdep" title={`used by ${ruleLabel(nodes.get(opts.usedBy!), opts.usedBy!)}`}>↳ </span> : null}
            <span className="tnode-title">{title}</span> <span className={`pill ${status ?? (head?.missing ? 'undecided' : 'value')}`}>{value}</span>
            {n && n.citations?.[0] ? <span className="muted small cite"> {formatCitation(n.citations[0])}</span> : null}
          </summary>
          <ul>
            {rule && n && isRule(n)
              ? content.map((t, i) => {
                  const c = n.clauses[i];
                  return (
                    <li key={i}>
                      <details open={t.decisive}>
                        <summary><span className={`trow ${t.decisive ? 'decisive' : ''}`}><Grade grade={c.grade} /> {c.action.label} {n.clauses.length > 1 ? <span className="muted">(clause {c.id})</span> : null}<span className="tarrow">→</span><span className={`pill ${t.ev?.status}`}>{t.ev?.status?.replace(/-/g, ' ')}</span></span></summary>
                        <ul>{t.children.map((x, j) => <Row key={j} t={x} doc={n} g={g} />)}</ul>
                      </details>
                    </li>
                  );
                })
              : content.map((t, i) => <Row key={i} t={t} doc={n} g={g} />)}
          </ul>
        </details>
      </li>
    );
  };

  return (
    <div className="trace-groups" data-testid="trace">
      {focusRows.length ? (
        <section className="trace-group" data-group="focus">
          <h5>What this case is about <span className="muted small">({focusNote})</span></h5>
          <ul className="trace">{focusRows.map((r) => renderNode(r.id, { open: true, depth: r.depth, usedBy: r.usedBy }))}</ul>
        </section>
      ) : null}
      <section className="trace-group" data-group="applies">
        <h5>Recommendations that apply ({applying.length})</h5>
        {applying.length ? <ul className="trace">{applying.map((id) => renderNode(id))}</ul> : <p className="muted small">None for these facts.</p>}
      </section>
      <details className="trace-group trace-rest" data-group="rest">
        <summary><h5>Everything else ({rest.length})</h5></summary>
        {known.length ? (
          <>
            <h6>Known values and recommendations that do not apply ({known.length})</h6>
            <ul className="trace" data-group="known">{known.map((id) => renderNode(id, { open: false }))}</ul>
          </>
        ) : null}
        {unknown.length ? (
          <>
            <h6>Cannot be decided with these facts ({unknown.length})</h6>
            <ul className="trace" data-group="undecided">{unknown.map((id) => renderNode(id, { open: false }))}</ul>
          </>
        ) : null}
      </details>
    </div>
  );
}
