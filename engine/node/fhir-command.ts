// `guideline eval --fhir patient-bundle.json [--now YYYY-MM-DD] [--lookback-days N] [--json]
// [--explain] [--dir dir | --bundle file]`: a FHIR R4 patient Bundle through fhirToFacts
// (engine/interop), then the patient's recommendations. Its own module so that cli.ts only dispatches.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fhirToFacts } from '../interop/index.ts';
import { canonicalJson, EngineError, evaluate, explain, formatRecommendations, readBundle, recommendFromResult, type Guideline } from '../runtime/index.ts';

export interface FhirIo { out(s: string): void; err(s: string): void }

export function evalFhirCommand(argv: string[], io: FhirIo, load: (dir?: string) => Guideline | undefined): number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { fhir: { type: 'string' }, now: { type: 'string' }, 'lookback-days': { type: 'string' }, json: { type: 'boolean' }, explain: { type: 'boolean' }, dir: { type: 'string' }, bundle: { type: 'string' } }, strict: true }));
  } catch (e) {
    throw new EngineError('usage', `eval --fhir: ${(e as Error).message}`);
  }
  const file = values.fhir as string | undefined;
  if (!file) throw new EngineError('usage', 'eval --fhir needs a FHIR Bundle file: guideline eval --fhir patient-bundle.json');
  const g = values.bundle ? readBundle(readFileSync(String(values.bundle), 'utf8')) : load(values.dir ? resolve(String(values.dir)) : undefined);
  if (!g) return 1;
  if (!existsSync(file)) throw new EngineError('usage', `no such FHIR file: ${file}`);
  let bundle: unknown;
  try { bundle = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    throw new EngineError('invalid-facts', `${file} is not valid JSON (${(e as Error).message})`);
  }
  const now = (values.now as string | undefined) ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}/.test(now)) throw new EngineError('usage', `--now must be a date (YYYY-MM-DD), not "${now}"`);
  const lookbackDays = values['lookback-days'] !== undefined ? Number(values['lookback-days']) : 90;
  if (!Number.isFinite(lookbackDays) || lookbackDays < 0) throw new EngineError('usage', `--lookback-days must be a number of days`);
  const mapped = fhirToFacts(bundle, { guideline: g, now, lookbackDays });
  const result = evaluate(g, mapped.facts, { trace: !!values.explain });
  const view = recommendFromResult(g, result);
  if (values.json) {
    delete result.trace;
    io.out(canonicalJson({ now, lookbackDays, facts: mapped.facts, sources: mapped.sources, unmapped: mapped.unmapped, superseded: mapped.superseded, recommendations: view }, 2) + '\n');
    return 0;
  }
  io.out(`Facts from ${file} (as of ${now}, look-back ${lookbackDays} days):\n`);
  for (const [k, v] of Object.entries(mapped.facts)) {
    const s = mapped.sources[k];
    io.out(`  ${k} = ${JSON.stringify(v)}  (${s.resource}${s.date ? `, ${s.date}` : ''}${s.from ? `, from ${s.from}` : ''})\n`);
  }
  if (mapped.unmapped.length) {
    io.out(`Not mapped (${mapped.unmapped.length}):\n`);
    for (const u of mapped.unmapped) io.out(`  ${u.resource}: ${u.reason}\n`);
  }
  if (mapped.superseded.length) {
    io.out(`Older values replaced by a more recent one (${mapped.superseded.length}):\n`);
    for (const u of mapped.superseded) io.out(`  ${u.resource}: ${u.reason}\n`);
  }
  io.out('\n');
  if (values.explain) io.out(explain(g, result, 'summary') + '\n');
  io.out(formatRecommendations(view));
  return 0;
}
