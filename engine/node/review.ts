// Node-only logic of the review and distribution commands (diff, changelog, render, verify,
// bundle --sign). The CLI parses arguments and calls these; each returns an exit code.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from './paths.ts';
import { makeBundle, readBundle, bundleFileName } from '../runtime/bundle.ts';
import { compiledFileName, compiledModuleSource } from '../runtime/compiled-module.ts';
import { check } from '../authoring/check.ts';
import { diffGuidelines } from '../review/diff.ts';
import { EngineError } from '../runtime/errors.ts';
import { renderBook } from '../review/render.ts';
import { bookFlows, bookRuleFlows } from '../review/flow-svg.ts';
import { DIFF_FORMATS, formatChangelog, formatDiff, type DiffFormat } from '../review/report.ts';
import { parseSource } from '../authoring/source.ts';
import type { Bundle, Finding, Guideline } from '../runtime/types.ts';
import { readSourceFilesAtRevision, repoRoot } from './git.ts';
import { loadGuideline } from './load.ts';
import { readInputFile, statInput, writeAtomic } from './files.ts';
import { signBundle, verifyBundle } from './sign.ts';

export interface Io { out: (s: string) => void; err: (s: string) => void }

/** The schema files published next to every bundle. */
export const SCHEMA_DIR = join(PACKAGE_ROOT, 'schema');
export const PUBLISHED_SCHEMAS = ['bundle.schema.json', 'guideline.schema.json', 'result.schema.json'];

