// vitest global setup: rebuild engine/runtime/generated.ts (the ajv standalone bundle validator and
// the engine version) from schema/*.json and package.json, so tests never run a stale validator.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['engine/node/build/gen-validators.mjs'], { stdio: 'inherit' });
}
