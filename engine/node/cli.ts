// The `guideline` command. Exit codes: 0 success, 1 findings, failing cases or a failed
// verification, 2 bad usage or bad input (a message on stderr, never a stack trace; with --json,
// the error as JSON).
//
// One entry per command in COMMANDS (usage line, options for node:util parseArgs, run). To add a
// command, add one entry (its run() may live in its own module, as review.ts does for diff & co.).
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EngineError } from '../runtime/errors.ts';
import type { EvaluationResult } from '../runtime/evaluate.ts';
import type { Finding, Guideline, JsonValue } from '../runtime/types.ts';
import { readInputFile, systemMessage, writeAtomic } from './files.ts';
import { defaultGoldenDir, PACKAGE_ROOT, PACKAGE_VERSION } from './paths.ts';

// Each command imports what it uses when it runs: `guideline --version` or `guideline check` does
// not load the renderer, the diff, the bundle reader's schemas or the SQL and Z3 wings.
const runtime = () => import('../runtime/index.ts');
const authoring = () => import('../authoring/index.ts');
const review = () => import('./review.ts');
const loader = () => import('./load.ts');

export { PACKAGE_ROOT };

class UsageError extends Error {
  constructor(message: string, readonly command?: string) { super(message); }
}

interface Io { out: (s: string) => void; err: (s: string) => void }
const stdio: Io = { out: (s) => { process.stdout.write(s); }, err: (s) => { process.stderr.write(s); } };

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;
interface Args { values: Values; positionals: string[] }

interface Command {
  /** usage after "guideline <name> " */
  usage: string;
  /** what it does, one or more lines */
  summary: string;
  options: Options;
  /** how many positional arguments: [min, max] */
  positionals: [number, number];
  run(args: Args, io: Io): number | Promise<number>;
}

const dirOption: Options = { dir: { type: 'string' } };
const guidelineDir = (v: Values, positional?: string) => resolve(typeof v.dir === 'string' ? v.dir : positional ?? defaultGuidelineDir());

