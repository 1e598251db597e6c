// compare() with the baseline side cached: between two edits, the saved guideline's results do
// not change, so only the draft is re-evaluated (the engine's compare() with a baseline cache).
import { compare, type Case, type CaseOutcome, type Comparison, type Guideline } from '../engine/index.ts';

export class CachedComparer {
  private cache = new Map<string, Map<Case, CaseOutcome>>();

  /** `key` names the baseline guideline `base` (e.g. which nodes it keeps); a new key starts a new cache. */
  compare(key: string, base: Guideline, draft: Guideline): Comparison {
    let seen = this.cache.get(key);
    if (!seen) {
      if (this.cache.size > 8) this.cache.clear();
      this.cache.set(key, (seen = new Map()));
    }
    return compare(base, draft, undefined, { baselineCache: seen });
  }

  reset(): void { this.cache.clear(); }
}
