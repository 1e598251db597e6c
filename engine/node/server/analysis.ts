// POST /api/analyze: the analysis of engine/analysis (z3) on the saved guideline and, when the
// client sends its drafts, on the saved guideline with the drafts applied, so the editor can show
// what an edit changes (an invariant it breaks) before the member saves.
//
// Body: {"drafts"?: [{"path", "text"}], "invariants"?: [ids], "parts"?: [...]}. The answer comes
// at once: {"saved": Run, "draft"?: Run, "running": bool}, each Run {"state": "queued" | "running"
// | "done" | "failed", "report"?, "error"?, ...}; the client asks again (same body) while a run is
// not finished. A whole analysis takes tens of seconds, so:
// - runs are keyed by a content hash of the guideline files (with the drafts applied) and the
//   options, and their reports kept: the saved guideline's report is reused while the drafts
//   change, and asking again for a finished run costs a hash;
// - one run at a time (the Z3 context is shared, and two would halve each other's speed), the
//   saved guideline's before a draft's; a draft run still queued is dropped when a newer draft
//   is asked for (only the latest edit matters);
// - the solver's checks are asynchronous, so other requests are served between them (the longest
//   stretch without a check is the clause sampling, about a second).
import { createHash } from 'node:crypto';
import { analyze, type AnalysisReport, type AnalyzeOptions } from '../../analysis/index.ts';
import { formatDocument, parseSource, type SourceFile } from '../../authoring/index.ts';
import type { Finding } from '../../runtime/index.ts';

export type AnalysisPart = NonNullable<AnalyzeOptions['parts']>[number];
export const ANALYSIS_PARTS: AnalysisPart[] = ['invariants', 'conflicts', 'clauses', 'gaps', 'boundaries'];
/** Finished runs kept besides the ones asked for last (each report is a few hundred kB). */
const KEEP = 8;
const MAX_DRAFTS = 200;

export interface Run {
  state: 'queued' | 'running' | 'done' | 'failed';
  /** the content hash the run is keyed by */
  key: string;
  report?: AnalysisReport;
  error?: string;
  /** ms since the epoch */
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

interface Job extends Run { role: 'saved' | 'draft'; files: SourceFile[]; options: { invariants?: string[]; parts?: AnalysisPart[] }; askedAt: number }

export interface AnalyzeAnswer { status: number; body: Record<string, unknown> }

export interface AnalysisContext {
  /** the saved guideline's files, as they are now */
  list(): SourceFile[];
  /** the checker's errors the changes introduce (the server's validate) */
  validate(changes: { path: string; text: string }[]): { fresh: Finding[] };
  /** a path a draft may name (the editor's editable documents) */
  editable(path: string): boolean;
  /** parse a client's document: too deep, too large or not JSON is a 4xx */
  parse(path: string, text: string): { doc: unknown } | { status: number; body: unknown };
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const keyOf = (files: SourceFile[], options: Job['options']) =>
  sha([...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => `${f.path}\u0000${sha(f.text)}`).join('\n') + `\u0001${JSON.stringify(options)}`);

const bad = (error: string, status = 400): AnalyzeAnswer => ({ status, body: { error } });

export class AnalysisService {
  private jobs = new Map<string, Job>();
  private running?: Job;
  private closed = false;
  /** the draft keys that passed the checker (validation costs a full check) */
  private checked = new Map<string, Finding[]>();

  constructor(private readonly ctx: AnalysisContext, private readonly run: typeof analyze = analyze) {}

