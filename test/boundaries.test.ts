// What may import what (ARCHITECTURE.md). engine/ is laid out in wings, each with one door (its
// index.ts, for everything outside engine/), arrows only downward: runtime imports nothing of ours but schema types; authoring may
// import runtime; review may import authoring and runtime; interop may import runtime; analysis may import authoring and runtime; node sits on top. schema/ imports nothing
// of ours; no wing but node imports a Node built-in; editor/ reaches the engine through the wings'
// doors only; json-logic-js is imported by engine/runtime/logic.ts alone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
const WINGS = ['runtime', 'authoring', 'review', 'interop', 'analysis', 'node'] as const;
type Wing = (typeof WINGS)[number];
/** Which wings each wing may import (besides itself). */
const MAY_IMPORT: Record<Wing, Wing[]> = {
  runtime: [],
  authoring: ['runtime'],
  review: ['authoring', 'runtime'],
  interop: ['runtime'],
  analysis: ['authoring', 'runtime'],
  node: ['review', 'authoring', 'interop', 'analysis', 'runtime'],
};
const wingOf = (file: string): Wing | undefined => WINGS.find((w) => rel(file).startsWith(`engine/${w}/`));
/** The repository-relative path a relative import resolves to. */
const target = (file: string, spec: string) => rel(resolve(dirname(file), spec));

describe('module boundaries', () => {
  it('engine/ holds only the wings, each with its door', () => {
    const top = readdirSync(join(ROOT, 'engine')).sort();
    expect(top).toEqual([...WINGS].sort());
    for (const w of WINGS) expect(statSync(join(ROOT, 'engine', w, 'index.ts')).isFile(), w).toBe(true);
  });

  it('schema/ imports only ajv and its own JSON', () => {
    for (const f of files(join(ROOT, 'schema'))) {
      for (const i of imports(f)) expect(i.startsWith('ajv') || i.startsWith('./'), `${rel(f)} imports ${i}`).toBe(true);
    }
  });

  it('arrows run downward only; runtime takes nothing but types from schema/', () => {
    const all = files(join(ROOT, 'engine'));
    expect(all.length).toBeGreaterThan(20);
    for (const f of all) {
      const from = wingOf(f)!;
      const src = readFileSync(f, 'utf8');
      for (const i of imports(f).filter((s) => s.startsWith('.'))) {
        const t = target(f, i);
        if (t.startsWith('schema/')) {
          const typeOnly = new RegExp(`^import type [^;]*from '${i.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`, 'm').test(src);
          if (from === 'runtime') expect(typeOnly, `${rel(f)} (runtime) imports ${t}: only schema types may be used there`).toBe(true);
          continue;
        }
        const to = wingOf(join(ROOT, t));
        expect(to, `${rel(f)} imports ${i}, outside the wings`).toBeDefined();
        if (to !== from) expect(MAY_IMPORT[from], `${rel(f)} (${from}) imports ${t} (${to})`).toContain(to);
      }
    }
  });

  it('no wing but node imports a Node built-in, React or editor code', () => {
    const pure = files(join(ROOT, 'engine')).filter((f) => wingOf(f) !== 'node');
    expect(pure.length).toBeGreaterThan(10);
    for (const f of pure) {
      for (const i of imports(f)) {
        expect(i.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'child_process'].includes(i), `${rel(f)} imports ${i}`).toBe(false);
        expect(/react|monaco|editor\//.test(i), `${rel(f)} imports ${i}`).toBe(false);
      }
    }
  });

  it('json-logic-js is imported by engine/runtime/logic.ts only', () => {
    const importers = [...files(join(ROOT, 'engine')), ...files(join(ROOT, 'editor')), ...files(join(ROOT, 'schema'))]
      .filter((f) => imports(f).includes('json-logic-js')).map(rel);
    expect(importers).toEqual(['engine/runtime/logic.ts']);
  });

  it('editor/ reaches the engine and schema only through the wings\' doors', () => {
    for (const f of files(join(ROOT, 'editor'))) {
      for (const i of imports(f)) {
        if (i.includes('engine/')) expect(i, rel(f)).toMatch(/engine\/(runtime|authoring|review)\/index(\.ts)?$/);
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
