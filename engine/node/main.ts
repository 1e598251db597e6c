#!/usr/bin/env node
// Entry of the installed `guideline` command (compiled to dist/engine/node/main.js; plain Node,
// no TypeScript loader). In the repository, engine/node/bin.mjs runs the same CLI from source.
import { run } from './cli.ts';

await run(process.argv.slice(2));
