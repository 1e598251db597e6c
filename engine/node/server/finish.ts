// Finishing a change in the editor: one save (POST /api/save) of a set of files (nodes, inputs,
// cases, the manifest, the CHANGELOG) that leaves `guideline test` passing, or nothing at all.
//
// 1. Every file must still be at the version the draft was based on (else 409 with both texts).
// 2. The guideline with the changes must have no new checker error (422 with the findings).
// 3. Every case runs on the changed guideline. A case whose expectations no longer hold has
//    "moved": the save is refused (422, `moved`) unless the member accepted each new result, one
//    by one, with the value it now has; accepting rewrites that case's expectations. A case that
//    cannot be accepted (its facts no longer evaluate, a safety invariant breaks) refuses the save
//    (`failing`).
// 4. The golden trace of every case whose trace changed (or that is new) is written again: the
//    same text `guideline test --update` would write.
// 5. All the files are written as one: a journal with every file's new text is made durable in
//    the folder first, then each file is written atomically, then the journal is removed. A server
//    killed in between finishes the writes from the journal when it starts again (recoverSave).
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { acceptOutcomes, allAccepted, formatDocument, goldenOf, parseSource, runCase, runCases, type AcceptedOutcome, type SourceFile } from '../../authoring/index.ts';
import type { Case, Finding, JsonValue } from '../../runtime/index.ts';
import { writeAtomic } from '../files.ts';
import { editablePath, parseDocument, versionOf } from '../server.ts';
import { MAX_FILE_BYTES, readSafe, writeSafe } from './folder.ts';

export const JOURNAL = '.guideline-save.journal';
export const CHANGELOG = 'CHANGELOG.md';

interface Write { root: 'folder' | 'golden'; path: string; text: string }
export interface SaveRequest { changes: { path: string; text: string; version: string | null }[]; accept?: AcceptedOutcome[] }
export interface MovedCase { id: string; title: string; path: string; changes: { key: string; expected: JsonValue; actual: JsonValue }[] }
export interface SaveContext {
  dir: string;
  goldenDir: string;
  list(): SourceFile[];
  validate(changes: { path: string; text: string }[]): { fresh: Finding[]; warnings: Finding[] };
}
export interface SaveAnswer { status: number; body: Record<string, unknown> }

/** The files a finishing save may write: the editable documents, the manifest and the CHANGELOG. */
export const savablePath = (path: string): boolean => editablePath(path) || path === 'manifest.json' || path === CHANGELOG;
const GOLDEN_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

