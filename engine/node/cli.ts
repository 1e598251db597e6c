// The `guideline` command. Exit codes: 0 success, 1 findings or failing cases, 2 bad usage or
// bad input (message on stderr).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalJson, EngineError, evaluate, explain, formatTreatmentOptions, makeBundle, readBundle, treatmentOptions, formatRecommendations, recommendFromResult, type Finding, type Guideline,
} from '../runtime/index.ts';
import { coverage, formatDocument, interpretationRegister, runCases } from '../authoring/index.ts';
import { goldenOf } from '../authoring/golden.ts';
import { loadGuideline, readSourceFiles } from './load.ts';
import { runChangelog, runDiff, runRender, runVerify, writeBundle } from './review.ts';
import { recommendCommand } from './recommend-command.ts';
import { evalFhirCommand } from './fhir-command.ts';
import { serveCommand } from './cds-hooks-server.ts';
import { exportCommand } from './export-command.ts';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const USAGE = `usage: guideline <command> [options]

  check [dir] [--json]                 schema + semantic check of a guideline folder
  eval <facts.json> [--explain[=full]] [--json] [--trace] [--dir dir | --bundle file]
                                       evaluate the guideline for one patient
  eval --fhir <bundle.json> [--now YYYY-MM-DD] [--lookback-days N] [--json] [--explain]
                                       the same from a FHIR R4 patient Bundle (facts, what was not mapped)
  options <facts.json> [--json] [--dir dir | --bundle file]
                                       treatment options for one patient, ordered primary first
                                       (derived from the recommendations, not a copy of Figure 8)
  recommend <facts.json> [--json] [--all] [--dir dir | --bundle file]
                                       the patient's recommendations: one per intervention, conflicts,
                                       what to ask next (only rules whose population includes them)
  serve --cds-hooks [--port N] [--now YYYY-MM-DD] [--dir dir | --bundle file]
                                       a CDS Hooks 2.0 service (patient-view) on 127.0.0.1
  export fhir|questionnaire [--out dir] [--dir dir]
                                       the guideline as a FHIR R4 CPG Bundle (PlanDefinition per
                                       recommendation, GRADE extensions, citations), or the FHIR
                                       Questionnaire of the facts a clinician answers
  test [--update] [--coverage] [--dir dir]
                                       run every case from the source tree and from the built
                                       bundle, and compare golden traces (--update rewrites them)
  interpretations [--json | --markdown] [--dir dir]
                                       list every interpretation note with its node and reason
  bundle [--dir dir] [--out folder] [--sign key.pem]
                                       write <out>/<id>-<version>.bundle.json (default out: dist)
                                       and its JSON Schemas; --sign adds an Ed25519 signature
  verify <bundle.json> [--key pub.pem] check the content hash and, with --key, the signature
  diff <base> <head> [--format text|markdown|json|html] [--out file] [--dir dir]
                                       node, logic and outcome diff between two versions and the
                                       version bump it requires (exit 1 if head's version does not
                                       satisfy it). Each side: a guideline folder, a bundle file,
                                       or git:<rev> (the --dir folder at that git revision)
  changelog <base> <head> [--date YYYY-MM-DD] [--out file] [--dir dir]
                                       draft a CHANGELOG entry (impacted nodes and cases)
  render [dir | bundle | git:<rev>] [--out file.html] [--dir dir]
                                       the whole guideline as one self-contained HTML book
  format [--check] [--dir dir]         rewrite every document in the house layout (key order,
                                       2-space JSON); --check only lists the files that differ

The guideline folder defaults to the only folder under guideline/.`;

class UsageError extends Error {}

interface Io { out: (s: string) => void; err: (s: string) => void }
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export function defaultGuidelineDir(): string {
  const root = join(PACKAGE_ROOT, 'guideline');
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'manifest.json'))) : [];
  if (dirs.length !== 1) throw new UsageError(`cannot choose a guideline folder under ${root} (found ${dirs.length}); pass --dir`);
  return join(root, dirs[0]);
}

