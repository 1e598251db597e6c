// Clinical fidelity against the guideline text itself (../shared/seed, beside the checkout in CI):
// every statement is the text's own words, every clause's grades are the grades printed in its
// statement, and the totals match the counts of the guideline (GUIDELINE-NOTES.md section 1).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecommendationNode } from '../engine/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR, ROOT } from './helpers.ts';

const SEED = join(ROOT, '..', 'shared', 'seed', '000_a7d6f250f75cab4d.txt');
const { guideline } = loadGuideline(GUIDELINE_DIR);
const recs = guideline.nodes.filter((n): n is RecommendationNode => n.kind === 'recommendation');

/** Letters and digits only: immune to line breaks, hyphenation, justification spaces and bullets. */
const letters = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const gradesIn = (s: string) => [...s.matchAll(/[([]([A-D][12])[)\]]/g)].map((m) => m[1]);

describe('fidelity to the guideline text', () => {
  it('the source text is beside the checkout', () => {
    expect(existsSync(SEED), `expected the guideline text at ${SEED}`).toBe(true);
  });

  const seed = existsSync(SEED) ? letters(readFileSync(SEED, 'utf8')) : '';

  it.each(recs.map((r) => [r.id, r] as const))('%s quotes the text and grades each clause as printed', (_id, r) => {
    // Verbatim: the statement's words appear in the guideline (Table 2 or the detailed section).
    expect(seed.includes(letters(r.statement)), `statement of ${r.id} not found verbatim in the guideline text`).toBe(true);
    // Each clause quotes part of the statement; "..." marks words left out, so the pieces must
    // appear in the statement in order.
    for (const c of r.clauses) {
      let from = 0;
      for (const piece of c.text.split('...').map(letters).filter(Boolean)) {
        const at = letters(r.statement).indexOf(piece, from);
        expect(at, `clause ${r.id}.${c.id}: "${c.text}" is not quoted from the statement`).toBeGreaterThanOrEqual(0);
        from = at + piece.length;
      }
    }
    // The graded clauses carry the statement's grades, in order.
    expect(r.clauses.filter((c) => c.grade !== null).map((c) => c.grade)).toEqual(gradesIn(r.statement));
  });

  it('numbers are unique and continuous within each topic and subgroup', () => {
    const byTopic = new Map<string, number[]>();
    for (const r of recs) {
      const key = `${r.topic}|${r.subgroup ?? ''}`;
      byTopic.set(key, [...(byTopic.get(key) ?? []), r.number]);
    }
    for (const [topic, numbers] of byTopic) {
      const sorted = [...numbers].sort((a, b) => a - b);
      expect(sorted, topic).toEqual(sorted.map((_, i) => i + 1));
    }
  });
});
