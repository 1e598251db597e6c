// Errors once (issue 16): one broken document gives one finding, named by its file, with a fix
// that is right; the cases and rules that name it do not each report it again with a wrong
// "did you mean".
import { describe, expect, it } from 'vitest';
import { checkSource, parseSource } from '../engine/authoring/index.ts';
import { readSourceFiles } from '../engine/node/load.ts';
import { GUIDELINE_DIR, FIXTURES } from './helpers.ts';
import { join } from 'node:path';

function broken(dir: string, path: string, edit: (doc: any) => void) {
  const files = readSourceFiles(dir).map((f) => {
    if (f.path !== path) return f;
    const doc = JSON.parse(f.text);
    edit(doc);
    return { path: f.path, text: JSON.stringify(doc) };
  });
  return checkSource(parseSource(files)).filter((f) => f.severity === 'error');
}

describe('errors once', () => {
  it('a grade that is not a grade: one error on its file, listing the grades and null, no "did you mean" elsewhere', () => {
    const errors = broken(join(FIXTURES, 'mini'), 'nodes/liver/liver_1.json', (d) => { d.clauses[0].grade = 'A3'; });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'schema', file: 'nodes/liver/liver_1.json', pointer: '/clauses/0/grade' });
    expect(errors[0].message).toMatch(/one of .*"A1".* or null/);
  });

  it('on the shipped guideline, a bad grade of Hepatic resection 1 gives 1 error (it gave 23, 21 of them a wrong "did you mean")', () => {
    const errors = broken(GUIDELINE_DIR, 'nodes/hepatic-resection/hepatic_resection_1.json', (d) => { d.clauses[0].grade = 'A3'; });
    expect(errors.map((e) => `${e.file}#${e.pointer}`)).toEqual(['nodes/hepatic-resection/hepatic_resection_1.json#/clauses/0/grade']);
    expect(errors.some((e) => e.message.includes('Did you mean'))).toBe(false);
  });

  it('a reference to a document that does not exist at all is still reported, with its suggestion', () => {
    const errors = broken(join(FIXTURES, 'mini'), 'nodes/liver/liver_1.json', (d) => { d.clauses[0].when = { var: 'good_livr' }; });
    expect(errors.some((e) => e.code === 'unknown-reference' && e.message.includes('Did you mean "good_liver"'))).toBe(true);
  });
});
