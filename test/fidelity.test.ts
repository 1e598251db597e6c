// Clinical fidelity against the guideline text itself (../shared/seed, beside the checkout in CI):
// every statement is the text's own words, every clause's grades are the grades printed in its
// statement, and the totals match the counts of the guideline (GUIDELINE-NOTES.md section 1).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecommendationNode } from '../engine/runtime/index.ts';
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
    // Each clause quotes part of the statement; "..." or "…" marks words left out, so the pieces must
    // appear in the statement in order.
    for (const c of r.clauses) {
      let from = 0;
      for (const piece of c.text.split(/\.\.\.|…/).map(letters).filter(Boolean)) {
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

// Grades per recommendation, in clause order, as counted in the guideline (GUIDELINE-NOTES.md §1).
const EXPECTED_GRADES: Record<string, string> = {
  'Prevention': '1: A1, B1; 2: A1, C1; 3: A1; 4: A1, A2, B1; 5: B1; 6: B2; 7: B1; 8: B1; 9: C1',
  'Surveillance': '1: A1, B1, A1; 2: A1; 3: C1',
  'Diagnosis': '1: A1, B1, A1; 2: A1, B1; 3: A1, B1, B1; 4: B1; 5: C1, B1; 6: C1; 7: C1; 8: C1',
  'Staging': '1: B1; 2: C1; 3: C1',
  'Hepatic resection': '1: A1; 2: C1; 3: C2; 4: C2; 5: B2; 6: C2; 7: C1',
  'Liver transplantation': '1: A1; 2: B1; 3: B1; 4: C2; 5: B1; 6: C1',
  'Local ablation therapies': '1: A1; 2: A2; 3: B2; 4: B1',
  'TACE and radioembolization': '1: A1; 2: B1; 3: B2, B1; 4: A2; 5: B2; 6: C1',
  'External beam radiation therapy': '1: C1; 2: B1; 3: B2; 4: B2; 5: C2; 6: B1; 7: A2, C2',
  'Systemic therapies / First-line therapies': '1: A1, A1; 2: B1, B2',
  'Systemic therapies / Second-line therapies': '1: A1; 2: A1; 3: A1; 4: B1; 5: B1, C1; 6: D1; 7: D1; 8: D1',
  'Systemic therapies / Cytotoxic chemotherapy and hepatic arterial infusion chemotherapy': '1: C2',
  'Adjuvant therapy': '1: A2; 2: B1',
  'Preventive antiviral therapy': '1: A1; 2: A1; 3: A1, A2, A2, A2, B1, C1, C1; 4: A1; 5: C1',
  'Drug treatment for cancer pain in HCC': '1: C1; 2: C1, B1; 3: C1',
  'Assessment of tumor response and post-treatment follow-up': '1: B1; 2: B1',
  'Management of patients with HCC during COVID-19 pandemic': '1: D1; 2: C1; 3: D1',
};

describe('the whole guideline is encoded', () => {
  it('79 recommendations with 103 graded clauses, grade by grade as the text prints them', () => {
    const byTopic: Record<string, string[]> = {};
    for (const r of [...recs].sort((a, b) => a.number - b.number)) {
      const topic = r.subgroup ? `${r.topic} / ${r.subgroup}` : r.topic;
      (byTopic[topic] ??= []).push(`${r.number}: ${r.clauses.filter((c) => c.grade).map((c) => c.grade).join(', ')}`);
    }
    expect(Object.fromEntries(Object.entries(byTopic).map(([t, l]) => [t, l.join('; ')]))).toEqual(EXPECTED_GRADES);
    expect(recs.length).toBe(79);
    const grades = recs.flatMap((r) => r.clauses.map((c) => c.grade).filter(Boolean));
    expect(grades.length).toBe(103);
    const count = (g: string) => grades.filter((x) => x === g).length;
    expect({ A1: count('A1'), A2: count('A2'), B1: count('B1'), B2: count('B2'), C1: count('C1'), C2: count('C2'), D1: count('D1'), D2: count('D2') })
      .toEqual({ A1: 24, A2: 8, B1: 29, B2: 8, C1: 22, C2: 7, D1: 5, D2: 0 });
  });

  it('the recommendation Table 2 omits is marked so, and only that one', () => {
    expect(recs.filter((r) => r.inTable2 === false).map((r) => r.id)).toEqual(['response_assessment_2']);
  });
});
