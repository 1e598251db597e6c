// Stale text (engine/authoring/check-stale.ts): prose that names a threshold or a grade the logic no
// longer has. The shipped guideline has none; a changed threshold or grade makes one.
import { describe, expect, it } from 'vitest';
import { check } from '../engine/authoring/index.ts';
import { thresholdMentions } from '../engine/authoring/check-stale.ts';
import { loadGuideline } from '../engine/node/load.ts';
import type { DefinitionNode, Guideline, JsonValue, RecommendationNode } from '../engine/runtime/index.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const shipped = loadGuideline(GUIDELINE_DIR).guideline;
const stale = (g: Guideline) => check(g).filter((f) => f.code === 'stale-text');
const withNode = (g: Guideline, id: string, edit: (n: never) => void): Guideline => {
  const nodes = g.nodes.map((n) => (n.id === id ? structuredClone(n) : n));
  edit(nodes.find((n) => n.id === id) as never);
  return { ...g, nodes };
};

describe('stale text', () => {
  it('finds nothing in the shipped guideline', () => {
    expect(stale(shipped)).toEqual([]);
  });

  it('flags the description and the quote after albumin 3.5 → 3.4', () => {
    const g = withNode(shipped, 'child_pugh_albumin_points', (d: DefinitionNode) => {
      ((d.expr as { if: JsonValue[] }).if[0] as { '>': JsonValue[] })['>'][1] = 3.4;
    });
    const found = stale(g).filter((f) => f.node === 'child_pugh_albumin_points');
    expect(found.map((f) => f.pointer)).toContain('/description');
    expect(found.find((f) => f.pointer === '/description')!.message).toContain('3.5');
    expect(found.every((f) => f.severity === 'warning' && f.file === 'nodes/treatment-overview/child_pugh_albumin_points.json')).toBe(true);
    // the other definitions are untouched
    expect(stale(g).every((f) => f.node === 'child_pugh_albumin_points')).toBe(true);
  });

  it('flags the statement that still prints (A1) after the grade becomes B1', () => {
    const g = withNode(shipped, 'hepatic_resection_1', (r: RecommendationNode) => { r.clauses[0].grade = 'B1'; });
    const found = stale(g);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ node: 'hepatic_resection_1', pointer: '/statement', severity: 'warning' });
    expect(found[0].message).toContain('A1');
    expect(found[0].message).toContain('B1');
  });

  it('flags a clause text printing a grade its ungraded clause lacks', () => {
    const g = withNode(shipped, 'hepatic_resection_1', (r: RecommendationNode) => { r.clauses[0].text += ' (A1)'; r.clauses[0].grade = 'A2'; });
    expect(stale(g).map((f) => f.pointer).sort()).toEqual(['/clauses/0/text', '/statement']);
  });

  it('reads only numbers used as thresholds of a fact with that unit', () => {
    const units = ['g/dL', 'cm'];
    expect(thresholdMentions('Albumin above 3.5 g/dL scores 1, 2.8 to 3.5 scores 2', units).map((m) => m.value)).toEqual([3.5]);
    expect(thresholdMentions('albumin 2.8–3.5 g/dL', units).map((m) => m.value)).toEqual([2.8, 3.5]);
    expect(thresholdMentions('a tumour ≤5 cm, or 3 cm or more', units).map((m) => m.value)).toEqual([5, 3]);
    expect(thresholdMentions('see Table 6; follow up within 3 months; 325 mg per dose', units)).toEqual([]);
    expect(thresholdMentions('a nodule of 2 cm', units)).toEqual([]); // a size, not a comparison
    expect(thresholdMentions('above 3.5 g/dL', [])).toEqual([]);
  });
});
