// `guideline export fhir [--out dir] [--dir dir]`: the guideline as a FHIR R4 CPG Bundle
// (engine/interop/fhir-cpg.ts), written to <out>/<id>-<version>.fhir.json (default out: dist);
// `guideline export questionnaire`: the FHIR Questionnaire of the facts a clinician answers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportCpg, exportQuestionnaire } from '../interop/index.ts';
import { EngineError, type Guideline } from '../runtime/index.ts';

export function exportCommand(argv: string[], io: { out(s: string): void }, load: (dir?: string) => Guideline | undefined): number {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { out: { type: 'string' }, dir: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new EngineError('usage', `export: ${(e as Error).message}`);
  }
  const [what] = parsed.positionals;
  if (what !== 'fhir' && what !== 'questionnaire') throw new EngineError('usage', `export what? guideline export fhir|questionnaire --out dir (not "${what ?? ''}")`);
  const g = load(parsed.values.dir ? resolve(String(parsed.values.dir)) : undefined);
  if (!g) return 1;
  const out = resolve(String(parsed.values.out ?? 'dist'));
  mkdirSync(out, { recursive: true });
  if (what === 'questionnaire') {
    const q = exportQuestionnaire(g);
    const file = join(out, `${g.manifest.id}-${g.manifest.version}.questionnaire.json`);
    writeFileSync(file, JSON.stringify(q, null, 2) + '\n');
    io.out(`wrote ${file}: ${(q.item as unknown[]).length} questions for the facts a clinician answers\n`);
    return 0;
  }
  const bundle = exportCpg(g);
  const file = join(out, `${g.manifest.id}-${g.manifest.version}.fhir.json`);
  writeFileSync(file, JSON.stringify(bundle, null, 2) + '\n');
  const entries = (bundle.entry as { resource: { resourceType: string } }[]).map((e) => e.resource.resourceType);
  io.out(`wrote ${file}: ${entries.filter((t) => t === 'PlanDefinition').length} PlanDefinition, ${entries.filter((t) => t === 'ActivityDefinition').length} ActivityDefinition, 1 Library\n`);
  return 0;
}
