// Node-only: read a guideline folder from disk into SourceFiles, then parse and check it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { check } from '../authoring/check.ts';
import { parseSource, type SourceFile } from '../authoring/source.ts';
import type { Finding, Guideline } from '../runtime/types.ts';

/** Largest file accepted: guideline documents are small; a huge file is a mistake. */
const MAX_FILE_BYTES = 2_000_000;

export function readSourceFiles(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        if (st.size > MAX_FILE_BYTES) throw new Error(`${p} is ${st.size} bytes; guideline files must be under ${MAX_FILE_BYTES}.`);
        files.push({ path: relative(dir, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
      }
    }
  };
  walk(dir);
  return files;
}

export interface LoadedGuideline { guideline: Guideline; findings: Finding[] }

/** Load and check a guideline folder: schema findings first, then the semantic checker's. */
export function loadGuideline(dir: string): LoadedGuideline {
  const { guideline, findings } = parseSource(readSourceFiles(dir));
  return { guideline, findings: [...findings, ...check(guideline)] };
}