function parseArgs(argv: string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (['dir', 'bundle', 'out', 'format', 'sign', 'key', 'date'].includes(a.slice(2))) {
        if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
        flags.set(a.slice(2), argv[++i]);
      } else flags.set(a.slice(2), true);
    } else positional.push(a);
  }
  return { positional, flags };
}

function allowFlags(flags: Map<string, unknown>, allowed: string[]): void {
  for (const f of flags.keys()) if (!allowed.includes(f)) throw new UsageError(`unknown option --${f}`);
}

function formatFinding(f: Finding): string {
  return `${f.severity} ${f.code} ${f.file ?? ''}${f.pointer ? `#${f.pointer}` : ''}${f.node ? ` (${f.node})` : ''}: ${f.message}`;
}

function loadChecked(dir: string, io: Io): Guideline | undefined {
  if (!existsSync(join(dir, 'manifest.json'))) throw new UsageError(`${dir} is not a guideline folder (no manifest.json)`);
  const { guideline, findings } = loadGuideline(dir);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    for (const f of errors) io.err(formatFinding(f) + '\n');
    io.err(`${errors.length} error(s) in ${dir}: fix them first (guideline check).\n`);
    return undefined;
  }
  return guideline;
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { positional, flags } = parseArgs(rest);
    const dirOf = () => resolve(typeof flags.get('dir') === 'string' ? (flags.get('dir') as string) : positional[0] ?? defaultGuidelineDir());
    switch (command) {
      case 'check': {
        allowFlags(flags, ['json', 'dir']);
        const dir = dirOf();
        if (!existsSync(join(dir, 'manifest.json'))) throw new UsageError(`${dir} is not a guideline folder (no manifest.json)`);
        const { guideline, findings } = loadGuideline(dir);
        const errors = findings.filter((f) => f.severity === 'error').length;
        if (flags.has('json')) io.out(JSON.stringify(findings, null, 2) + '\n');
        else {
          for (const f of findings) io.out(formatFinding(f) + '\n');
          const recs = guideline.nodes.filter((n) => n.kind === 'recommendation').length;
          io.out(`${guideline.manifest.id} v${guideline.manifest.version}: ${guideline.inputs.length} inputs, ${guideline.nodes.length} nodes (${recs} recommendations), ${guideline.cases.length} cases; ${errors} error(s), ${findings.length - errors} warning(s)\n`);
        }
        return errors ? 1 : 0;
      }
      case 'eval':
      case 'options': {
        if (command === 'eval' && flags.has('fhir')) return evalFhirCommand(rest, io, (dir) => loadChecked(dir ?? defaultGuidelineDir(), io));
        allowFlags(flags, command === 'options' ? ['json', 'dir', 'bundle'] : ['explain', 'json', 'trace', 'dir', 'bundle']);
        const file = positional[0];
        if (!file) throw new UsageError(`${command} needs a facts file: guideline ${command} patient.json`);
        let guideline: Guideline & { hash?: string };
        if (flags.has('bundle')) guideline = readBundle(readFileSync(String(flags.get('bundle')), 'utf8'));
        else {
          const g = loadChecked(resolve(typeof flags.get('dir') === 'string' ? String(flags.get('dir')) : defaultGuidelineDir()), io);
          if (!g) return 1;
          guideline = g;
        }
        if (!existsSync(file)) throw new UsageError(`no such facts file: ${file}`);
        let facts: unknown;
        try {
          facts = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new EngineError('invalid-facts', `${file} is not valid JSON (${(e as Error).message}). The facts file must be one JSON object such as {"albumin": 3.8}.`);
        }
        if (command === 'options') {
          const view = treatmentOptions(guideline, evaluate(guideline, facts));
          io.out(flags.has('json') ? canonicalJson(view, 2) + '\n' : formatTreatmentOptions(view));
          return 0;
        }
        const explainFlag = flags.get('explain');
        const wantTrace = flags.has('trace') || explainFlag !== undefined;
        const result = evaluate(guideline, facts, { trace: wantTrace });
        if (flags.has('json')) {
          if (!flags.has('trace')) delete result.trace;
          io.out(canonicalJson(result, 2) + '\n');
        } else {
          io.out(explain(guideline, result, explainFlag === 'full' ? 'full' : 'summary'));
          // The treatment options view closes the explanation: what a clinician asks first.
          if (explainFlag !== undefined) io.out('\n' + formatRecommendations(recommendFromResult(guideline, result)));
        }
        return 0;
      }
      case 'recommend':
        allowFlags(flags, ['json', 'all', 'dir', 'bundle']);
        return recommendCommand({ file: positional[0], json: flags.has('json'), all: flags.has('all'), ...(flags.has('bundle') ? { bundle: String(flags.get('bundle')) } : {}), load: () => loadChecked(resolve(typeof flags.get('dir') === 'string' ? String(flags.get('dir')) : defaultGuidelineDir()), io) }, io);
      case 'export':
        return exportCommand(rest, io, (dir) => loadChecked(dir ?? defaultGuidelineDir(), io));
      case 'serve':
        return await serveCommand(rest, io, (dir) => loadChecked(dir ?? defaultGuidelineDir(), io));
      case 'test':
        allowFlags(flags, ['update', 'coverage', 'dir']);
        return runTests(resolve(typeof flags.get('dir') === 'string' ? String(flags.get('dir')) : defaultGuidelineDir()), { update: flags.has('update'), coverage: flags.has('coverage') }, io);
      case 'interpretations': {
        allowFlags(flags, ['json', 'markdown', 'dir']);
        const g = loadChecked(dirOf(), io);
        if (!g) return 1;
        const register = interpretationRegister(g);
        if (flags.has('json')) io.out(JSON.stringify(register, null, 2) + '\n');
        else if (flags.has('markdown')) {
          io.out(`# Interpretations register: ${g.manifest.id} v${g.manifest.version}\n\n| node | about | category | decision | reason |\n|---|---|---|---|---|\n`);
          for (const e of register) io.out(`| ${e.node} | ${e.about ?? ''} | ${e.category} | ${e.text.replace(/\|/g, '\\|')} | ${e.reason.replace(/\|/g, '\\|')} |\n`);
        } else {
          for (const e of register) io.out(`${e.node}${e.about ? ` ${e.about}` : ''} [${e.category}]\n  decision: ${e.text}\n  reason:   ${e.reason}\n\n`);
          io.out(`${register.length} interpretation(s)\n`);
        }
        return 0;
      }
      case 'bundle': {
        allowFlags(flags, ['dir', 'out', 'sign']);
        const g = loadChecked(dirOf(), io);
        if (!g) return 1;
        const out = resolve(typeof flags.get('out') === 'string' ? String(flags.get('out')) : 'dist');
        mkdirSync(out, { recursive: true });
        writeBundle(g, out, str(flags, 'sign'), io);
        return 0;
      }
      case 'verify':
        allowFlags(flags, ['key']);
        if (!positional[0]) throw new UsageError('verify needs a bundle file: guideline verify dist/x.bundle.json --key pub.pem');
        return runVerify({ file: positional[0], key: str(flags, 'key') }, io);
      case 'diff':
      case 'changelog': {
        allowFlags(flags, command === 'diff' ? ['format', 'out', 'dir'] : ['date', 'out', 'dir']);
        if (positional.length !== 2) throw new UsageError(`${command} needs two sides: guideline ${command} git:HEAD~1 guideline/<id>`);
        const dir = () => resolve(str(flags, 'dir') ?? defaultGuidelineDir());
        const [base, head] = positional;
        return command === 'diff'
          ? runDiff({ base, head, format: str(flags, 'format'), out: str(flags, 'out'), dir }, io)
          : runChangelog({ base, head, date: str(flags, 'date'), out: str(flags, 'out'), dir }, io);
      }
      case 'render': {
        allowFlags(flags, ['out', 'dir']);
        const dir = () => resolve(str(flags, 'dir') ?? defaultGuidelineDir());
        return runRender({ source: positional[0] ?? dir(), out: str(flags, 'out'), dir }, io);
      }
      case 'format': {
        allowFlags(flags, ['check', 'dir']);
        const dir = dirOf();
        if (!existsSync(join(dir, 'manifest.json'))) throw new UsageError(`${dir} is not a guideline folder (no manifest.json)`);
        const differ: string[] = [];
        for (const f of readSourceFiles(dir)) {
          if (f.path.startsWith('examples/')) continue;
          let doc: unknown;
          try { doc = JSON.parse(f.text); } catch { io.err(`${f.path}: not valid JSON, left as it is\n`); continue; }
          const text = formatDocument(doc);
          if (text === f.text) continue;
          differ.push(f.path);
          if (!flags.has('check')) writeAtomically(join(dir, f.path), text);
        }
        for (const p of differ) io.out(`${flags.has('check') ? 'not in house layout' : 'reformatted'}: ${p}\n`);
        io.out(`${differ.length} file(s) ${flags.has('check') ? 'differ' : 'rewritten'}\n`);
        return flags.has('check') && differ.length ? 1 : 0;
      }
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) { io.err(`${e.message}\n\n${USAGE}\n`); return 2; }
    if (e instanceof EngineError) { io.err(`${e.message}\n`); return 2; }
    throw e;
  }
}

