// Off the main thread: on every edit, parse and check the guideline with the drafts applied, and
// compare the draft with the saved baseline over every regression case (engine compare()).
// compare() re-evaluates only the changed nodes per case (and the whole draft only where a
// changed definition takes a new value), with the saved side's results cached between edits.
import { checkSource, parseSource, type CaseOutcome, type Comparison, type SourceFile } from '../engine/authoring/index.ts';
import { type Case, type Finding, type Guideline } from '../engine/runtime/index.ts';
import { compareShard, type Shard } from './impact.ts';
import { referenceSignature, withDrafts } from './model.ts';

export type WorkerIn =
  | { type: 'baseline'; files: SourceFile[]; shard: Shard }
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
  ms: number;
}

let baseFiles: SourceFile[] = [];
let base: Guideline | undefined;
let baseErrors = new Set<string>();
let baseSignature = '';
let shard: Shard = { index: 0, count: 1 };
/** The saved guideline's result for each case: it does not change between edits. */
const baselineCache = new Map<Case, CaseOutcome>();
const key = (f: Finding) => `${f.code}\u0000${f.file ?? ''}\u0000${f.pointer}\u0000${f.message}`;

function analyse(files: SourceFile[]) {
  const { guideline, findings } = parseSource(files);
  return { guideline, findings: checkSource({ guideline, findings }) };
}

/** Ids of the inputs and nodes that differ between the saved guideline and the draft. */
function changedIds(a: Guideline, b: Guideline): string[] {
  const byId = (g: Guideline) => new Map<string, string>([...g.nodes, ...g.inputs].map((n) => [n.id, JSON.stringify(n)]));
  const ma = byId(a);
  const mb = byId(b);
  return [...new Set([...ma.keys(), ...mb.keys()])].filter((id) => ma.get(id) !== mb.get(id)).sort();
}

self.onmessage = (ev: MessageEvent<WorkerIn>) => {
  const msg = ev.data;
  if (msg.type === 'baseline') {
    baseFiles = msg.files;
    const r = analyse(baseFiles);
    base = r.guideline;
    baseSignature = referenceSignature(base);
    shard = msg.shard;
    baselineCache.clear();
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
  const all = checkSource({ guideline: checked, findings: spliced.findings });
  const findings = all.filter((f) => f.file !== undefined && draftPaths.has(f.file) && !(f.severity === 'error' && baseErrors.has(key(f))));
  const blocked = findings.some((f) => f.severity === 'error') || all.some((f) => f.severity === 'error' && !baseErrors.has(key(f)));
  let out: WorkerOut;
  if (blocked) {
    out = { type: 'result', seq: msg.seq, findings: blocked ? all.filter((f) => f.severity === 'error' && !baseErrors.has(key(f))).concat(findings.filter((f) => f.severity === 'warning')) : findings, compared: false, changedNodes: [], ms: performance.now() - t0 };
  } else {
    // compare() re-evaluates only the changed nodes for each case, and the whole draft only for
    // the cases where a changed definition takes a new value.
    const changed = changedIds(base, draft);
    const comparison = changed.length || msg.drafts.some((d) => d.path.startsWith('cases/')) ? compareShard(base, draft, shard, baselineCache) : { casesCompared: 0, changed: [] };
    out = { type: 'result', seq: msg.seq, findings, compared: true, comparison, changedNodes: changed, ms: performance.now() - t0 };
  }
  (self as unknown as Worker).postMessage(out);
};
