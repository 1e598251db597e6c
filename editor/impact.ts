// The impact comparison split across workers: each worker compares its share of the cases (every
// count-th case from its index), with the saved side's results cached between edits, and the
// app joins the shares into exactly what the engine's compare() gives for all of them.
import { compare, type CaseOutcome, type Comparison } from '../engine/authoring/index.ts';
import { type Case, type Guideline } from '../engine/runtime/index.ts';

export interface Shard { index: number; count: number }

/** The cases compare() runs by default, in its order: both versions' cases, the draft's copy winning. */
export function casesOf(base: Guideline, draft: Guideline): Case[] {
  return [...new Map([...base.cases, ...draft.cases].map((c) => [c.id, c])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function compareShard(base: Guideline, draft: Guideline, shard: Shard, baselineCache: Map<Case, CaseOutcome>): Comparison {
  const mine = casesOf(base, draft).filter((_, i) => i % shard.count === shard.index);
  return compare(base, draft, mine, { baselineCache });
}

/** Join the shares into one comparison (changed cases in id order, as compare() lists them). */
export function mergeComparisons(parts: Comparison[]): Comparison {
  return {
    casesCompared: parts.reduce((n, p) => n + p.casesCompared, 0),
    changed: parts.flatMap((p) => p.changed).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}
