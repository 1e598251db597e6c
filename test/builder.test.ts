// The editor's structured editing, without a browser: which expressions of the shipped guideline
// the condition builder can represent, edits at a pointer that change only what they should, the
// threshold selector, and templates that pass the checker once filled (editor/builder/).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../engine/authoring/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import type { JsonValue } from '../engine/runtime/index.ts';
import { dictOf, setAt, shapeOf, thresholdTestId, child, type Dict } from '../editor/builder/logic.ts';
import { KINDS, template } from '../editor/builder/templates.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const g = loadGuideline(GUIDELINE_DIR).guideline;
const dict = dictOf(g);

/** Pointers (relative to the expression) of the parts the builder shows read-only. */
function unsupported(l: JsonValue, d: Dict, ptr = ''): string[] {
  const s = shapeOf(l, d);
  switch (s.kind) {
    case 'group': return s.args.flatMap((a, i) => unsupported(a, d, child(ptr, s.op, i)));
    case 'not': return unsupported(s.inner, d, `${ptr}/${s.key}`);
    case 'if': return s.args.flatMap((a, i) => unsupported(a, d, child(ptr, 'if', i)));
    case 'unsupported': return [ptr];
    default: return [];
  }
}
const expressions = g.nodes.flatMap((n) => n.kind === 'definition' ? [n.expr] : n.kind === 'invariant' ? [n.when] : n.kind === 'table' ? [] : n.clauses.map((c) => c.when));

describe('the condition builder over the shipped guideline', () => {
  it('represents most expressions fully, and every unsupported part is a real JSON-Logic operation', () => {
    const full = expressions.filter((e) => unsupported(e, dict).length === 0).length;
    expect(full / expressions.length).toBeGreaterThan(0.8);
    for (const e of expressions) for (const p of unsupported(e, dict)) expect(p === '' || p.startsWith('/')).toBe(true);
  });

  it('reads the Child-Pugh albumin points as if-branches with the albumin threshold 3.5', () => {
    const expr = (g.nodes.find((n) => n.id === 'child_pugh_albumin_points') as { expr: JsonValue }).expr;
    const s = shapeOf(expr, dict);
    expect(s.kind).toBe('if');
    const cond = shapeOf((s as { args: JsonValue[] }).args[0], dict);
    expect(cond).toMatchObject({ kind: 'compare', op: '>', name: 'albumin', value: 3.5, varIndex: 0 });
    expect(thresholdTestId(child('/expr', 'if', 0, '>', 1))).toBe('threshold-~expr~if~0~>~1');
    expect(dict.get('albumin')).toMatchObject({ unit: 'g/dL', minimum: 1, maximum: 6.5 });
  });

  it('a reference with a default, a list operation and arithmetic are unsupported, never misread', () => {
    expect(shapeOf({ var: ['albumin', 3] }, dict).kind).toBe('unsupported');
    expect(shapeOf({ some: [{ var: 'prior_systemic_therapies' }, { var: 'x' }] }, dict).kind).toBe('unsupported');
    expect(shapeOf({ '>': [{ '*': [{ var: 'albumin' }, 10] }, 35] }, dict).kind).toBe('unsupported');
    expect(shapeOf({ var: 'no_such_fact' }, dict).kind).toBe('unsupported');
  });

  it('an edit at a pointer changes that value only; writing back a value changes nothing', () => {
    const node = g.nodes.find((n) => n.id === 'hepatic_resection_1')!;
    const doc = structuredClone(node) as unknown as Record<string, JsonValue>;
    expect(setAt(doc, '/clauses/0/grade', 'A1')).toEqual(doc);
    const moved = setAt(doc, '/clauses/0/grade', 'B1') as unknown as typeof node & { clauses: { grade: string }[] };
    expect(moved.clauses[0].grade).toBe('B1');
    expect({ ...moved, clauses: [{ ...moved.clauses[0], grade: 'A1' }, ...moved.clauses.slice(1)] }).toEqual(doc);
    expect(doc).toEqual(structuredClone(node)); // the original is not mutated
    expect('title' in setAt({ title: 'x', id: 'y' }, '/title', undefined)).toBe(false);
    expect(setAt({ a: [1, 2, 3] }, '/a/1', undefined)).toEqual({ a: [1, 3] });
  });
});

describe('templates', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'builder-templates-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('every kind, once its texts are filled, passes the checker (an input only lacks a reader, a new intervention its codes)', () => {
    const dir = join(tmp, 'guideline');
    cpSync(GUIDELINE_DIR, dir, { recursive: true });
    const made: string[] = [];
    for (const [kind] of KINDS) {
      const folder = kind === 'input' ? 'liver-function' : 'hepatic-resection';
      const { path, text } = template(g, kind, folder, `Template test ${kind}`, `template_test_${kind.replace('-', '_')}`);
      const doc = JSON.parse(text);
      for (const k of ['statement', 'description', 'reason']) if (doc[k] === '') doc[k] = `Filled ${k}.`;
      for (const c of doc.clauses ?? []) if (c.text === '') c.text = 'Filled clause text';
      if (kind === 'input') doc.unit = 'mg/dL';
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), JSON.stringify(doc, null, 2));
      made.push(path);
    }
    const { guideline, findings } = loadGuideline(dir);
    const errors = [...findings, ...check(guideline)].filter((f) => f.severity === 'error');
    // What only a person can supply: a reader for the new input (an error), and the terminology
    // codes of the new recommendation's and practice point's interventions (a warning on the
    // manifest, so the member can save before a terminologist codes them).
    expect([...new Set(errors.map((f) => `${f.file} ${f.code}`))]).toEqual(['inputs/liver-function/template_test_input.json unused-input']);
    const uncoded = [...findings, ...check(guideline)].filter((f) => f.code === 'uncoded-intervention');
    expect(uncoded.every((f) => f.severity === 'warning' && f.file === 'manifest.json')).toBe(true);
    expect([...new Set(uncoded.map((f) => f.node))].sort()).toEqual(['template_test_practice_point', 'template_test_recommendation']);
    expect(made).toHaveLength(6);
    const rec = guideline.nodes.find((n) => n.id === 'template_test_recommendation') as { topic: string; number: number };
    expect(rec.topic).toBe('Hepatic resection');
    expect(rec.number).toBe(1 + Math.max(...g.nodes.filter((n) => n.kind === 'recommendation' && n.topic === 'Hepatic resection').map((n) => (n as { number: number }).number)));
  });
});
