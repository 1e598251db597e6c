// Off the main thread: on every edit, parse and check the guideline with the drafts applied, and
// compare the draft with the saved baseline over every regression case (engine compare()).
// Only the part of the guideline an edit can reach is evaluated: the changed nodes, everything
// that reads them (transitively), and what those read. Nodes outside that set give identical
// results on both sides, so leaving them out changes no comparison and saves most of the work.
import { check, parseSource, type Comparison, type Finding, type Guideline, type GuidelineNode, type SourceFile } from '../engine/index.ts';
import { CachedComparer } from './impact.ts';
import { nodeExpressions, readsOf, referenceSignature, withDrafts } from './model.ts';

export type WorkerIn =
  | { type: 'baseline'; files: SourceFile[] }
  | { type: 'draft'; seq: number; drafts: SourceFile[] };

export interface WorkerOut {
  type: 'result';
  seq: number;
  /** findings (schema + checker) in draft files that the baseline does not have */
  findings: Finding[];
  /** false when the draft has errors: no comparison was made */
  compared: boolean;
  comparison?: Comparison;
  changedNodes: string[];
  evaluatedNodes: number;
  ms: number;
}

let baseFiles: SourceFile[] = [];
let base: Guideline | undefined;
let baseErrors = new Set<string>();
let baseSignature = '';
const comparer = new CachedComparer();
const reducedBase = new Map<string, Guideline>();
const key = (f: Finding) => `${f.code}\u0000${f.file ?? ''}\u0000${f.pointer}\u0000${f.message}`;

function analyse(files: SourceFile[]) {
  const { guideline, findings } = parseSource(files);
  return { guideline, findings: [...findings, ...check(guideline)] };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function readers(g: Guideline, into: Map<string, Set<string>>) {
  for (const n of g.nodes) {
    for (const e of nodeExpressions(n)) for (const r of readsOf(e)) {
      let s = into.get(r);
      if (!s) into.set(r, (s = new Set()));
      s.add(n.id);
    }
  }
}

function reads(g: Guideline, into: Map<string, Set<string>>) {
  for (const n of g.nodes) {
    const s = into.get(n.id) ?? new Set<string>();
    for (const e of nodeExpressions(n)) for (const r of readsOf(e)) s.add(r);
    into.set(n.id, s);
  }
}

/** The two guidelines restricted to the nodes an edit can reach (and what those read). */
function reduce(a: Guideline, b: Guideline): { a: Guideline; b: Guideline; key: string; changed: string[]; kept: number } {
  const byId = (g: Guideline) => new Map<string, unknown>([...g.nodes.map((n) => [n.id, n] as const), ...g.inputs.map((i) => [i.id, i] as const)]);
  const ma = byId(a);
  const mb = byId(b);
  const changed = [...new Set([...ma.keys(), ...mb.keys()])].filter((id) => !same(ma.get(id), mb.get(id)));
  const down = new Map<string, Set<string>>();
  readers(a, down); readers(b, down);
  const up = new Map<string, Set<string>>();
  reads(a, up); reads(b, up);
  const affected = new Set<string>();
  const stack = [...changed];
  while (stack.length) {
    const id = stack.pop()!;
    if (affected.has(id)) continue;
    affected.add(id);
    for (const r of down.get(id) ?? []) stack.push(r);
  }
  const keep = new Set<string>();
  const stack2 = [...affected];
  while (stack2.length) {
    const id = stack2.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    for (const r of up.get(id) ?? []) stack2.push(r);
  }
  const only = (g: Guideline): Guideline => ({ ...g, nodes: g.nodes.filter((n: GuidelineNode) => keep.has(n.id)) });
  const key = [...keep].sort().join(',');
  let ra = reducedBase.get(key);
  if (!ra) { if (reducedBase.size > 8) reducedBase.clear(); reducedBase.set(key, (ra = only(a))); }
  return { a: ra, b: only(b), key, changed, kept: [...keep].filter((id) => mb.has(id) || ma.has(id)).length };
}

self.onmessage = (ev: MessageEvent<WorkerIn>) => {
  const msg = ev.data;
  if (msg.type === 'baseline') {
    baseFiles = msg.files;
    const r = analyse(baseFiles);
    base = r.guideline;
    baseSignature = referenceSignature(base);
    comparer.reset();
    reducedBase.clear();
    baseErrors = new Set(r.findings.filter((f) => f.severity === 'error').map(key));
    return;
  }
  const t0 = performance.now();
  const draftPaths = new Set(msg.drafts.map((d) => d.path));
  if (!base) return;
  // Parse only the drafts. Check the whole guideline, except that unchanged cases are left out when
  // their checks cannot change: no input is drafted and the definition, rule and clause ids are the same.
  const spliced = withDrafts(base, baseFiles.find((f) => f.path === 'manifest.json'), msg.drafts);
  const draft = spliced.guideline;
  const casesUnaffected = !msg.drafts.some((d) => d.path.startsWith('inputs/')) && referenceSignature(draft) === baseSignature;
  const checked = casesUnaffected ? { ...draft, cases: draft.cases.filter((c) => draftPaths.has(draft.origins[`case:${c.id}`]?.file ?? '')) } : draft;
  const all = [...spliced.findings, ...check(checked)];
  const findings = all.filter((f) => f.file !== undefined && draftPaths.has(f.file) && !(f.severity === 'error' && baseErrors.has(key(f))));
  const blocked = findings.some((f) => f.severity === 'error') || all.some((f) => f.severity === 'error' && !baseErrors.has(key(f)));
  let out: WorkerOut;
  if (blocked) {
    out = { type: 'result', seq: msg.seq, findings: blocked ? all.filter((f) => f.severity === 'error' && !baseErrors.has(key(f))).concat(findings.filter((f) => f.severity === 'warning')) : findings, compared: false, changedNodes: [], evaluatedNodes: 0, ms: performance.now() - t0 };
  } else {
    const r = reduce(base, draft);
    const comparison = r.changed.length || msg.drafts.some((d) => d.path.startsWith('cases/')) ? comparer.compare(r.key, r.a, r.b) : { casesCompared: draft.cases.length, changed: [] };
    out = { type: 'result', seq: msg.seq, findings, compared: true, comparison, changedNodes: r.changed, evaluatedNodes: r.kept, ms: performance.now() - t0 };
  }
  (self as unknown as Worker).postMessage(out);
};
