// compare() with the baseline side cached: between two edits of the same node, the saved
// guideline's results do not change, so only the draft is re-evaluated. Same semantics as the
// engine's compare() (test/impact.test.ts checks that they agree); the diff itself is the
// engine's diffResults().
import { diffResults, EngineError, evaluate, type Case, type CaseChange, type Comparison, type EvaluationResult, type Guideline } from '../engine/index.ts';

type Outcome = { result?: EvaluationResult; error?: string };

function run(g: Guideline, c: Case): Outcome {
  try { return { result: evaluate(g, c.facts) }; } catch (e) {
    if (e instanceof EngineError) return { error: e.message };
    throw e;
  }
}

export class CachedComparer {
  private cache = new Map<string, Map<Case, Outcome>>();

  /** `key` names the baseline guideline `base` (e.g. which nodes it keeps); a new key starts a new cache. */
  compare(key: string, base: Guideline, draft: Guideline): Comparison {
    let seen = this.cache.get(key);
    if (!seen) {
      if (this.cache.size > 8) this.cache.clear();
      this.cache.set(key, (seen = new Map()));
    }
    const all = [...new Map([...base.cases, ...draft.cases].map((c) => [c.id, c])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const changed: CaseChange[] = [];
    for (const c of all) {
      let a = seen.get(c);
      if (!a) seen.set(c, (a = run(base, c)));
      const b = run(draft, c);
      if (a.error || b.error) {
        if (a.error !== b.error) changed.push({ id: c.id, title: c.title, outcomes: [], values: [], error: { before: a.error, after: b.error } });
        continue;
      }
      const d = diffResults(a.result!, b.result!);
      if (d.outcomes.length || d.values.length) changed.push({ id: c.id, title: c.title, ...d });
    }
    return { casesCompared: all.length, changed };
  }

  reset(): void { this.cache.clear(); }
}
