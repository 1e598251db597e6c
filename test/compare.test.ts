// compare(): the incremental path (re-evaluating only the changed nodes) must give exactly what
// evaluating the whole draft gives, for the kinds of edit a committee makes.
import { describe, expect, it } from 'vitest';
import { compare } from '../engine/authoring/index.ts';
import { type Case, type DefinitionNode, type Guideline, type JsonValue, type RuleNode } from '../engine/runtime/index.ts';
import type { CaseOutcome } from '../engine/authoring/compare.ts';
import { collectVars } from '../engine/runtime/graph.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';
import { patients } from './generate.ts';

const { guideline: base } = loadGuideline(GUIDELINE_DIR);

function edited(change: (g: Guideline) => void): Guideline {
  const g = structuredClone(base);
  change(g);
  return g;
}
const node = (g: Guideline, id: string) => g.nodes.find((n) => n.id === id) as unknown as Record<string, JsonValue>;

const edits: [string, (g: Guideline) => void][] = [
  ['raise the albumin threshold of Child-Pugh', (g) => { (node(g, 'child_pugh_albumin_points').expr as any).if[0]['>'][1] = 3.4; }],
  ['widen good performance status to ECOG 0-2', (g) => { (node(g, 'good_performance_status').expr as any)['<='][1] = 2; }],
  ['change the condition of a recommendation', (g) => { (node(g, 'hepatic_resection_4') as any).clauses[0].when.and[1]['<='][1] = 4; }],
  ['change a grade only', (g) => { (node(g, 'hepatic_resection_1') as any).clauses[0].grade = 'A2'; }],
  ['change a definition and a rule at once', (g) => {
    (node(g, 'hyperbilirubinemia').expr as any)['>='][1] = 1.2;
    (node(g, 'liver_transplantation_1') as any).clauses[0].when = true;
  }],
  ['reword an input description (text only: nothing re-evaluated)', (g) => { (g.inputs.find((i) => i.id === 'albumin') as any).description = 'Serum albumin, reworded.'; }],
  ['reword a list item field description', (g) => { const f = (g.inputs.find((i) => i.id === 'prior_systemic_therapies') as any).items.fields; f[Object.keys(f)[0]].description = 'reworded'; }],
  ['rename an input (its title is in validation messages: full evaluation)', (g) => { (g.inputs.find((i) => i.id === 'albumin') as any).title = 'Albumin (renamed)'; }],
  ['change an input range (structural: full evaluation)', (g) => { (g.inputs.find((i) => i.id === 'albumin') as any).maximum = 7; }],
];