  async request(text: string): Promise<AnalyzeAnswer> {
    let body: unknown;
    try { body = JSON.parse(text || '{}'); } catch { return bad('the request body must be JSON: {"drafts": [{"path", "text"}], "invariants": [ids], "parts": [...]}'); }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('the request body must be a JSON object');
    const { drafts = [], invariants, parts } = body as { drafts?: unknown; invariants?: unknown; parts?: unknown };
    if (!Array.isArray(drafts)) return bad('"drafts" must be a list of {"path", "text"} (the edited files)');
    if (drafts.length > MAX_DRAFTS) return bad(`at most ${MAX_DRAFTS} drafts`, 413);
    if (invariants !== undefined && (!Array.isArray(invariants) || invariants.some((x) => typeof x !== 'string'))) return bad('"invariants" must be a list of invariant ids');
    if (parts !== undefined && (!Array.isArray(parts) || parts.some((x) => !ANALYSIS_PARTS.includes(x)))) return bad(`"parts" must be a list of ${ANALYSIS_PARTS.map((p) => `"${p}"`).join(', ')}`);
    const options: Job['options'] = {
      ...(invariants ? { invariants: [...new Set(invariants as string[])].sort() } : {}),
      ...(parts ? { parts: ANALYSIS_PARTS.filter((p) => (parts as string[]).includes(p)) } : {}),
    };
    const seen = new Set<string>();
    const docs: { path: string; text: string }[] = [];
    for (const [i, d] of drafts.entries()) {
      if (typeof d !== 'object' || d === null || typeof (d as { path?: unknown }).path !== 'string' || typeof (d as { text?: unknown }).text !== 'string') return bad(`drafts[${i}] needs "path" (the file inside the guideline folder) and "text" (the document as JSON text)`);
      const { path, text: doc } = d as { path: string; text: string };
      if (!this.ctx.editable(path)) return bad(`drafts[${i}]: "${path}" is not an input, node, case or invariant file of the guideline (inputs/…, nodes/…, cases/…, invariants/….json)`);
      if (seen.has(path)) return bad(`drafts[${i}]: "${path}" is sent twice`);
      seen.add(path);
      const parsed = this.ctx.parse(path, doc);
      if (!('doc' in parsed)) {
        const b = parsed.body as { error?: string };
        return { status: parsed.status, body: { ...(parsed.body as object), error: `The draft of ${path} cannot be analysed: ${b.error ?? 'it is not a valid document'}` } };
      }
      docs.push({ path, text: formatDocument(parsed.doc) });
    }
    const files = this.ctx.list();
    if (options.invariants) {
      const known = new Set(parseSource(files.filter((f) => f.path === 'manifest.json' || f.path.startsWith('invariants/')).concat(docs)).guideline.nodes.filter((n) => n.kind === 'invariant').map((n) => n.id));
      const unknown = options.invariants.filter((id) => !known.has(id));
      if (unknown.length) return bad(`"invariants": no such invariant ${unknown.map((id) => `"${id}"`).join(', ')}`);
    }
    const saved = this.ask('saved', files, options);
    let draft: Job | undefined;
    if (docs.length) {
      const paths = new Set(docs.map((d) => d.path));
      const draftFiles = files.filter((f) => !paths.has(f.path)).concat(docs);
      const key = keyOf(draftFiles, options);
      if (!this.jobs.has(key)) {
        let fresh = this.checked.get(key);
        if (!fresh) {
          fresh = this.ctx.validate(docs).fresh;
          this.checked.set(key, fresh);
          while (this.checked.size > KEEP) this.checked.delete(this.checked.keys().next().value!);
        }
        if (fresh.length) return { status: 422, body: { error: `The draft has ${fresh.length} problem${fresh.length > 1 ? 's' : ''}: the analysis runs once the checker passes. Fix the marked lines.`, findings: fresh, saved: view(saved) } };
      }
      draft = this.ask('draft', draftFiles, options, key);
    }
    this.pump();
    this.evict([saved, draft]);
    return { status: 200, body: { saved: view(saved), ...(draft ? { draft: view(draft) } : {}), running: [saved, draft].some((j) => j && (j.state === 'queued' || j.state === 'running')) } };
  }

  /** The run for these files, found by content or queued. A newer draft drops the queued older ones. */
  private ask(role: Job['role'], files: SourceFile[], options: Job['options'], key = keyOf(files, options)): Job {
    const now = Date.now();
    let job = this.jobs.get(key);
    if (!job) {
      if (role === 'draft') for (const [k, j] of this.jobs) if (j.role === 'draft' && j.state === 'queued') this.jobs.delete(k);
      job = { role, key, files, options, state: 'queued', queuedAt: now, askedAt: now };
      this.jobs.set(key, job);
    }
    job.askedAt = now;
    return job;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const queued = [...this.jobs.values()].filter((j) => j.state === 'queued');
    const next = queued.find((j) => j.role === 'saved') ?? queued.sort((a, b) => b.askedAt - a.askedAt)[0];
    if (!next) return;
    this.running = next;
    next.state = 'running';
    next.startedAt = Date.now();
    // a turn of the event loop first: the request that queued it is answered before the work starts
    setImmediate(() => {
      void this.execute(next).finally(() => { this.running = undefined; next.files = []; this.pump(); });
    });
  }

  private async execute(job: Job): Promise<void> {
    try {
      const { guideline } = parseSource(job.files);
      const only = job.options.invariants ? new Set(job.options.invariants) : undefined;
      job.report = await this.run(guideline, { ...(job.options.parts ? { parts: job.options.parts } : {}), ...(only ? { invariants: (id: string) => only.has(id) } : {}) });
      job.state = 'done';
    } catch (e) {
      job.state = 'failed';
      job.error = `The analysis failed: ${(e as Error).message}`;
    }
    job.finishedAt = Date.now();
  }

  /** Keep the runs asked for last and the KEEP most recently asked finished ones. */
  private evict(keep: (Job | undefined)[]): void {
    const finished = [...this.jobs.values()].filter((j) => (j.state === 'done' || j.state === 'failed') && !keep.includes(j)).sort((a, b) => b.askedAt - a.askedAt);
    for (const j of finished.slice(KEEP)) this.jobs.delete(j.key);
  }

  /** No new run starts after close() (a running one cannot be interrupted; it finishes in memory). */
  close(): void {
    this.closed = true;
  }
}

function view(j: Job): Run {
  const { key, state, report, error, queuedAt, startedAt, finishedAt } = j;
  return { key, state, queuedAt, ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}), ...(report ? { report } : {}), ...(error ? { error } : {}) };
}