export const COMMANDS: Record<string, Command> = {
  check: {
    usage: '[dir] [--json]',
    summary: 'schema + semantic check of a guideline folder',
    options: { json: { type: 'boolean' }, ...dirOption },
    positionals: [0, 1],
    async run({ values, positionals }, io) {
      const dir = guidelineDir(values, positionals[0]);
      requireGuidelineFolder(dir);
      const { guideline, findings } = (await loader()).loadGuideline(dir);
      const errors = findings.filter((f) => f.severity === 'error').length;
      if (values.json) io.out(JSON.stringify(findings, null, 2) + '\n');
      else {
        for (const f of findings) io.out(formatFinding(f) + '\n');
        const recs = guideline.nodes.filter((n) => n.kind === 'recommendation').length;
        io.out(`${guideline.manifest.id} v${guideline.manifest.version}: ${guideline.inputs.length} inputs, ${guideline.nodes.length} nodes (${recs} recommendations), ${guideline.cases.length} cases; ${errors} error(s), ${findings.length - errors} warning(s)\n`);
      }
      return errors ? 1 : 0;
    },
  },
  eval: {
    usage: '<facts.json | -> [--explain[=summary|full]] [--json] [--trace] [--dir dir | --bundle file]',
    summary: 'evaluate the guideline for one patient',
    options: { explain: { type: 'string' }, json: { type: 'boolean' }, trace: { type: 'boolean' }, bundle: { type: 'string' }, ...dirOption },
    positionals: [1, 1],
    async run({ values, positionals }, io) {
      const explainMode = values.explain;
      if (explainMode !== undefined && explainMode !== 'summary' && explainMode !== 'full') {
        throw new UsageError(`--explain takes summary or full, not "${explainMode}"`, 'eval');
      }
      const guideline = await guidelineFor(values, io);
      if (!guideline) return 1;
      const { canonicalJson, evaluate, explain, formatRecommendations, recommendFromResult } = await runtime();
      const facts = readFacts(positionals[0]);
      const wantTrace = !!values.trace || explainMode !== undefined;
      const result = evaluate(guideline, facts, { trace: wantTrace });
      if (values.json) {
        if (!values.trace) delete result.trace;
        io.out(canonicalJson(result, 2) + '\n');
      } else {
        io.out(explain(guideline, result, explainMode === 'full' ? 'full' : 'summary'));
        // The patient's recommendations close the explanation: what a clinician asks first.
        if (explainMode !== undefined) io.out('\n' + formatRecommendations(recommendFromResult(guideline, result)));
      }
      return 0;
    },
  },
  options: {
    usage: '<facts.json | -> [--json] [--dir dir | --bundle file]',
    summary: 'treatment options for one patient, ordered primary first\n(derived from the recommendations, not a copy of Figure 8)',
    options: { json: { type: 'boolean' }, bundle: { type: 'string' }, ...dirOption },
    positionals: [1, 1],
    async run({ values, positionals }, io) {
      const guideline = await guidelineFor(values, io);
      if (!guideline) return 1;
      const { canonicalJson, evaluate, formatTreatmentOptions, treatmentOptions } = await runtime();
      const view = treatmentOptions(guideline, evaluate(guideline, readFacts(positionals[0])));
      io.out(values.json ? canonicalJson(view, 2) + '\n' : formatTreatmentOptions(view));
      return 0;
    },
  },
  recommend: {
    usage: '<facts.json | -> [--json] [--all] [--dir dir | --bundle file]',
    summary: "the patient's recommendations: one per intervention, conflicts, what to ask next\n(only rules whose population includes the patient)",
    options: { json: { type: 'boolean' }, all: { type: 'boolean' }, bundle: { type: 'string' }, ...dirOption },
    positionals: [1, 1],
    async run({ values, positionals }, io) {
      const guideline = await guidelineFor(values, io);
      if (!guideline) return 1;
      const { canonicalJson, formatRecommendations, recommend } = await runtime();
      const view = recommend(guideline, readFacts(positionals[0]));
      io.out(values.json ? canonicalJson(view, 2) + '\n' : formatRecommendations(view, { all: !!values.all }));
      return 0;
    },
  },
  test: {
    usage: '[--update] [--coverage] [--dir dir] [--golden dir]',
    summary: 'run every case from the source tree and from the built bundle, and compare golden\ntraces (--update rewrites them; --golden: their folder, default test/golden/<id>)',
    options: { update: { type: 'boolean' }, coverage: { type: 'boolean' }, golden: { type: 'string' }, ...dirOption },
    positionals: [0, 0],
    run({ values }, io) {
      return runTests(guidelineDir(values), { update: !!values.update, coverage: !!values.coverage, golden: values.golden as string | undefined }, io);
    },
  },
  interpretations: {
    usage: '[--json | --markdown] [--dir dir]',
    summary: 'list every interpretation note with its node and reason',
    options: { json: { type: 'boolean' }, markdown: { type: 'boolean' }, ...dirOption },
    positionals: [0, 1],
    async run({ values, positionals }, io) {
      const g = await loadChecked(guidelineDir(values, positionals[0]), io);
      if (!g) return 1;
      const register = (await authoring()).interpretationRegister(g);
      if (values.json) io.out(JSON.stringify(register, null, 2) + '\n');
      else if (values.markdown) {
        io.out(`# Interpretations register: ${g.manifest.id} v${g.manifest.version}\n\n| node | about | category | decision | reason |\n|---|---|---|---|---|\n`);
        for (const e of register) io.out(`| ${e.node} | ${e.about ?? ''} | ${e.category} | ${e.text.replace(/\|/g, '\\|')} | ${e.reason.replace(/\|/g, '\\|')} |\n`);
      } else {
        for (const e of register) io.out(`${e.node}${e.about ? ` ${e.about}` : ''} [${e.category}]\n  decision: ${e.text}\n  reason:   ${e.reason}\n\n`);
        io.out(`${register.length} interpretation(s)\n`);
      }
      return 0;
    },
  },
  bundle: {
    usage: '[--dir dir] [--out folder] [--sign key.pem] [--no-cases] [--compile]',
    summary: 'write <out>/<id>-<version>.bundle.json (default out: dist) and its JSON Schemas;\n--sign adds an Ed25519 signature, --no-cases leaves the regression cases out,\n--compile also writes <id>-<version>.compiled.js, the compiled evaluator as an ES module\n(for pages whose CSP forbids new Function; see useCompiledModule)',
    options: { out: { type: 'string' }, sign: { type: 'string' }, 'no-cases': { type: 'boolean' }, compile: { type: 'boolean' }, ...dirOption },
    positionals: [0, 1],
    async run({ values, positionals }, io) {
      const g = await loadChecked(guidelineDir(values, positionals[0]), io);
      if (!g) return 1;
      const out = resolve(typeof values.out === 'string' ? values.out : 'dist');
      (await review()).writeBundle(g, out, values.sign as string | undefined, io, { cases: !values['no-cases'], compile: !!values.compile });
      return 0;
    },
  },
  verify: {
    usage: '<bundle.json | -> [--key pub.pem]',
    summary: 'check the schema and content hash and, with --key, the Ed25519 signature\n(without --key: "not verified: no key given")',
    options: { key: { type: 'string' } },
    positionals: [1, 1],
    async run({ values, positionals }, io) {
      return (await review()).runVerify({ file: positionals[0], key: values.key as string | undefined }, io);
    },
  },
  diff: {
    usage: '<base> <head> [--format text|markdown|json|html] [--out file] [--analysis] [--dir dir]',
    summary: 'node, logic and outcome diff between two versions and the version bump it requires\n(exit 1 if head\'s version does not satisfy it). Each side: a guideline folder, a bundle\nfile, or git:<rev> (the --dir folder at that git revision). --analysis adds the change in\nanalysis (guideline analyze on both sides: invariants, conflicts, dead clauses, gaps, boundaries)',
    options: { format: { type: 'string' }, out: { type: 'string' }, analysis: { type: 'boolean' }, ...dirOption },
    positionals: [2, 2],
    async run({ values, positionals: [base, head] }, io) {
      return (await review()).runDiff({ base, head, format: values.format as string | undefined, out: values.out as string | undefined, dir: () => guidelineDir(values), analysis: !!values.analysis }, io);
    },
  },
  changelog: {
    usage: '<base> <head> [--date YYYY-MM-DD] [--out file] [--dir dir]',
    summary: 'draft a CHANGELOG entry (impacted nodes and cases)',
    options: { date: { type: 'string' }, out: { type: 'string' }, ...dirOption },
    positionals: [2, 2],
    async run({ values, positionals: [base, head] }, io) {
      return (await review()).runChangelog({ base, head, date: values.date as string | undefined, out: values.out as string | undefined, dir: () => guidelineDir(values) }, io);
    },
  },
  render: {
    usage: '[dir | bundle | git:<rev>] [--out file.html] [--dir dir]',
    summary: 'the whole guideline as one self-contained HTML book',
    options: { out: { type: 'string' }, ...dirOption },
    positionals: [0, 1],
    async run({ values, positionals }, io) {
      return (await review()).runRender({ source: positionals[0] ?? guidelineDir(values), out: values.out as string | undefined, dir: () => guidelineDir(values) }, io);
    },
  },
  audit: {
    usage: '<patients.(jsonl|csv|parquet)> [--db duckdb|pglite|postgres://...] [--json] [--html report.html] [--sql out.sql] [--dir dir]',
    summary: 'the guideline as SQL over a population (DuckDB embedded by default): per rule and clause\nhow many patients it applies to, does not, stays undecided for; missing facts; concordance',
    options: { db: { type: 'string' }, html: { type: 'string' }, sql: { type: 'string' }, ...dirOption },
    positionals: [1, 1],
    async run({ values, positionals }, io) {
      const g = await loadChecked(guidelineDir(values), io);
      if (!g) return 1;
      const { runAudit, AuditError } = await import('./audit-command.ts');
      const { SqlTranslationError } = await import('../interop/index.ts');
      try {
        return await runAudit(g, positionals[0], { db: values.db as string | undefined, json: values.json === true, html: values.html as string | undefined, sql: values.sql as string | undefined }, io);
      } catch (e) {
        if (e instanceof AuditError || e instanceof SqlTranslationError) {
          io.err(values.json ? JSON.stringify({ error: { code: e instanceof AuditError ? 'audit' : 'sql-translation', message: e.message } }) + '\n' : `${e.message}\n`);
          return 2;
        }
        throw e;
      }
    },
  },
  format: {
    usage: '[--check] [--dir dir]',
    summary: 'rewrite every document in the house layout (key order, 2-space JSON);\n--check only lists the files that differ',
    options: { check: { type: 'boolean' }, ...dirOption },
    positionals: [0, 1],
    async run({ values, positionals }, io) {
      const dir = guidelineDir(values, positionals[0]);
      requireGuidelineFolder(dir);
      const { readSourceFiles } = await loader();
      const { formatDocument } = await authoring();
      const differ: string[] = [];
      for (const f of readSourceFiles(dir)) {
        if (f.path.startsWith('examples/')) continue;
        let doc: unknown;
        try { doc = JSON.parse(f.text); } catch { io.err(`${f.path}: not valid JSON, left as it is\n`); continue; }
        const text = formatDocument(doc);
        if (text === f.text) continue;
        differ.push(f.path);
        if (!values.check) writeAtomic(join(dir, f.path), text);
      }
      for (const p of differ) io.out(`${values.check ? 'not in house layout' : 'reformatted'}: ${p}\n`);
      io.out(`${differ.length} file(s) ${values.check ? 'differ' : 'rewritten'}\n`);
      return values.check && differ.length ? 1 : 0;
    },
  },
  analyze: {
    usage: '[--dir dir] [--json] [--suggest [--drafts dir]]',
    summary: 'prove the guideline for every patient (Z3): invariants proved or refuted with a witness,\nconflicts, dead clauses, gaps, boundary coverage; exit 1 on a refuted invariant or a conflict',
    options: { suggest: { type: 'boolean' }, drafts: { type: 'string' }, ...dirOption },
    positionals: [0, 0],
    async run({ values }, io) {
      const guideline = await loadChecked(guidelineDir(values), io);
      if (!guideline) return 1;
      return (await import('./analyze-command.ts')).runAnalyze(guideline, { json: !!values.json, suggest: !!values.suggest, drafts: values.drafts as string | undefined }, io);
    },
  },
};