describe('compare', () => {
  it.each(edits)('%s: incremental equals full evaluation', (_name, change) => {
    const draft = edited(change);
    const fast = compare(base, draft);
    const full = compare(base, draft, undefined, { incremental: false });
    expect(fast).toEqual(full);
  });

  it('finds the cases an edit moves', () => {
    const draft = edited(edits[0][1]);
    const r = compare(base, draft);
    expect(r.casesCompared).toBe(base.cases.length);
    expect(r.changed.map((c) => c.id)).toContain('albumin_3_5_scores_2_points');
    const change = r.changed.find((c) => c.id === 'albumin_3_5_scores_2_points')!;
    expect(change.values).toContainEqual({ id: 'child_pugh_albumin_points', before: 2, after: 1 });
  });

  it('a reworded input description moves no case', () => {
    expect(compare(base, edited(edits.find(([n]) => n.startsWith('reword an input'))![1])).changed).toEqual([]);
  });

  it('reports no change for an identical draft', () => {
    expect(compare(base, structuredClone(base)).changed).toEqual([]);
  });

  // A rule that reads a moved definition keeps the earlier status of each clause and option whose
  // condition does not read it: every definition read by only some clauses of a rule, or by an
  // option's condition, negated (so every known value moves), and a chapter's population.
  it('clause and option reuse: every definition read by part of a rule, negated, on cases and generated patients', () => {
    const rules = base.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
    const defs = new Set(base.nodes.filter((n) => n.kind === 'definition').map((n) => n.id));
    const roots = (l: JsonValue) => new Set(collectVars(l as never).filter((v) => !v.scoped).map((v) => v.path.split('.')[0]).filter((d) => defs.has(d)));
    const targets = new Set<string>();
    for (const r of rules) {
      const per = r.clauses.map((c) => roots(c.when as JsonValue));
      for (const d of new Set(per.flatMap((x) => [...x]))) if (per.some((x) => !x.has(d))) targets.add(d);
      for (const c of r.clauses) for (const o of c.action.options ?? []) if (o.when !== undefined) for (const d of roots(o.when as JsonValue)) targets.add(d);
    }
    const population = base.manifest.chapters.find((c) => c.population)!.population!;
    targets.add(population);
    expect(targets.size).toBeGreaterThan(15);
    const cases: Case[] = [...base.cases, ...[...patients(base, 200, 31, 0.1)].map((facts, i) => ({ id: `generated-${i}`, title: `generated ${i}`, facts, expect: {} }) as Case)];
    const baselineCache = new Map<Case, CaseOutcome>();
    let moved = 0;
    for (const id of targets) {
      const draft = { ...base, nodes: base.nodes.map((n) => (n.id === id ? { ...(n as DefinitionNode), expr: { '!': [(n as DefinitionNode).expr] } } : n)) } as Guideline;
      const counts = { full: 0, patched: 0, reused: 0 };
      const fast = compare(base, draft, cases, { baselineCache, counts });
      expect(counts.patched, id).toBeGreaterThan(0);
      expect(fast, id).toEqual(compare(base, draft, cases, { baselineCache, incremental: false }));
      moved += fast.changed.length;
    }
    expect(moved).toBeGreaterThan(targets.size * 10);
  }, 300_000);

  // Across cases, a re-evaluated definition's value is kept by the values it reads (most patients
  // share a few combinations): checked where that matters most, edits of what a missing fact can be,
  // on generated patients with many facts missing, and on definitions whose value depends on more
  // than the variables they name (presence tests, a computed variable name): never keyed by them.
  it('definition memo: edits of a missing fact\'s possible values, and presence tests, equal the full evaluation', () => {
    const cases: Case[] = [...base.cases, ...[...patients(base, 300, 41, 0.3)].map((facts, i) => ({ id: `generated-${i}`, title: `generated ${i}`, facts, expect: {} }) as Case)];
    const drafts: [string, Guideline][] = [
      ['an ascites value added', edited((g) => { g.inputs.find((i) => i.id === 'ascites')!.values!.push({ value: 'added', label: 'Added' } as never); })],
      ['ECOG maximum lowered', edited((g) => { g.inputs.find((i) => i.id === 'ecog')!.maximum = 3; })],
      ['a definition tests presence', edited((g) => { (node(g, 'hyperbilirubinemia') as any).expr = { '!': { missing: ['bilirubin'] } }; })],
      ['a definition reads a computed name', edited((g) => { (node(g, 'hyperbilirubinemia') as any).expr = { '>=': [{ var: { cat: ['bili', 'rubin'] } }, 1] }; })],
    ];
    expect(base.inputs.find((i) => i.id === 'ascites')!.type).toBe('enum');
    for (const [name, draft] of drafts) {
      const baselineCache = new Map<Case, CaseOutcome>();
      const counts = { full: 0, patched: 0, reused: 0 };
      const fast = compare(base, draft, cases, { baselineCache, counts });
      expect(counts.patched, name).toBeGreaterThan(50);
      expect(fast, name).toEqual(compare(base, draft, cases, { baselineCache, incremental: false }));
      // the presence and computed-name definitions move many cases (what a wrong key would hide)
      if (name.startsWith('a definition')) expect(fast.changed.length, name).toBeGreaterThan(20);
    }
  }, 300_000);
});
