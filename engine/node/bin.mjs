#!/usr/bin/env node
// The `guideline` command in the repository: runs the TypeScript CLI from source through tsx (a
// development dependency). The installed package runs the compiled dist/engine/node/main.js instead.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./cli.ts');
await run(process.argv.slice(2));
