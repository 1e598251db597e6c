// Every safety invariant of the shipped guideline on every case (as guideline test does) and on
// 100,000 patients generated from the data dictionary (seeded; both sides of every numeric
// threshold; partial facts). A planted bug shows the check can fail.
import { describe, expect, it } from 'vitest';
import { loadGuideline } from '../engine/node/load.ts';
import { checkInvariants, evaluate, type Guideline, type InvariantBreak, type RecommendationNode } from '../engine/runtime/index.ts';
import { GUIDELINE_DIR } from './helpers.ts';
import { patients } from './generate.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);

/** Breaks per invariant and clause, with the first patient that shows each. */
function sweep(g: Guideline, count: number, seed: number): Map<string, { n: number; example: number; brk: InvariantBreak }> {
  const out = new Map<string, { n: number; example: number; brk: InvariantBreak }>();
  let i = 0;
  for (const facts of patients(g, count, seed)) {
    const index = i++;
    const result = evaluate(g, facts, { trustedFacts: index >= 200 });
    for (const b of checkInvariants(g, result)) {
      const key = `${b.invariant} ← ${b.clause ?? b.intervention}`;
      const e = out.get(key);
      if (e) e.n++; else out.set(key, { n: 1, example: index, brk: b });
    }
  }
  return out;
}

describe('safety invariants', () => {
  it('has invariants, each read by the checker', () => {
    expect(guideline.nodes.filter((n) => n.kind === 'invariant').length).toBeGreaterThanOrEqual(10);
  });

  it('hold on every case', () => {
    const broken = guideline.cases.flatMap((c) => checkInvariants(guideline, evaluate(guideline, c.facts)).map((b) => `${c.id}: ${b.message}`));
    expect(broken).toEqual([]);
  }, 600_000); // 467 cases, each with the whole guideline: over vitest's 60 s default on a loaded 2-core machine

  it('hold on 100,000 generated patients', () => {
    const found = sweep(guideline, 100_000, 20261201);
    // e.g. patient #i: regenerate it with [...patients(guideline, i + 1, 20261201)][i]
    const report = [...found].map(([k, v]) => `${k}: ${v.n} patients, first #${v.example}`);
    expect(report).toEqual([]);
  }, 3_600_000);

  it('fail on a planted bug: a rule that offers regorafenib to everyone with HCC', () => {
    const planted = structuredClone(guideline);
    const rule = planted.nodes.find((n) => n.id === 'systemic_second_line_1') as RecommendationNode;
    rule.clauses[0].when = true;
    const found = sweep(planted, 2_000, 7);
    const invariants = new Set([...found.values()].map((v) => v.brk.invariant));
    expect(invariants).toContain('systemic-therapy-no_second_line_without_first_line');
    expect(invariants).toContain('systemic-therapy-no_systemic_therapy_at_ecog_3_or_more');
    expect(invariants).toContain('systemic-therapy-no_regorafenib_after_progression_on_it');
    // and the same patients never break it through a person without HCC: the population gate holds
    expect(invariants).not.toContain('treatment-overview-no_hcc_treatment_without_hcc');
  }, 600_000);
});
