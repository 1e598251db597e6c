import { describe, expect, it } from 'vitest';
import { formatDocument } from '../engine/authoring/index.ts';
import { readSourceFiles } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

describe('formatDocument', () => {
  it('puts keys in house order and ends with a newline', () => {
    const text = formatDocument({ expr: { '>': [{ var: 'x' }, 1] }, citations: [{ quote: 'q', section: ['A'] }], type: 'boolean', title: 'T', id: 'd', kind: 'definition', extra: 1 });
    expect(text).toBe(JSON.stringify({ kind: 'definition', id: 'd', title: 'T', type: 'boolean', expr: { '>': [{ var: 'x' }, 1] }, citations: [{ section: ['A'], quote: 'q' }], extra: 1 }, null, 2) + '\n');
  });
  it('orders clauses, actions and cases; keeps expression and fact order', () => {
    const rec = formatDocument({ clauses: [{ action: { label: 'L', type: 'recommend', intervention: 'i' }, when: { and: [{ var: 'b' }, { var: 'a' }] }, grade: 'A1', text: 't', id: 'a' }], id: 'r', kind: 'recommendation' });
    expect(Object.keys(JSON.parse(rec).clauses[0])).toEqual(['id', 'text', 'grade', 'when', 'action']);
    expect(Object.keys(JSON.parse(rec).clauses[0].action)).toEqual(['type', 'intervention', 'label']);
    const c = formatDocument({ expect: {}, facts: { z: 1, a: 2 }, title: 'x', id: 'c' });
    expect(Object.keys(JSON.parse(c))).toEqual(['id', 'title', 'facts', 'expect']);
    expect(Object.keys(JSON.parse(c).facts)).toEqual(['z', 'a']);
  });
  it('is the identity on every shipped document (guideline format keeps them in the house layout)', () => {
    const files = readSourceFiles(GUIDELINE_DIR).filter((f) => !f.path.startsWith('examples/'));
    expect(files.length).toBeGreaterThan(300);
    for (const f of files) expect(formatDocument(JSON.parse(f.text)), f.path).toBe(f.text);
  });
  it('is idempotent on every shipped document', () => {
    for (const f of readSourceFiles(GUIDELINE_DIR)) {
      const once = formatDocument(JSON.parse(f.text));
      expect(formatDocument(JSON.parse(once)), f.path).toBe(once);
    }
  });
});
