// A line diff of two versions of a file (the conflict dialog: the version saved on disk by someone
// else against this tab's draft). Longest common subsequence over lines, unchanged runs folded.
export interface DiffLine { kind: 'same' | 'theirs' | 'mine'; text: string }

export function lineDiff(theirs: string, mine: string): DiffLine[] {
  const a = theirs.split('\n');
  const b = mine.split('\n');
  // Trim the common head and tail first: conflicts are usually a few lines apart.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const out: DiffLine[] = a.slice(0, head).map((text) => ({ kind: 'same' as const, text }));
  if (x.length * y.length > 4_000_000) {
    out.push(...x.map((text) => ({ kind: 'theirs' as const, text })), ...y.map((text) => ({ kind: 'mine' as const, text })));
  } else {
    const n = x.length;
    const m = y.length;
    const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) { out.push({ kind: 'same', text: x[i] }); i++; j++; } else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) { out.push({ kind: 'mine', text: y[j] }); j++; } else { out.push({ kind: 'theirs', text: x[i] }); i++; }
    }
  }
  out.push(...a.slice(a.length - tail).map((text) => ({ kind: 'same' as const, text })));
  return out;
}

export function ConflictDiff({ theirs, mine }: { theirs: string; mine: string }) {
  const lines = lineDiff(theirs, mine);
  const shown: (DiffLine | { kind: 'fold'; count: number })[] = [];
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k];
    const near = lines.slice(Math.max(0, k - 2), k + 3).some((x) => x.kind !== 'same');
    if (l.kind !== 'same' || near) shown.push(l);
    else { const last = shown[shown.length - 1]; if (last && last.kind === 'fold') last.count++; else shown.push({ kind: 'fold', count: 1 }); }
  }
  return (
    <div className="conflict-diff" data-testid="conflict-diff">
      <div className="small"><span className="diff-theirs">− the version on disk (theirs)</span> <span className="diff-mine">+ your draft (mine)</span></div>
      <pre>{shown.map((l, k) => l.kind === 'fold'
        ? <div key={k} className="diff-fold">… {l.count} unchanged line{l.count > 1 ? 's' : ''}</div>
        : <div key={k} className={`diff-${l.kind}`}>{l.kind === 'theirs' ? '− ' : l.kind === 'mine' ? '+ ' : '  '}{l.text}</div>)}</pre>
    </div>
  );
}
