// The checker's problems as a clinician reads them: each problem once (the same code, place and
// message reported twice is one problem), grouped by the file it is in, each group a collapsible
// section with its counts in the heading. A short list stays open; a long one starts collapsed so
// that one bad edit does not push the page down by a screen.
import type { Finding } from '../engine/runtime/index.ts';

/** Open every group when there are at most this many problems in all. */
const OPEN_UP_TO = 4;

export interface ProblemGroup { file: string; findings: Finding[]; errors: number; warnings: number }

/** Each finding once, grouped by file (files with errors first, then by name). */
export function groupProblems(findings: Finding[]): ProblemGroup[] {
  const seen = new Set<string>();
  const groups = new Map<string, ProblemGroup>();
  for (const f of findings) {
    const key = `${f.severity}\u0000${f.code}\u0000${f.file ?? ''}\u0000${f.pointer}\u0000${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const file = f.file ?? 'the guideline';
    let g = groups.get(file);
    if (!g) groups.set(file, (g = { file, findings: [], errors: 0, warnings: 0 }));
    g.findings.push(f);
    if (f.severity === 'error') g.errors++; else g.warnings++;
  }
  return [...groups.values()].sort((a, b) => (b.errors > 0 ? 1 : 0) - (a.errors > 0 ? 1 : 0) || a.file.localeCompare(b.file));
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function ProblemList({ findings, className = 'problems' }: { findings: Finding[]; className?: string }) {
  const groups = groupProblems(findings);
  if (!groups.length) return null;
  const total = groups.reduce((n, g) => n + g.findings.length, 0);
  return (
    <div className={`problem-list ${className}`} data-testid="problem-list" data-count={total}>
      {groups.map((g) => (
        <details key={g.file} className="problem-group" data-file={g.file} open={total <= OPEN_UP_TO}>
          <summary>
            <code>{g.file}</code>{' '}
            {g.errors ? <span className="error-text">{count(g.errors, 'problem')}</span> : null}
            {g.errors && g.warnings ? ', ' : null}
            {g.warnings ? <span className="muted">{count(g.warnings, 'warning')}</span> : null}
          </summary>
          <ul>
            {g.findings.map((f, i) => (
              <li key={i} className={f.severity}><b>{f.severity === 'error' ? 'Problem' : 'Warning'}</b> {f.message}{f.pointer ? <> <code className="muted">{f.pointer}</code></> : null}</li>
            ))}
          </ul>
        </details>
      ))}
    </div>
  );
}
