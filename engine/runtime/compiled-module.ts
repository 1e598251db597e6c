// The compiled evaluator as an ES module, for pages whose Content Security Policy forbids
// generating code (`script-src 'self'`: no code built from strings at runtime). `guideline bundle --compile` writes
// compiledModuleSource(g) beside the bundle; the page imports that file like any script of its
// own and hands it to useCompiledModule(bundle, module); evaluate() then runs it.
//
// Covered by the bundle's hash and signature: the module is a pure function of the bundle's
// content and the engine version (the same text the engine would generate), it names the hash it
// was built from, and useCompiledModule refuses a module for another hash or engine. A page that
// wants proof of the very bytes compares compiledModuleSource(bundle), which only builds text and
// runs none, with the module file it serves.
import { contentHash } from './bundle.ts';
import { generateExpression, HELPER_NAMES, helperValues, type CompiledExpression } from './compile.ts';
import { EngineError } from './errors.ts';
import { compileGuidelineWith, installCompiled, type Codegen } from './evaluate.ts';
import { ENGINE_VERSION } from './generated.ts';
import type { Guideline, JsonValue } from './types.ts';

/** The format a compiled module declares; another format is refused. */
export const COMPILED_FORMAT = 'guideline-compiled/2';

/** What the module exports (its functions are opaque to a caller: hand the module to useCompiledModule). */
export interface CompiledModule {
  /** "guideline-compiled/2" */
  format: string;
  /** the content hash of the bundle it was built from */
  hash: string;
  /** the engine version that built it */
  engine: string;
  /** builds the functions from the engine's helpers (useCompiledModule calls it) */
  create(...helpers: unknown[]): {
    /**
     * per expression: its compiled functions, the fast path without and with a trace, then the
     * three-valued path without and with a trace (null: not compiled, the interpreter runs it)
     */
    expressions: readonly (readonly (((...args: never[]) => unknown) | null)[])[];
    loadFacts: (...args: never[]) => unknown;
    makeValues: (...args: never[]) => unknown;
    makeRules: (...args: never[]) => unknown;
  };
}

/** The file name of the module beside the bundle: <id>-<version>.compiled.js. */
export function compiledFileName(g: Guideline): string {
  return `${g.manifest.id}-${g.manifest.version}.compiled.js`;
}

/**
 * The content hash the module names: the bundle's. A bundle built with --no-cases is read back
 * with `cases: []`; its hash was taken without them, so no cases counts as none here.
 */
function hashOf(g: Guideline): string {
  return contentHash(g.cases?.length ? g : ({ ...g, cases: undefined } as unknown as Guideline));
}

/** Where a variant sits in the module's per-expression array. */
const variantIndex = (trace: boolean, three: boolean) => (three ? 2 : 0) + (trace ? 1 : 0);

const expressionSource = (code: { body: string; consts: JsonValue[] } | undefined) =>
  code ? `(function (C) {\n${code.body}\n})(${JSON.stringify(code.consts)})` : 'null';

/** The module's text for a guideline (deterministic; runs no generated code). */
export function compiledModuleSource(g: Guideline): string {
  const sources: string[][] = [];
  const fns: Record<string, string> = {};
  const recorder: Codegen = {
    expression(index, logic, pointer, resolve, trace, three) {
      sources[index] ??= ['null', 'null', 'null', 'null'];
      sources[index][variantIndex(trace, three)] = expressionSource(generateExpression(logic, pointer, resolve, trace, three));
      return undefined;
    },
    fn(name, params, body) {
      fns[name] = `function ${name}(${params.join(', ')}) {\n${body}\n}`;
      return undefined;
    },
  };
  const c = compileGuidelineWith(g, recorder);
  for (const e of c.exprs) {
    recorder.expression(e.index, e.logic, e.pointer, c.resolve, true, false);
    recorder.expression(e.index, e.logic, e.pointer, c.resolve, false, true);
    recorder.expression(e.index, e.logic, e.pointer, c.resolve, true, true);
  }
  return [
    `// The compiled evaluator of ${g.manifest.id} v${g.manifest.version}, written by "guideline bundle --compile" for`,
    '// pages that cannot generate code (CSP script-src \'self\'). Do not edit: useCompiledModule() refuses',
    '// a module for another bundle hash or engine version; regenerate it with the bundle.',
    `export const format = ${JSON.stringify(COMPILED_FORMAT)};`,
    `export const hash = ${JSON.stringify(hashOf(g))};`,
    `export const engine = ${JSON.stringify(ENGINE_VERSION)};`,
    `export function create(${HELPER_NAMES.join(', ')}) {`,
    'const expressions = [',
    sources.map((variants) => `[${variants.join(',\n')}]`).join(',\n'),
    '];',
    `return { expressions, loadFacts: ${fns.loadFacts}, makeValues: ${fns.makeValues}, makeRules: ${fns.makeRules} };`,
    '}',
    '',
  ].join('\n');
}

/**
 * Run `g` (a bundle read with readBundle, or the same guideline) on the compiled module `mod`
 * from now on. Throws `compiled-mismatch` when the module was built for another content hash or
 * engine version. Returns how many expressions the module compiled.
 */
export function useCompiledModule(g: Guideline & { hash?: string }, mod: CompiledModule): number {
  if (!mod || mod.format !== COMPILED_FORMAT || typeof mod.create !== 'function') {
    throw new EngineError('compiled-mismatch', `not a compiled evaluator module (expected format "${COMPILED_FORMAT}"): import the .compiled.js file written by "guideline bundle --compile"`);
  }
  const hash = hashOf(g);
  if (mod.hash !== hash) throw new EngineError('compiled-mismatch', `the compiled module was built for ${mod.hash}, not for this guideline (${hash}): rebuild both with "guideline bundle --compile".`);
  if (mod.engine !== ENGINE_VERSION) throw new EngineError('compiled-mismatch', `the compiled module was built by engine ${mod.engine}, this is ${ENGINE_VERSION}: rebuild it with this engine's "guideline bundle --compile".`);
  const built = mod.create(...helperValues());
  const fromModule: Codegen = {
    expression: (index, _logic, _pointer, _resolve, trace, three) => (built.expressions[index]?.[variantIndex(trace, three)] ?? undefined) as CompiledExpression | undefined,
    fn: (name) => built[name],
  };
  const c = compileGuidelineWith(g, fromModule);
  if (c.exprs.length !== built.expressions.length) throw new EngineError('compiled-mismatch', 'the compiled module does not match this guideline\'s expressions: rebuild it with "guideline bundle --compile".');
  installCompiled(g, c);
  return built.expressions.filter((e) => e[0] !== null).length;
}
