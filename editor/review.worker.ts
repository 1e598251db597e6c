// Off the main thread: the reviewer's diff (engine diffGuidelines) between the guideline as saved
// on disk and the guideline with every draft applied, and its Markdown for a pull request. The
// same function and the same report as `npx guideline diff`.
import { diffGuidelines, formatDiff, type GuidelineDiff } from '../engine/review/index.ts';
import { parseSource, type SourceFile } from '../engine/authoring/index.ts';
import { type Guideline } from '../engine/runtime/index.ts';
import { withDrafts } from './model.ts';

export type ReviewIn =
  | { type: 'baseline'; files: SourceFile[] }
  | { type: 'review'; seq: number; drafts: SourceFile[] }
  /** the guideline at a git revision (old) against the saved one (new) */
  | { type: 'revision'; seq: number; files: SourceFile[] };

export interface ReviewOut {
  seq: number;
  diff?: GuidelineDiff;
  markdown?: string;
  /** draft files that do not parse: no diff is made (a broken file would read as a removed node) */
  problems: { file?: string; message: string }[];
  ms: number;
}

let baseFiles: SourceFile[] = [];
let base: Guideline | undefined;

self.onmessage = (ev: MessageEvent<ReviewIn>) => {
  const msg = ev.data;
  if (msg.type === 'baseline') {
    baseFiles = msg.files;
    base = parseSource(baseFiles).guideline;
    return;
  }
  if (!base) return;
  const t0 = performance.now();
  if (msg.type === 'revision') {
    const old = parseSource(msg.files);
    const problems = old.findings.filter((f) => f.severity === 'error').map((f) => ({ file: f.file, message: `at that revision: ${f.message}` }));
    const out: ReviewOut = problems.length ? { seq: msg.seq, problems, ms: performance.now() - t0 } : (() => {
      const diff = diffGuidelines(old.guideline, base);
      return { seq: msg.seq, diff, markdown: formatDiff(diff, 'markdown'), problems: [], ms: performance.now() - t0 };
    })();
    (self as unknown as Worker).postMessage(out);
    return;
  }
  const manifestFile = baseFiles.find((f) => f.path === 'manifest.json');
  const manifestDraft = msg.drafts.find((d) => d.path === 'manifest.json');
  const others = msg.drafts.filter((d) => d.path !== 'manifest.json' && d.path.endsWith('.json'));
  const spliced = withDrafts(base, manifestFile, others);
  const problems = spliced.findings.filter((f) => f.severity === 'error').map((f) => ({ file: f.file, message: f.message }));
  let head = spliced.guideline;
  if (manifestDraft) {
    const m = parseSource([manifestDraft]);
    const errors = m.findings.filter((f) => f.severity === 'error' && f.code !== 'no-manifest');
    if (errors.length) problems.push(...errors.map((f) => ({ file: 'manifest.json', message: f.message })));
    else head = { ...head, manifest: m.guideline.manifest };
  }
  let out: ReviewOut;
  if (problems.length) out = { seq: msg.seq, problems, ms: performance.now() - t0 };
  else {
    const diff = diffGuidelines(base, head);
    out = { seq: msg.seq, diff, markdown: formatDiff(diff, 'markdown'), problems: [], ms: performance.now() - t0 };
  }
  (self as unknown as Worker).postMessage(out);
};