function fail(findings: Finding[], where: string): never {
  const errors = findings.filter((f) => f.severity === 'error');
  const shown = errors.slice(0, 10).map((f) => `  ${f.code} ${f.file ?? ''}${f.pointer ? `#${f.pointer}` : ''}: ${f.message}`).join('\n');
  throw new EngineError('invalid-guideline', `${errors.length} error(s) in ${where}; fix them first (guideline check):\n${shown}`);
}

/**
 * One side of a diff: "git:<rev>" (the guideline folder `dir` at that revision), or
 * "git:<rev>:<folder>" (a folder relative to the repository root), a guideline folder, or a
 * bundle file (its hash is checked).
 */
export function loadSide(spec: string, dir: () => string): Guideline & { hash?: string } {
  if (spec.startsWith('git:')) {
    const rest = spec.slice(4);
    const colon = rest.indexOf(':');
    const rev = colon >= 0 ? rest.slice(0, colon) : rest;
    const folder = colon >= 0 ? resolve(repoRoot(process.cwd()), rest.slice(colon + 1)) : dir();
    const { guideline, findings } = parseSource(readSourceFilesAtRevision(folder, rev));
    const all = [...findings, ...(findings.some((f) => f.severity === 'error') ? [] : check(guideline))];
    if (all.some((f) => f.severity === 'error')) fail(all, spec);
    return guideline;
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new EngineError('usage', `no such guideline folder, bundle or git revision: ${spec} (a git revision is written git:HEAD~1)`);
  if (statInput(path, 'guideline folder or bundle').isDirectory()) {
    if (!existsSync(join(path, 'manifest.json'))) throw new EngineError('usage', `${spec} is not a guideline folder (no manifest.json)`);
    const { guideline, findings } = loadGuideline(path);
    if (findings.some((f) => f.severity === 'error')) fail(findings, spec);
    return guideline;
  }
  return readBundle(readInputFile(path, 'bundle'));
}

/** One atomic write for every writer (engine/node/files.ts, write-file-atomic). */
export { writeAtomic as writeAtomically } from './files.ts';

export interface DiffArgs { base: string; head: string; format?: string; out?: string; dir: () => string; analysis?: boolean }

/** `guideline diff`: 0 when head's version satisfies the required bump, 1 when it does not. */
export function runDiff(args: DiffArgs, io: Io): number | Promise<number> {
  const format = (args.format ?? 'text') as DiffFormat;
  if (!DIFF_FORMATS.includes(format)) throw new EngineError('usage', `unknown format "${args.format}": use ${DIFF_FORMATS.join(', ')}`);
  const base = loadSide(args.base, args.dir);
  const head = loadSide(args.head, args.dir);
  const d = diffGuidelines(base, head);
  const finish = (text: string) => {
    if (args.out) {
      writeAtomic(resolve(args.out), text);
      io.out(`wrote ${resolve(args.out)}\n`);
    } else io.out(text);
    if (!d.bump.satisfied) io.err(`version check failed: ${d.bump.message}\n`);
    return d.bump.satisfied ? 0 : 1;
  };
  if (!args.analysis) return finish(formatDiff(d, format));
  // --analysis: the whole analysis of each side (Z3, seconds each), loaded only when asked
  return import('./analysis-diff.ts').then(async ({ analysisDiff, withAnalysis }) => finish(withAnalysis(d, format, await analysisDiff(base, head))));
}

/** `guideline changelog`: a draft entry on stdout (or --out); never fails on the version. */
export function runChangelog(args: { base: string; head: string; date?: string; out?: string; dir: () => string }, io: Io): number {
  const base = loadSide(args.base, args.dir);
  const head = loadSide(args.head, args.dir);
  const d = diffGuidelines(base, head);
  const date = args.date ?? new Date().toISOString().slice(0, 10);
  const text = formatChangelog(d, date);
  if (args.out) { writeAtomic(resolve(args.out), text); io.out(`wrote ${resolve(args.out)}\n`); } else io.out(text);
  if (!d.bump.satisfied) io.err(`note: ${d.bump.message}\n`);
  return 0;
}

/** `guideline render`: the guideline book as one HTML file. */
export async function runRender(args: { source: string; out?: string; dir: () => string }, io: Io): Promise<number> {
  const g = loadSide(args.source, args.dir);
  // The charts need elkjs (a development dependency): without it the book is written without them.
  let noted = false;
  const withoutElk = (e: NodeJS.ErrnoException) => {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('elkjs')) throw e;
    if (!noted) io.err('note: the flowcharts are left out: elkjs is not installed\n');
    noted = true;
    return undefined;
  };
  const flows = await bookFlows(g).catch(withoutElk);
  const ruleFlows = await bookRuleFlows(g).catch(withoutElk);
  const html = renderBook(g, { flows, ruleFlows });
  if (args.out) { writeAtomic(resolve(args.out), html); io.out(`wrote ${resolve(args.out)}\n`); } else io.out(html);
  return 0;
}

/** `guideline verify`: schema and content hash always, the Ed25519 signature with --key. */
export async function runVerify(args: { file: string; key?: string }, io: Io): Promise<number> {
  const text = readInputFile(args.file, 'bundle');
  const pem = args.key !== undefined ? readKey(args.key) : undefined;
  try {
    const v = await verifyBundle(text, pem);
    const m = v.bundle.manifest;
    const sig = v.verified
      ? `signature valid (key ${v.keyId})`
      : v.bundle.signature ? 'signature not verified: no key given (pass --key pub.pem)' : 'unsigned; signature not verified: no key given';
    io.out(`OK ${args.file}: ${m.id} v${m.version}, content ${v.bundle.hash}; ${sig}\n`);
    return 0;
  } catch (e) {
    if (e instanceof EngineError) {
      io.err(`VERIFICATION FAILED ${args.file}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function readKey(path: string): string {
  return readInputFile(path, 'key file');
}

/** Write a bundle (signed with --sign) and publish its JSON Schemas next to it. */
export function writeBundle(g: Guideline, outDir: string, signKey: string | undefined, io: Io, options: { cases?: boolean; compile?: boolean } = {}): Bundle {
  let bundle = makeBundle(g, { cases: options.cases });
  if (signKey !== undefined) bundle = signBundle(bundle, readKey(signKey));
  const path = join(outDir, bundleFileName(g));
  writeAtomic(path, JSON.stringify(bundle) + '\n');
  if (options.compile) {
    // Built from the bundle as written (its content is what the module's hash names).
    const modulePath = join(outDir, compiledFileName(g));
    writeAtomic(modulePath, compiledModuleSource(bundle));
    io.out(`wrote ${modulePath} (the compiled evaluator for ${bundle.hash})\n`);
  }
  for (const s of PUBLISHED_SCHEMAS) writeAtomic(join(outDir, s), readFileSync(join(SCHEMA_DIR, s), 'utf8'));
  io.out(`wrote ${path} (${bundle.hash}${bundle.signature ? `, signed by ${bundle.signature.keyId}` : ''})\n`);
  return bundle;
}
