// "Did you mean": the closest known name, for messages that name the fix.

/** Bounds on "did you mean": names longer than this get no suggestion, and at most this many candidates are tried. */
export const NAME_LIMITS = { maxLength: 64, maxCandidates: 2000 };

export function closest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > NAME_LIMITS.maxLength) return undefined;
  const tolerance = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let tried = 0;
  for (const c of candidates) {
    if (++tried > NAME_LIMITS.maxCandidates) break;
    // a candidate whose length differs by more than the tolerance cannot be close enough
    if (c.length > NAME_LIMITS.maxLength || Math.abs(c.length - name.length) > tolerance) continue;
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= tolerance ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c ? ` Did you mean "${c}"?` : '';
}

/** "Did you mean" for at most `limit` names: one validation of hostile input cannot stall on suggestions. */
export function suggester(limit = 50): (name: string, candidates: Iterable<string>) => string {
  let left = limit;
  return (name, candidates) => (left-- > 0 ? didYouMean(name, candidates) : '');
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
