// `guideline recommend <facts.json> [--json] [--all] [--dir dir | --bundle file]`: the patient's
// recommendations (engine/runtime/recommend.ts). Its own module so that cli.ts only dispatches.
import { existsSync, readFileSync } from 'node:fs';
import { canonicalJson, EngineError, formatRecommendations, readBundle, recommend, type Guideline } from '../runtime/index.ts';

export interface RecommendIo { out(s: string): void; err(s: string): void }

/** Exit code 0; 2 for bad usage (thrown as `usage` for the CLI to print). */
export function recommendCommand(args: { file?: string; json: boolean; all: boolean; bundle?: string; load: () => Guideline | undefined }, io: RecommendIo): number {
  if (!args.file) throw new EngineError('usage', 'recommend needs a facts file: guideline recommend patient.json');
  let g: (Guideline & { hash?: string }) | undefined;
  if (args.bundle) g = readBundle(readFileSync(args.bundle, 'utf8'));
  else g = args.load();
  if (!g) return 1;
  if (!existsSync(args.file)) throw new EngineError('usage', `no such facts file: ${args.file}`);
  let facts: unknown;
  try {
    facts = JSON.parse(readFileSync(args.file, 'utf8'));
  } catch (e) {
    throw new EngineError('invalid-facts', `${args.file} is not valid JSON (${(e as Error).message}). The facts file must be one JSON object such as {"albumin": 3.8}.`);
  }
  const view = recommend(g, facts);
  io.out(args.json ? canonicalJson(view, 2) + '\n' : formatRecommendations(view, { all: args.all }));
  return 0;
}