const indent = (text: string, by: string) => text.split('\n').map((l) => by + l).join('\n');

function usage(): string {
  const lines = ['usage: guideline <command> [options]    (guideline <command> --help for one command)', ''];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name} ${c.usage}`, indent(c.summary, '      '));
  lines.push('  eval --fhir <bundle.json> [--now YYYY-MM-DD] [--lookback-days N] [--json] [--explain]', indent('the same from a FHIR R4 patient Bundle (facts, and what was not mapped)', '      '),
    '  export fhir|questionnaire [--out dir] [--dir dir]', indent('the guideline as a FHIR R4 CPG Bundle (PlanDefinition per recommendation, GRADE extensions,\ncitations), or the FHIR Questionnaire of the facts a clinician answers', '      '),
    '  serve --cds-hooks [--port N] [--now YYYY-MM-DD] [--dir dir | --bundle file]', indent('a CDS Hooks 2.0 service (patient-view) on 127.0.0.1', '      '));
  lines.push('  serve [--shared] ...', indent("the editor's server; the committee's with --shared (guideline serve --help)", '      '),
    '  users add|list|remove ...', indent('accounts of the shared server (guideline users --help)', '      '));
  lines.push('', '  --version                            print the engine version', '  --json                               errors as JSON on stderr (every command)', '',
    'The guideline folder defaults to the only folder under guideline/. "-" reads a file from standard input.',
    'Exit codes: 0 success, 1 findings, failing cases or failed verification, 2 bad usage or bad input.');
  return lines.join('\n');
}

function commandUsage(name: string): string {
  const c = COMMANDS[name];
  const opts = Object.keys(c.options).map((o) => `--${o}`).concat('--help').join(', ');
  return `usage: guideline ${name} ${c.usage}\n${indent(c.summary, '  ')}\noptions: ${opts}`;
}

export function defaultGuidelineDir(): string {
  const root = join(PACKAGE_ROOT, 'guideline');
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'manifest.json'))) : [];
  if (dirs.length !== 1) throw new UsageError(`cannot choose a guideline folder under ${root} (found ${dirs.length}); pass --dir`);
  return join(root, dirs[0]);
}

function requireGuidelineFolder(dir: string): void {
  if (!existsSync(join(dir, 'manifest.json'))) throw new UsageError(`${dir} is not a guideline folder (no manifest.json)`);
}

function formatFinding(f: Finding): string {
  return `${f.severity} ${f.code} ${f.file ?? ''}${f.pointer ? `#${f.pointer}` : ''}${f.node ? ` (${f.node})` : ''}: ${f.message}`;
}

async function loadChecked(dir: string, io: Io): Promise<Guideline | undefined> {
  return loadCheckedWith((await loader()).loadGuideline, dir, io);
}

function loadCheckedWith(loadGuideline: typeof import('./load.ts').loadGuideline, dir: string, io: Io): Guideline | undefined {
  requireGuidelineFolder(dir);
  const { guideline, findings } = loadGuideline(dir);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    for (const f of errors) io.err(formatFinding(f) + '\n');
    io.err(`${errors.length} error(s) in ${dir}: fix them first (guideline check).\n`);
    return undefined;
  }
  return guideline;
}

/** The guideline of eval/options: a bundle (--bundle, its schema and hash checked) or a checked folder. */
async function guidelineFor(values: Values, io: Io): Promise<(Guideline & { hash?: string }) | undefined> {
  if (typeof values.bundle === 'string') return (await import('../runtime/bundle.ts')).readBundle(readInputFile(values.bundle, 'bundle'));
  return loadChecked(guidelineDir(values), io);
}

function readFacts(file: string): unknown {
  const text = readInputFile(file, 'facts file');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError('invalid-facts', `${file === '-' ? 'standard input' : file} is not valid JSON (${(e as Error).message}). The facts file must be one JSON object such as {"albumin": 3.8}.`);
  }
}

/** `--explain` without a value means --explain=summary (parseArgs would take the next argument). */
function normalise(argv: string[]): string[] {
  return argv.map((a) => (a === '--explain' ? '--explain=summary' : a));
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const json = argv.includes('--json');
  const fail = (code: string, message: string, exit: number, extra: Record<string, unknown> = {}) => {
    io.err(json ? JSON.stringify({ error: { code, message, ...extra } }) + '\n' : `${message}\n`);
    return exit;
  };
  const [name, ...rest] = argv;
  try {
    if (name === '--version' || name === '-v') { io.out(`${PACKAGE_VERSION}\n`); return 0; }
    if (name === undefined) { io.err(usage() + '\n'); return 2; }
    if (name === 'help' || name === '--help' || name === '-h') {
      const topic = rest[0];
      io.out((topic && Object.hasOwn(COMMANDS, topic) ? commandUsage(topic) : usage()) + '\n');
      return 0;
    }
    // These commands parse their own arguments: FHIR in and out (fhir-command.ts, export-command.ts),
    // the CDS Hooks service (cds-hooks-server.ts), the editor's and committee's server (serve.ts).
    const needsLoader = (name === 'eval' && rest.includes('--fhir')) || name === 'export' || (name === 'serve' && rest.includes('--cds-hooks'));
    const load = needsLoader ? (await loader()).loadGuideline : undefined;
    const loadFrom = (dir?: string) => loadCheckedWith(load!, resolve(dir ?? defaultGuidelineDir()), io);
    if (name === 'eval' && rest.includes('--fhir')) return (await import('./fhir-command.ts')).evalFhirCommand(rest, io, loadFrom);
    if (name === 'export') return (await import('./export-command.ts')).exportCommand(rest, io, loadFrom);
    if (name === 'serve' && rest.includes('--cds-hooks')) return await (await import('./cds-hooks-server.ts')).serveCommand(rest, io, loadFrom);
    if (name === 'serve' || name === 'users') return await (await import('./serve.ts')).runServerCommand(name, rest, io);
    if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    const command = COMMANDS[name];
    let parsed: Args;
    try {
      parsed = parseArgs({
        args: normalise(rest),
        options: { ...command.options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      }) as Args;
    } catch (e) {
      const opts = Object.keys(command.options).map((o) => `--${o}`).concat('--help').join(', ');
      const m = /Unknown option '([^']+)'/.exec((e as Error).message);
      if (m) throw new UsageError(`unknown option ${m[1]} for "${name}"; its options: ${opts}`, name);
      const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec((e as Error).message);
      if (missing) throw new UsageError(`${missing[1]} needs a value`, name);
      throw new UsageError(`${(e as Error).message.split('\n')[0]}; options of "${name}": ${opts}`, name);
    }
    if (parsed.values.help) { io.out(commandUsage(name) + '\n'); return 0; }
    const [min, max] = command.positionals;
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      throw new UsageError(n < min ? `"${name}" needs ${min === max ? min : `at least ${min}`} argument(s): guideline ${name} ${command.usage}` : `too many arguments for "${name}": ${parsed.positionals.slice(max).join(' ')}`, name);
    }
    for (const [k, v] of Object.entries(parsed.values)) if (v === '') throw new UsageError(`--${k} needs a value`, name);
    return await command.run(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      if (json) return fail('usage', e.message, 2);
      io.err(`${e.message}\n\n${e.command ? commandUsage(e.command) : usage()}\n`);
      return 2;
    }
    if (e instanceof EngineError) return fail(e.code, e.message, 2, e.problems.length ? { problems: e.problems } : {});
    const code = (e as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return fail(code, `guideline ${name}: ${systemMessage(e)}${(e as NodeJS.ErrnoException).path ? ` (${(e as NodeJS.ErrnoException).path})` : ''}`, 2);
    // A bug, not bad input: one line, no stack trace (GUIDELINE_DEBUG=1 prints it).
    if (process.env.GUIDELINE_DEBUG) io.err(`${(e as Error)?.stack}\n`);
    return fail('internal', `guideline ${name}: internal error: ${(e as Error)?.message ?? String(e)} (please report it; GUIDELINE_DEBUG=1 shows the stack)`, 1);
  }
}

async function runTests(dir: string, options: { update: boolean; coverage: boolean; golden?: string }, io: Io): Promise<number> {
  const g = await loadChecked(dir, io);
  if (!g) return 1;
  const { canonicalJson, makeBundle, readBundle } = await runtime();
  const { coverage, runCase } = await authoring();
  const { goldenOf } = await import('../authoring/golden.ts');
  const { sameJson } = await import('../runtime/logic.ts');
  const { shareCompiled } = await import('../runtime/evaluate.ts');
  const goldenDir = options.golden ? resolve(options.golden) : defaultGoldenDir(g.manifest.id);
  // The same cases through the built bundle, serialised and read back: both must agree. Its
  // content hashes to the source's (readBundle checks it), so the traces follow from the same
  // expressions: the bundle side runs without a trace (and without the invariants, a function of
  // the result), and its results are compared. The source side traces only the nodes each golden
  // file shows, and a case's trace is dropped once its golden is compared: kept for every case, the
  // traces made the heap, and the garbage collector's work, grow with the corpus. Being the same
  // content, the bundle runs the source's compiled form instead of compiling its own.
  const bundle = readBundle(JSON.stringify(makeBundle(g)));
  shareCompiled(g, bundle);
  const fromSource: ReturnType<typeof runCase>[] = [];
  let passed = 0;
  let failed = 0;
  g.cases.forEach((c, i) => {
    const run = runCase(g, c, { trace: 'golden' });
    fromSource.push(run);
    const problems: string[] = [];
    if (run.error) problems.push(run.error);
    for (const m of run.mismatches) problems.push(`${m.key}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`);
    for (const b of run.invariantBreaks ?? []) problems.push(`invariant broken: ${b.message}`);
    const bundled = runCase(bundle, bundle.cases[i], { trace: false, invariants: false });
    if (run.result && bundled.result && !sameResult(run.result, bundled.result, sameJson, canonicalJson)) problems.push('the built bundle gives a different result than the source tree');
    if (run.result) {
      const golden = goldenOf(g, c, run);
      delete run.result.trace;
      const path = join(goldenDir, `${run.id}.json`);
      if (options.update) {
        mkdirSync(goldenDir, { recursive: true });
        if (!existsSync(path) || readFileSync(path, 'utf8') !== golden) writeAtomic(path, golden);
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
  if (options.coverage) printCoverage(coverage(g, fromSource), io);
  io.out(`cases: ${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

/** Facts, values and rules equal (the guideline's hash and the trace aside). */
function sameResult(a: EvaluationResult, b: EvaluationResult, sameJson: (a: JsonValue, b: JsonValue) => boolean, canonicalJson: (v: unknown) => string): boolean {
  const parts = (r: EvaluationResult) => [r.facts, r.values, r.rules] as unknown as JsonValue;
  // Equal members, compared in place, make equal JSON (no strings built: serialising both sides
  // took a tenth of the run). Otherwise canonical JSON decides: undefined members and key order aside.
  return sameJson(parts(a), parts(b)) || canonicalJson(parts(a)) === canonicalJson(parts(b));
}

function printCoverage(report: ReturnType<typeof import('../authoring/index.ts').coverage>, io: Io): void {
  io.out('\nCoverage (cases whose expectations check each clause and definition)\n');
  for (const e of report.entries) {
    const parts = Object.entries(e.outcomes).map(([o, ids]) => `${o}: ${ids.length}`);
    io.out(`  ${e.key}  ${parts.join(', ') || '—'}\n`);
  }
  io.out(`\nNot exercised by any case (${report.untested.length}): ${report.untested.join(', ') || 'none'}\n`);
  io.out(`Clauses checked on one side only (${report.oneSided.length}): ${report.oneSided.join(', ') || 'none'}\n`);
}

export type { Io };

/** Run the command line and set the process exit code (the installed bin and engine/node/bin.mjs). */
export async function run(argv: string[]): Promise<void> {
  // Piped into `head`: the reader went away. Stop quietly, as other Unix tools do.
  const onPipeError = (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; };
  process.stdout.on('error', onPipeError);
  process.stderr.on('error', onPipeError);
  process.exitCode = await main(argv);
}
