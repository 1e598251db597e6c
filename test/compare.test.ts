// compare(): the incremental path (re-evaluating only the changed nodes) must give exactly what
// evaluating the whole draft gives, for the kinds of edit a committee makes.
import { describe, expect, it } from 'vitest';
import { compare } from '../engine/authoring/index.ts';
import { type Guideline, type JsonValue } from '../engine/runtime/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

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
});
