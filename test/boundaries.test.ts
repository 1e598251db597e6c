// What may import what (ARCHITECTURE.md): schema/ imports nothing of ours; engine/ (outside
// engine/node/) imports no Node built-in, no React and nothing from editor/; editor/ imports the
// engine only through engine/index.ts; json-logic-js is imported by engine/logic.ts alone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

function files(dir: string): string[] {
  let out: string[] = [];
  try {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) out = out.concat(files(p));
      else if (/\.(ts|tsx|mjs)$/.test(f)) out.push(p);
    }
  } catch { /* folder absent */ }
  return out;
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
}

const rel = (f: string) => relative(ROOT, f);

describe('module boundaries', () => {
  it('schema/ imports only ajv and its own JSON', () => {
    for (const f of files(join(ROOT, 'schema'))) {
      for (const i of imports(f)) expect(i.startsWith('ajv') || i.startsWith('./'), `${rel(f)} imports ${i}`).toBe(true);
    }
  });

  it('the pure engine imports no Node built-in, no React and nothing from editor/', () => {
    const pure = files(join(ROOT, 'engine')).filter((f) => !rel(f).startsWith('engine/node/'));
    expect(pure.length).toBeGreaterThan(10);
    for (const f of pure) {
      for (const i of imports(f)) {
        expect(i.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'child_process'].includes(i), `${rel(f)} imports ${i}`).toBe(false);
        expect(/react|monaco|editor\//.test(i), `${rel(f)} imports ${i}`).toBe(false);
      }
    }
  });

  it('json-logic-js is imported by engine/logic.ts only', () => {
    const importers = [...files(join(ROOT, 'engine')), ...files(join(ROOT, 'editor')), ...files(join(ROOT, 'schema'))]
      .filter((f) => imports(f).includes('json-logic-js')).map(rel);
    expect(importers).toEqual(['engine/logic.ts']);
  });

  it('editor/ reaches the engine and schema only through their public entries', () => {
    for (const f of files(join(ROOT, 'editor'))) {
      for (const i of imports(f)) {
        if (i.includes('engine/')) expect(i, rel(f)).toMatch(/engine\/index(\.ts)?$/);
        if (i.includes('schema/')) expect(i, rel(f)).toMatch(/schema\/index(\.ts)?$/);
      }
    }
  });

  it('nothing outside editor/ imports editor/', () => {
    for (const f of [...files(join(ROOT, 'engine')), ...files(join(ROOT, 'schema'))]) {
      for (const i of imports(f)) expect(i.includes('editor/'), `${rel(f)} imports ${i}`).toBe(false);
    }
  });
});
