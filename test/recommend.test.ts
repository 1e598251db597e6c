// recommend(): the patient's recommendations on real cases of the shipped guideline (and, where
// a feature needs data the chapters do not have yet, on a copy of it changed in memory).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuideline } from '../engine/node/load.ts';
import { main } from '../engine/node/cli.ts';
import { formatRecommendations, recommend, type Guideline, type JsonValue, type RecommendationNode } from '../engine/runtime/index.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);
const caseFacts = (id: string) => structuredClone(guideline.cases.find((c) => c.id === id)!.facts) as Record<string, JsonValue>;
const interventions = (xs: { intervention: string }[]) => xs.map((x) => x.intervention);

describe('recommend', () => {
  it('lists only the rules whose population includes the patient: a hepatitis B carrier without HCC gets surveillance, no HCC treatment', () => {
    const p = recommend(guideline, caseFacts('hepatitis_b_carrier_without_hcc_is_outside_the_hcc_chapters'));
    const rules = [...p.recommendations, ...p.undecided, ...p.against].map((i) => i.rule);
    expect(rules).toContain('surveillance_1');
    for (const r of rules) expect(['prevention', 'surveillance', 'diagnosis', 'covid-19']).toContain(guideline.origins[`node:${r}`].folder);
    expect(rules).not.toContain('preventive_antiviral_2');
    expect(p.outsidePopulation).toBeGreaterThan(50);
  });

  it('asks first whether the patient has HCC when the diagnosis is not recorded', () => {
    const p = recommend(guideline, caseFacts('unknown_hcc_diagnosis_leaves_preventive_antiviral_2_undecided'));
    expect(p.askNext[0]).toMatchObject({ fact: 'hcc_diagnosed', question: 'HCC diagnosed: yes or no?' });
    expect(p.undecided.map((i) => i.rule)).toContain('preventive_antiviral_2');
  });

  it('gives one item per intervention, recommendations apart from statements of evidence and advice against, on every case', () => {
    for (const c of guideline.cases) {
      const p = recommend(guideline, c.facts);
      const codes = interventions(p.recommendations);
      expect(new Set(codes).size, c.id).toBe(codes.length);
      for (const i of [...p.recommendations, ...p.undecided]) expect(['recommend', 'consider'], c.id).toContain(i.action);
      for (const i of p.against) expect(i.action).toBe('not-recommended');
      for (const u of p.undecided) expect(codes, c.id).not.toContain(u.intervention);
      // short: fits one screen
      expect(formatRecommendations(p).split('\n').length, c.id).toBeLessThanOrEqual(40);
      const s = p.askNext.map((q) => q.score);
      expect(s, c.id).toEqual([...s].sort((a, b) => b - a));
    }
  });

  it('keeps statements of evidence apart: Local ablation 1 (information) is a statement, never a recommendation', () => {
    const facts = caseFacts('two_4_cm_tumors_ineligible_for_curative_treatment_get_ctace');
    const all = guideline.cases.map((c) => recommend(guideline, c.facts));
    expect(all.some((p) => p.statements.length > 0)).toBe(true);
    for (const p of all) for (const st of p.statements) expect(p.recommendations.filter((i) => i.rule === st.rule && i.clause === st.clause)).toEqual([]);
    expect(recommend(guideline, facts).recommendations.map((i) => i.intervention)).toContain('ctace');
  });

  it('resolves a list-valued action into one item per option, each with its own condition (ramucirumab only with AFP >= 400)', () => {
    const g = structuredClone(guideline) as Guideline;
    const rule = g.nodes.find((n) => n.id === 'systemic_second_line_6') as RecommendationNode;
    rule.clauses[0].action.options = [
      { intervention: 'regorafenib', label: 'Regorafenib' },
      { intervention: 'cabozantinib', label: 'Cabozantinib' },
      { intervention: 'ramucirumab', label: 'Ramucirumab', when: { '>=': [{ var: 'afp' }, 400] } },
    ];
    const facts = caseFacts('progression_after_lenvatinib_gets_the_d1_options_after_lenvatinib');
    const low = recommend(g, { ...facts, afp: 399 });
    expect(interventions(low.recommendations)).toEqual(expect.arrayContaining(['regorafenib', 'cabozantinib']));
    expect(interventions([...low.recommendations, ...low.undecided])).not.toContain('ramucirumab');
    expect(interventions(low.recommendations)).not.toContain('second_line_options_after_lenvatinib');
    const high = recommend(g, { ...facts, afp: 400 });
    expect(high.recommendations.find((i) => i.intervention === 'ramucirumab')).toMatchObject({ grade: 'D1', action: 'consider', rule: 'systemic_second_line_6', clause: 'a', option: 'ramucirumab' });
    const { afp: _afp, ...noAfp } = facts;
    const unknown = recommend(g, noAfp);
    expect(unknown.undecided.find((i) => i.intervention === 'ramucirumab')).toMatchObject({ missing: ['afp'] });
    expect(unknown.askNext.find((q) => q.fact === 'afp')).toMatchObject({ question: 'Serum alpha-fetoprotein (AFP) (ng/mL)?', unit: 'ng/mL' });
  });

  it('flags a conflict: TACE offered while an applying rule says to switch away from TACE', () => {
    const g = structuredClone(guideline) as Guideline;
    (g.nodes.find((n) => n.id === 'tace_and_radioembolization_6') as RecommendationNode).clauses[0].when = true;
    const p = recommend(g, caseFacts('two_4_cm_tumors_ineligible_for_curative_treatment_get_ctace'));
    const c = p.conflicts.find((x) => x.intervention === 'ctace');
    expect(c).toMatchObject({ against: 'tace_and_radioembolization_6.a' });
    expect(p.recommendations.find((i) => i.intervention === 'ctace')?.conflict).toBe(true);
    expect(formatRecommendations(p)).toMatch(/Conflicts \(\d+\)/);
  });

  it('flags a conflict with a safety invariant that holds for the patient', () => {
    const g = structuredClone(guideline) as Guideline;
    (g.nodes.find((n) => n.id === 'systemic_second_line_1') as RecommendationNode).clauses[0].when = true;
    const p = recommend(g, { ...caseFacts('progression_after_lenvatinib_gets_the_d1_options_after_lenvatinib'), ecog: 3 });
    expect(p.conflicts).toContainEqual(expect.objectContaining({ intervention: 'regorafenib', against: 'invariant:systemic-therapy-no_systemic_therapy_at_ecog_3_or_more' }));
  });

  it('ranks the questions by the undecided recommendations they would decide, weighted by grade', () => {
    const facts = caseFacts('progression_after_lenvatinib_gets_the_d1_options_after_lenvatinib');
    const p = recommend(guideline, facts);
    for (const q of p.askNext) {
      const items = p.undecided.filter((i) => (i.missing ?? []).some((m) => m.split(/[.[]/)[0] === q.fact));
      expect(q.involved).toBe(items.length);
    }
  });

  it('is printed by "guideline recommend" (text and --json) and closes "eval --explain"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recommend-'));
    const file = join(dir, 'p.json');
    writeFileSync(file, readFileSync(join(GUIDELINE_DIR, 'examples', 'sample-patient.json')));
    let out = '';
    const io = { out: (s: string) => { out += s; }, err: (s: string) => { out += s; } };
    expect(await main(['recommend', file, '--dir', GUIDELINE_DIR], io)).toBe(0);
    expect(out).toMatch(/^Recommendations for this patient \(\d+\)\n  ✔ Hepatic resection \[A1\] primary/);
    out = '';
    expect(await main(['recommend', file, '--json', '--dir', GUIDELINE_DIR], io)).toBe(0);
    expect(JSON.parse(out).recommendations[0]).toMatchObject({ intervention: 'hepatic_resection', grade: 'A1', role: 'primary' });
    out = '';
    expect(await main(['eval', file, '--explain', '--dir', GUIDELINE_DIR], io)).toBe(0);
    expect(out).toMatch(/Recommendations for this patient/);
    out = '';
    expect(await main(['recommend', '--dir', GUIDELINE_DIR], io)).toBe(2);
  });
});
