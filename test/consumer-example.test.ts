// The README's consumer section is exactly what the consumer job runs (test/consumer/run.sh, a step
// of .ci/run: npm pack, install into an empty folder, plain node, tsc nodenext strict, Vite +
// Chromium under a CSP of script-src 'self'). Here: the README shows those files verbatim, and the
// generated runtime code is what the schemas give.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

const CONSUMER = join(ROOT, 'test', 'consumer');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The example from its first import on (TypeScript), or its module script (HTML), as the README shows it. */
const body = (file: string) => {
  const text = readFileSync(join(CONSUMER, file), 'utf8');
  if (!file.endsWith('.html')) return text.slice(text.indexOf('import '));
  return text.slice(text.indexOf('<script type="module">'), text.indexOf('</script>') + '</script>'.length);
};

describe('README consumer section', () => {
  it('shows the Node and browser examples the consumer job runs, verbatim', () => {
    expect(readme).toContain(body('consumer.ts').trim());
    expect(readme).toContain(body('index.html').trim());
  });

  it('shows the consumer\'s tsconfig.json verbatim', () => {
    expect(readme).toContain(readFileSync(join(CONSUMER, 'tsconfig.json'), 'utf8').trim());
  });

  it('the generated runtime validator is up to date with schema/*.json', () => {
    execFileSync(process.execPath, [join(ROOT, 'engine', 'node', 'build', 'gen-validators.mjs'), '--check'], { cwd: ROOT });
  });

  it('the runtime needs no `new Function`: the validator, the interpreter and the bundle reader have none; the compiler generates code only where it can', () => {
    for (const f of ['generated.ts', 'bundle.ts', 'logic.ts', 'facts.ts', 'compiled-module.ts']) {
      expect(readFileSync(join(ROOT, 'engine', 'runtime', f), 'utf8'), f).not.toMatch(/new Function|\beval\(/);
    }
    // The compiled evaluator is an optimisation: evaluate() builds it only after the probe says
    // code can be generated, and otherwise runs the interpreter (the consumer job's page under
    // script-src 'self' runs it so, or the module of `guideline bundle --compile`, compiled-module.ts).
    const evaluateTs = readFileSync(join(ROOT, 'engine', 'runtime', 'evaluate.ts'), 'utf8');
    expect(evaluateTs).toMatch(/compilerAvailable\(\) \? compileGuideline\(p, generatedHere\) : null/);
    expect(evaluateTs).not.toMatch(/\beval\(/);
    const compileTs = readFileSync(join(ROOT, 'engine', 'runtime', 'compile.ts'), 'utf8');
    expect(compileTs).toMatch(/try \{[^}]*new Function\('return 1'\)/s);
  });
});
