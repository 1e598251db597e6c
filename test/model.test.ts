// The clinical model of issue 11 on a tiny guideline: populations (chapter and rule), the status
// not-in-population, list-valued actions with per-option status, and safety invariants.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSource, check, runCase, type SourceFile } from '../engine/authoring/index.ts';
import { readSourceFiles } from '../engine/node/load.ts';
import { checkInvariants, evaluate, type Guideline } from '../engine/runtime/index.ts';
import { FIXTURES } from './helpers.ts';

const MINI = readSourceFiles(join(FIXTURES, 'mini'));

function build(patch: (files: Map<string, any>) => void): Guideline {
  const files = new Map(MINI.map((f) => [f.path, JSON.parse(f.text)]));
  patch(files);
  const src: SourceFile[] = [...files].map(([path, doc]) => ({ path, text: JSON.stringify(doc) }));
  const { guideline, findings } = parseSource(src);
  const all = [...findings, ...check(guideline)].filter((f) => f.severity === 'error');
  expect(all).toEqual([]);
  return guideline;
}

const hasDisease = { kind: 'definition', id: 'population_disease', title: 'Has the disease', type: 'boolean', expr: { '==': [{ var: 'disease' }, true] }, citations: [{ section: ['LIVER'] }] };
const diseaseInput = { kind: 'input', id: 'disease', title: 'Disease diagnosed', description: 'The disease is diagnosed.', type: 'boolean' };
const GOOD = { albumin: 4, bilirubin: 1, ascites: 'none' };

function withPopulation(onRule = false): Guideline {
  return build((f) => {
    f.set('inputs/labs/disease.json', diseaseInput);
    f.set('nodes/liver/population_disease.json', hasDisease);
    if (onRule) f.get('nodes/liver/liver_1.json').population = 'population_disease';
    else f.get('manifest.json').chapters[0].population = 'population_disease';
  });
}

describe('populations', () => {
  for (const onRule of [false, true]) {
    const where = onRule ? 'a rule' : 'a chapter';
    it(`gates the rules of ${where}: outside is not-in-population, inside is evaluated, unknown is undecided with the population's facts`, () => {
      const g = withPopulation(onRule);
      const outside = evaluate(g, { ...GOOD, disease: false }).rules.liver_1;
      expect(outside).toMatchObject({ status: 'not-in-population', population: 'population_disease' });
      expect(outside.clauses[0].status).toBe('not-in-population');
      expect(outside.missing).toBeUndefined();
      expect(evaluate(g, { ...GOOD, disease: true }).rules.liver_1.status).toBe('applies');
      const unknown = evaluate(g, GOOD).rules.liver_1;
      expect(unknown).toMatchObject({ status: 'undecided', missing: ['disease'] });
      // and(unknown population, false) is false: a clause that cannot apply does not wait for the population
      expect(evaluate(g, { ...GOOD, ascites: 'slight' }).rules.liver_1.status).toBe('does-not-apply');
      // both missing: every fact that could decide it is named
      expect(evaluate(g, { albumin: 4, bilirubin: 1 }).rules.liver_1.missing).toEqual(['ascites', 'disease']);
    });
  }

  it('accepts not-in-population as a case expectation', () => {
    const g = withPopulation();
    const run = runCase(g, { id: 'x', title: 'x', facts: { ...GOOD, disease: false }, expect: { outcomes: { liver_1: 'not-in-population', 'liver_1.a': 'not-in-population' } } });
    expect(run.mismatches).toEqual([]);
  });
});

describe('list-valued actions', () => {
  const g = build((f) => {
    f.get('nodes/liver/liver_1.json').clauses[0].action = {
      type: 'consider', intervention: 'second_line_agents', label: 'Second-line agents',
      options: [
        { intervention: 'drug_a', label: 'Drug A' },
        { intervention: 'drug_b', label: 'Drug B', when: { '>': [{ var: 'bilirubin' }, 0.5] } },
      ],
    };
  });
  it('gives each option its own status: the clause and the option condition together', () => {
    const c = evaluate(g, GOOD).rules.liver_1.clauses[0];
    expect(c.options).toEqual([{ intervention: 'drug_a', status: 'applies' }, { intervention: 'drug_b', status: 'applies' }]);
    expect(evaluate(g, { ...GOOD, bilirubin: 0.4 }).rules.liver_1.clauses[0].options![1].status).toBe('does-not-apply');
    expect(evaluate(g, { albumin: 4, ascites: 'none' }).rules.liver_1.clauses[0].options).toEqual([
      { intervention: 'drug_a', status: 'undecided', missing: ['bilirubin'] },
      { intervention: 'drug_b', status: 'undecided', missing: ['bilirubin'] },
    ]);
    expect(evaluate(g, { ...GOOD, ascites: 'slight' }).rules.liver_1.clauses[0].options!.map((o) => o.status)).toEqual(['does-not-apply', 'does-not-apply']);
  });
});

describe('invariants', () => {
  const inv = (forbid: string) => ({ kind: 'invariant', id: 'liver-no_treatment_at_low_albumin', title: 'No treatment at albumin below 3', when: { '<': [{ var: 'albumin' }, 3] }, forbid: [{ intervention: forbid, actions: ['recommend'] }], reason: 'Test.', citations: [{ section: ['LIVER'] }] });
  it('is broken when its `when` holds and a forbidden clause applies, naming the invariant and the clause', () => {
    // a planted bug: the rule forgets its albumin floor
    const g = build((f) => {
      f.set('invariants/liver-no_treatment_at_low_albumin.json', inv('treat'));
      f.get('nodes/liver/liver_1.json').clauses[0].when = { '==': [{ var: 'ascites' }, 'none'] };
      f.get('nodes/liver/good_liver.json').public = true;
    });
    const breaks = checkInvariants(g, evaluate(g, { ...GOOD, albumin: 2.5 }));
    expect(breaks).toMatchObject([{ invariant: 'liver-no_treatment_at_low_albumin', kind: 'forbid', clause: 'liver_1.a', intervention: 'treat' }]);
    expect(checkInvariants(g, evaluate(g, { ...GOOD, albumin: 3.5 }))).toEqual([]);
    // `when` unknown: not known to hold, nothing is broken
    expect(checkInvariants(g, evaluate(g, { ascites: 'none' }))).toEqual([]);
    const run = runCase(g, { id: 'x', title: 'x', facts: { ...GOOD, albumin: 2.5 }, expect: { outcomes: { liver_1: 'applies' } } });
    expect(run.invariantBreaks?.map((b) => b.clause)).toEqual(['liver_1.a']);
  });
  it('holds on the correct rule; "*" matches any intervention', () => {
    const g = build((f) => f.set('invariants/liver-no_treatment_at_low_albumin.json', inv('*')));
    expect(checkInvariants(g, evaluate(g, { ...GOOD, albumin: 2.5 }))).toEqual([]);
    expect(checkInvariants(g, evaluate(g, GOOD))).toEqual([]);
  });
  it('is loaded only from invariants/, and nothing else may live there', () => {
    const files = MINI.map((f) => ({ ...f }));
    const misplaced = parseSource([...files, { path: 'nodes/liver/liver-x.json', text: JSON.stringify({ ...inv('treat'), id: 'liver-x' }) }]).findings;
    expect(misplaced.map((f) => f.code)).toContain('folder');
  });
});
