// Node-only: read a guideline folder from disk into SourceFiles, then parse and check it.
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { checkSource } from '../authoring/check.ts';
import { parseSource, type SourceFile } from '../authoring/source.ts';
import { EngineError } from '../runtime/errors.ts';
import type { Finding, Guideline } from '../runtime/types.ts';
import { readInputFile, statInput, systemMessage } from './files.ts';

export function readSourceFiles(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 20) throw new EngineError('too-deep', `${d}: folders nested more than 20 deep (a symbolic link loop?)`);
    let names: string[];
    try { names = readdirSync(d).sort(); } catch (e) { throw new EngineError('cannot-read', `cannot read the folder ${d}: ${systemMessage(e)}`); }
    for (const name of names) {
      const p = join(d, name);
      const st = statInput(p, 'guideline file'); // names a dangling symlink or a loop
      if (st.isDirectory()) walk(p, depth + 1);
      // A FIFO, socket or device named *.json is refused, never read (it would block).
      else if (name.endsWith('.json')) files.push({ path: relative(dir, p).split(sep).join('/'), text: readInputFile(p, 'guideline file') });
    }
  };
  walk(dir, 0);
  return files;
}

export interface LoadedGuideline { guideline: Guideline; findings: Finding[] }

/** Load and check a guideline folder: schema findings first, then the semantic checker's. */
export function loadGuideline(dir: string): LoadedGuideline {
  const { guideline, findings } = parseSource(readSourceFiles(dir));
  return { guideline, findings: checkSource({ guideline, findings }) };
}