function readGolden(goldenDir: string, id: string): string | undefined {
  const p = join(goldenDir, `${id}.json`);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** Write every file of a save as one (journal first); see the header. */
async function commit(ctx: SaveContext, writes: Write[]): Promise<void> {
  const journal = join(ctx.dir, JOURNAL);
  await writeFileAtomic(journal, JSON.stringify({ writes }), { fsync: true, encoding: 'utf8' });
  await apply(ctx.dir, ctx.goldenDir, writes);
  unlinkSync(journal);
}

async function apply(dir: string, goldenDir: string, writes: Write[]): Promise<void> {
  for (const w of writes) {
    if (w.root === 'folder') {
      if (!savablePath(w.path)) continue;
      if (readSafe(dir, w.path) !== w.text) await writeSafe(dir, w.path, w.text);
    } else if (GOLDEN_NAME.test(w.path)) {
      const p = join(goldenDir, `${w.path}.json`);
      if (!existsSync(p) || readFileSync(p, 'utf8') !== w.text) writeAtomic(p, w.text);
    }
  }
}

/** Finish a save a killed server left half-way (called once the folder's lock is held). */
export async function recoverSave(dir: string, goldenDir: string): Promise<string[]> {
  const journal = join(dir, JOURNAL);
  if (!existsSync(journal)) return [];
  let writes: Write[];
  try { writes = (JSON.parse(readFileSync(journal, 'utf8')) as { writes: Write[] }).writes; } catch {
    // A journal that is not whole was never acted on: no file was written yet.
    unlinkSync(journal);
    return [];
  }
  await apply(dir, goldenDir, writes);
  unlinkSync(journal);
  return writes.map((w) => w.path);
}

/** One finishing save. Call inside the server's exclusive section. */
export async function finishSave(ctx: SaveContext, request: SaveRequest): Promise<SaveAnswer> {
  if (!Array.isArray(request.changes) || !request.changes.length) return { status: 400, body: { error: 'send {"changes": [{"path", "text", "version"}], "accept": [...]}' } };
  const accept = Array.isArray(request.accept) ? request.accept : [];
  const seen = new Set<string>();
  for (const c of request.changes) {
    if (!c || typeof c.path !== 'string' || typeof c.text !== 'string' || (c.version !== null && typeof c.version !== 'string')) return { status: 400, body: { error: 'each change needs "path", "text" and "version" (a string, or null for a new file)' } };
    if (!savablePath(c.path)) return { status: 403, body: { error: `refused: "${c.path}" is not a guideline document, the manifest or the CHANGELOG` } };
    if (seen.has(c.path)) return { status: 400, body: { error: `"${c.path}" is sent twice` } };
    seen.add(c.path);
  }
  // 1. versions
  const conflicts = [];
  for (const c of request.changes) {
    const current = readSafe(ctx.dir, c.path);
    const version = current === undefined ? null : versionOf(current);
    if (version !== c.version) conflicts.push({ path: c.path, version, text: current ?? null, mine: c.text });
  }
  if (conflicts.length) {
    return { status: 409, body: { error: `Someone else changed this file since you opened it (another tab, another person or a git pull): ${conflicts.map((c) => c.path).join(', ')}. Your edit was not written; it is kept as a draft.`, conflicts } };
  }
  // 2. documents and the checker
  const docs: { path: string; text: string }[] = [];
  let changelog: string | undefined;
  for (const c of request.changes) {
    if (c.path === CHANGELOG) {
      if (Buffer.byteLength(c.text) > MAX_FILE_BYTES) return { status: 413, body: { error: `${CHANGELOG} is over the ${MAX_FILE_BYTES}-byte limit.` } };
      changelog = c.text.replace(/\r\n?/g, '\n').replace(/\n*$/, '\n');
      continue;
    }
    const parsed = parseDocument(c.path, c.text);
    if (!('doc' in parsed)) return { status: parsed.status, body: parsed.body as Record<string, unknown> };
    docs.push({ path: c.path, text: formatDocument(parsed.doc) });
  }
  const checked = ctx.validate(docs);
  if (checked.fresh.length) return { status: 422, body: { error: `Not saved: the edit has ${checked.fresh.length} problem${checked.fresh.length > 1 ? 's' : ''}.`, findings: checked.fresh } };
  // 3. the cases
  const files = ctx.list();
  const byPath = new Map(files.map((f) => [f.path, f.text]));
  for (const d of docs) byPath.set(d.path, d.text);
  let g = parseSource([...byPath].map(([path, text]) => ({ path, text }))).guideline;
  let runs = runCases(g, { trace: 'golden' }); // only the golden files read the traces
  const moved: MovedCase[] = [];
  const failing: { id: string; title: string; problems: string[] }[] = [];
  const acceptedCases: string[] = [];
  for (const run of runs) {
    const path = g.origins[`case:${run.id}`]?.file ?? '';
    if (run.error || run.invariantBreaks?.length) {
      failing.push({ id: run.id, title: run.title, problems: [...(run.error ? [run.error] : []), ...(run.invariantBreaks ?? []).map((b) => `invariant broken: ${b.message}`)] });
      continue;
    }
    if (!run.mismatches.length) continue;
    if (allAccepted(run.id, run.mismatches, accept)) {
      const c = g.cases.find((x) => x.id === run.id)!;
      let next: Case;
      try { next = acceptOutcomes(c, run.mismatches); } catch (e) { failing.push({ id: run.id, title: run.title, problems: [(e as Error).message] }); continue; }
      const doc = JSON.parse(byPath.get(path)!) as Record<string, unknown>;
      byPath.set(path, formatDocument({ ...doc, expect: next.expect }));
      const at = docs.findIndex((d) => d.path === path);
      if (at >= 0) docs[at] = { path, text: byPath.get(path)! }; else docs.push({ path, text: byPath.get(path)! });
      acceptedCases.push(run.id);
    } else moved.push({ id: run.id, title: run.title, path, changes: run.mismatches });
  }
  if (moved.length || failing.length) {
    const parts = [
      moved.length ? `${moved.length} case${moved.length > 1 ? 's' : ''} would change ${moved.length > 1 ? 'their' : 'its'} outcome: accept each new result, or change the edit` : '',
      failing.length ? `${failing.length} case${failing.length > 1 ? 's' : ''} would fail` : '',
    ].filter(Boolean);
    return { status: 422, body: { error: `Not saved: ${parts.join('; ')}.`, moved, failing } };
  }
  // Accepting changes only expectations, to keys the case already had (checked above): no new
  // finding can come of it. The accepted cases run again: a save is only written when every case passes.
  const { warnings } = checked;
  if (acceptedCases.length) {
    g = parseSource([...byPath].map(([path, text]) => ({ path, text }))).guideline;
    const again = new Set(acceptedCases);
    runs = runs.map((r) => (again.has(r.id) ? runCase(g, g.cases.find((c) => c.id === r.id)!, { trace: 'golden' }) : r));
    const still = runs.filter((r) => !r.passed);
    if (still.length) return { status: 422, body: { error: `Not saved: ${still.length} case(s) would still fail.`, failing: still.map((r) => ({ id: r.id, title: r.title, problems: r.mismatches.map((m) => `${m.key}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`) })) } };
  }
  // 4. golden traces
  const writes: Write[] = docs.map((d) => ({ root: 'folder', path: d.path, text: d.text }));
  if (changelog !== undefined) writes.push({ root: 'folder', path: CHANGELOG, text: changelog });
  const goldens: string[] = [];
  for (const run of runs) {
    if (!GOLDEN_NAME.test(run.id)) continue;
    const golden = goldenOf(g, g.cases.find((c) => c.id === run.id)!, run);
    if (readGolden(ctx.goldenDir, run.id) !== golden) { writes.push({ root: 'golden', path: run.id, text: golden }); goldens.push(run.id); }
  }
  // 5. one write
  const unchanged = writes.every((w) => w.root === 'folder' && readSafe(ctx.dir, w.path) === w.text);
  if (!unchanged) await commit(ctx, writes);
  return {
    status: 200,
    body: {
      written: writes.filter((w) => w.root === 'folder').map((w) => ({ path: w.path, text: w.text, version: versionOf(w.text) })),
      accepted: acceptedCases,
      goldens,
      warnings,
    },
  };
}
