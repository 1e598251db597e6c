// `guideline bundle --compile`: the compiled evaluator as an ES module beside the bundle, for pages
// whose CSP forbids `new Function`. Loaded back (with code generation made impossible), it gives
// results and traces byte-identical to the reference interpreter, and it is refused for another
// bundle.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFileName, compiledFileName, compiledModuleSource, EngineError, evaluate, readBundle, useCompiledModule, type CompiledModule } from '../engine/runtime/index.ts';
import { main } from '../engine/node/cli.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';
import { patients } from './generate.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);
const tmp = mkdtempSync(join(tmpdir(), 'guideline-compiled-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function build(args: string[]): Promise<{ bundleText: string; modulePath: string; out: string }> {
  let out = '';
  const code = await main(['bundle', '--out', tmp, ...args], { out: (s) => { out += s; }, err: (s) => { out += s; } });
  expect(code, out).toBe(0);
  return { bundleText: readFileSync(join(tmp, bundleFileName(guideline)), 'utf8'), modulePath: join(tmp, compiledFileName(guideline)), out };
}

/** Evaluate with every way of generating code at runtime replaced by one that throws (as a strict CSP does). */
function withoutCodeGeneration<T>(f: () => T): T {
  const original = globalThis.Function;
  globalThis.Function = function refused() { throw new EvalError('code generation refused (test: strict CSP)'); } as unknown as FunctionConstructor;
  try { return f(); } finally { globalThis.Function = original; }
}

const withoutGuideline = (r: ReturnType<typeof evaluate>) => JSON.stringify({ ...r, guideline: undefined });

describe('guideline bundle --compile', () => {
  it('writes the module beside the bundle, and it gives the interpreter\'s results and traces without generating code', async () => {
    const { bundleText, modulePath, out } = await build(['--compile']);
    expect(out).toContain(compiledFileName(guideline));
    const bundle = readBundle(bundleText);
    const text = readFileSync(modulePath, 'utf8');
    // The module is a function of the bundle's content: the engine regenerates the same bytes.
    expect(compiledModuleSource(bundle)).toBe(text);
    expect(text).toContain(bundle.hash);
    const mod = (await import(pathToFileURL(modulePath).href)) as CompiledModule;
    // Count the calls into the module's functions: the evaluation runs them (not only the interpreter).
    let calls = 0;
    const counted = <F extends ((...a: never[]) => unknown) | null>(f: F): F => (f ? (((...a: never[]) => { calls++; return f(...a); }) as F) : f);
    const spied: CompiledModule = { ...mod, create: (...h) => { const b = mod.create(...h); return { ...b, expressions: b.expressions.map(([f, t]) => [counted(f), counted(t)] as const) }; } };
    const compiled = useCompiledModule(bundle, spied);
    expect(compiled).toBeGreaterThan(100);
    // A sample, to keep the test short (test/compile.test.ts runs the whole corpus and more).
    const facts = [...guideline.cases.filter((_, i) => i % 4 === 0).map((c) => c.facts), ...patients(guideline, 30, 3, 0.3)];
    let compared = 0;
    for (const f of facts) {
      let expected: string;
      try { expected = withoutGuideline(evaluate(guideline, f, { trace: true, engine: 'interpreter' })); } catch { continue; } // invalid facts of a case
      const fromModule = withoutCodeGeneration(() => evaluate(bundle, f, { trace: true }));
      expect(withoutGuideline(fromModule)).toBe(expected);
      const untraced = withoutCodeGeneration(() => evaluate(bundle, f));
      expect(withoutGuideline(untraced)).toBe(withoutGuideline(evaluate(guideline, f, { engine: 'interpreter' })));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
    expect(calls).toBeGreaterThan(compared * 100);
  });

  it('is refused for a bundle with other content, and for a module that is not one', async () => {
    const { modulePath } = await build(['--compile']);
    const mod = (await import(pathToFileURL(modulePath).href)) as CompiledModule;
    const changed = { ...guideline, manifest: { ...guideline.manifest, version: '9.9.9' } };
    expect(() => useCompiledModule(changed, mod)).toThrow(EngineError);
    expect(() => useCompiledModule(changed, mod)).toThrow(/built for sha256:/);
    expect(() => useCompiledModule(guideline, { ...mod, engine: '0.0.0-other' })).toThrow(/engine 0.0.0-other/);
    expect(() => useCompiledModule(guideline, {} as CompiledModule)).toThrow(/not a compiled evaluator module/);
  });

  it('a bundle without cases gets a module for its own hash', async () => {
    const { bundleText, modulePath } = await build(['--compile', '--no-cases']);
    const bundle = readBundle(bundleText);
    expect(readFileSync(modulePath, 'utf8')).toContain(bundle.hash);
    const mod = (await import(`${pathToFileURL(modulePath).href}?no-cases`)) as CompiledModule;
    expect(useCompiledModule(bundle, mod)).toBeGreaterThan(100);
    const f = guideline.cases[0].facts;
    expect(withoutGuideline(withoutCodeGeneration(() => evaluate(bundle, f, { trace: true })))).toBe(withoutGuideline(evaluate(guideline, f, { trace: true, engine: 'interpreter' })));
  });
});