function str(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  // rename is atomic on one file system: readers see the old file or the new one, never half.
  renameSync(tmp, path);
}

function runTests(dir: string, options: { update: boolean; coverage: boolean }, io: Io): number {
  const g = loadChecked(dir, io);
  if (!g) return 1;
  const goldenDir = join(PACKAGE_ROOT, 'test', 'golden', g.manifest.id);
  const fromSource = runCases(g, { trace: true });
  // The same cases through the built bundle, serialised and read back: both must agree.
  const fromBundle = runCases(readBundle(JSON.stringify(makeBundle(g))), { trace: true });
  let passed = 0;
  let failed = 0;
  fromSource.forEach((run, i) => {
    const problems: string[] = [];
    if (run.error) problems.push(run.error);
    for (const m of run.mismatches) problems.push(`${m.key}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`);
    for (const b of run.invariantBreaks ?? []) problems.push(`invariant broken: ${b.message}`);
    const bundled = fromBundle[i];
    if (run.result && bundled.result) {
      const a = canonicalJson({ ...run.result, guideline: undefined });
      const b = canonicalJson({ ...bundled.result, guideline: undefined });
      if (a !== b) problems.push('the built bundle gives a different result than the source tree');
    }
    if (run.result) {
      const c = g.cases.find((x) => x.id === run.id)!;
      const golden = goldenOf(g, c, run);
      const path = join(goldenDir, `${run.id}.json`);
      if (options.update) {
        mkdirSync(goldenDir, { recursive: true });
        if (!existsSync(path) || readFileSync(path, 'utf8') !== golden) writeAtomically(path, golden);
      } else if (!existsSync(path)) problems.push(`no golden trace at ${path}: run "guideline test --update" and review it`);
      else if (readFileSync(path, 'utf8') !== golden) problems.push(`golden trace differs from ${path}: review the change, then "guideline test --update"`);
    }
    if (problems.length) {
      failed++;
      io.out(`FAIL ${run.id}\n     ${run.title}\n${problems.map((p) => `     - ${p}\n`).join('')}`);
    } else passed++;
  });
  if (options.update && existsSync(goldenDir)) {
    const ids = new Set(g.cases.map((c) => `${c.id}.json`));
    for (const f of readdirSync(goldenDir)) if (!ids.has(f)) unlinkSync(join(goldenDir, f)); // goldens of deleted cases
  }
  if (options.coverage) printCoverage(g, fromSource, io);
  io.out(`cases: ${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

function printCoverage(g: Guideline, runs: ReturnType<typeof runCases>, io: Io): void {
  const report = coverage(g, runs);
  io.out('\nCoverage (cases whose expectations check each clause and definition)\n');
  for (const e of report.entries) {
    const parts = Object.entries(e.outcomes).map(([o, ids]) => `${o}: ${ids.length}`);
    io.out(`  ${e.key}  ${parts.join(', ') || '—'}\n`);
  }
  io.out(`\nNot exercised by any case (${report.untested.length}): ${report.untested.join(', ') || 'none'}\n`);
  io.out(`Clauses checked on one side only (${report.oneSided.length}): ${report.oneSided.join(', ') || 'none'}\n`);
}

export type { Io };
