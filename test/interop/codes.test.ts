// The coded dictionary: the checker knows the code systems and parses UCUM with a parser of our own.
import { describe, expect, it } from 'vitest';
import { check } from '../../engine/authoring/index.ts';
import { codingProblem, convertUcum, ucumProblem } from '../../engine/runtime/index.ts';
import { loadGuideline } from '../../engine/node/index.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const guideline = () => loadGuideline(GUIDELINE_DIR).guideline;

describe('code systems', () => {
  it('accepts well-formed LOINC, SNOMED CT, RxNorm and ATC codes and rejects the rest', () => {
    expect(codingProblem({ system: 'http://loinc.org', code: '1751-7' })).toBeUndefined();
    expect(codingProblem({ system: 'http://loinc.org', code: '1751-8' })).toMatch(/check digit/);
    expect(codingProblem({ system: 'http://snomed.info/sct', code: '19943007' })).toBeUndefined();
    expect(codingProblem({ system: 'http://snomed.info/sct', code: '0199' })).toMatch(/SNOMED/);
    // the Verhoeff check digit: one digit changed is caught
    expect(codingProblem({ system: 'http://snomed.info/sct', code: '18027006' })).toBeUndefined();
    expect(codingProblem({ system: 'http://snomed.info/sct', code: '18027007' })).toMatch(/Verhoeff/);
    expect(codingProblem({ system: 'http://snomed.info/sct', code: '19943017' })).toMatch(/Verhoeff/);
    expect(codingProblem({ system: 'http://www.whocc.no/atc', code: 'L01EX02' })).toBeUndefined();
    expect(codingProblem({ system: 'http://www.whocc.no/atc', code: 'L1EX02' })).toMatch(/ATC/);
    expect(codingProblem({ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: 'abc' })).toMatch(/RxNorm/);
    expect(codingProblem({ system: 'http://example.org/local', code: 'x' })).toMatch(/unknown code system/);
  });
});

describe('UCUM', () => {
  it('parses the units of the dictionary and refuses what is not UCUM', () => {
    for (const u of ['g/dL', 'mg/dL', '/mm3', '10*9/L', '10*3/uL', 'U/L', 'ng/mL', 'mm[Hg]', 'a', 'mo', '%', '{score}', 'umol/L']) expect(ucumProblem(u), u).toBeUndefined();
    for (const u of ['µmol/L', 'g /L', 'furlong', '10*/L', 'g/(dL']) expect(ucumProblem(u), u).toBeDefined();
  });
  it('converts through dimensions, and refuses incommensurable units', () => {
    expect(convertUcum(35, 'g/L', 'g/dL')).toBe(3.5);
    expect(convertUcum(150, '10*9/L', '/mm3')).toBe(150000);
    expect(convertUcum(150, '10*3/uL', '/mm3')).toBe(150000);
    expect(convertUcum(34.2, 'umol/L', 'mg/dL', 10000 / 17.1)).toBe(2);
    expect(() => convertUcum(1, 'g/L', 's')).toThrow(/cannot be converted/);
    expect(() => convertUcum(1, 'umol/L', 'mg/dL')).toThrow(/cannot be converted/);
  });
});

describe('the checker', () => {
  it('passes the dictionary as it is, and reports a bad code and a bad unit', () => {
    const g = guideline();
    expect(check(g).filter((f) => f.code === 'bad-code' || f.code === 'bad-ucum')).toEqual([]);
    const albumin = g.inputs.find((i) => i.id === 'albumin')!;
    const broken = { ...g, inputs: g.inputs.map((i) => (i === albumin ? { ...i, ucum: 'g/dl l', codes: [{ ...albumin.codes![0], code: '1751-6' }] } : i)) };
    const codes = check(broken).filter((f) => f.node === 'albumin').map((f) => f.code).sort();
    expect(codes).toEqual(['bad-code', 'bad-ucum']);
  });
  it('codes the laboratory values and conditions a hospital sends, each citing its terminology', () => {
    const g = guideline();
    for (const id of ['albumin', 'bilirubin', 'platelet_count', 'afp', 'alt', 'ast', 'hbsag_positive', 'hbv_dna_detectable', 'hcv_rna_positive', 'anti_hbc_positive', 'anti_hbs_positive', 'age_years', 'ecog', 'cirrhosis', 'chronic_hepatitis_b', 'chronic_hepatitis_c', 'hcc_diagnosed', 'ascites', 'encephalopathy', 'esophageal_varices']) {
      const i = g.inputs.find((x) => x.id === id)!;
      expect(i.codes?.length, id).toBeGreaterThan(0);
      for (const c of i.codes!) expect(c.source, id).toMatch(/LOINC|SNOMED/);
    }
  });
  it('codes every intervention (SNOMED CT, ATC or RxNorm), marks the uncertain, and refuses a silent gap', () => {
    const g = guideline();
    const dict = g.manifest.interventions!;
    const offered = new Set(g.nodes.flatMap((n) => ('clauses' in n ? n.clauses.flatMap((c) => [c.action.intervention, ...(c.action.options ?? []).map((o) => o.intervention)]) : [])));
    expect(Object.keys(dict).sort()).toEqual([...offered].sort());
    for (const [id, e] of Object.entries(dict)) {
      for (const c of e.codes) {
        expect(['http://snomed.info/sct', 'http://www.whocc.no/atc', 'http://www.nlm.nih.gov/research/umls/rxnorm'], id).toContain(c.system);
        expect(c.source, id).toMatch(/SNOMED CT|ATC/);
        if (c.review) expect(e.review, id).toBe('needs-terminology-review');
      }
      if (!e.codes.length) expect(e.review ?? (e.note?.startsWith('A choice among its options') ? 'group' : undefined), id).toBeDefined();
    }
    // the drugs of the systemic chapter are coded for sure (ATC), combinations by component
    for (const id of ['sorafenib', 'lenvatinib', 'regorafenib', 'cabozantinib', 'ramucirumab', 'pembrolizumab', 'nivolumab']) expect(dict[id], id).toMatchObject({ codes: [{ system: 'http://www.whocc.no/atc' }] });
    expect(dict.atezolizumab_bevacizumab.codes.map((c) => [c.code, c.component])).toEqual([['L01FF05', true], ['L01FG01', true]]);
    expect(dict.durvalumab_tremelimumab.review).toBe('needs-terminology-review');
    const broken = { ...g, manifest: { ...g.manifest, interventions: { ...dict, sorafenib: { codes: [{ system: 'http://loinc.org', code: '1751-7', display: 'x', source: 'LOINC' }] }, hepatic_resection: { codes: [] }, not_an_intervention: { codes: [] } } } };
    delete (broken.manifest.interventions as Record<string, unknown>).lenvatinib;
    const found = check(broken).filter((f) => f.file === 'manifest.json' && f.pointer.startsWith('/interventions')).map((f) => `${f.code} ${f.pointer}`).sort();
    expect(found).toEqual(['bad-code /interventions/sorafenib/codes/0', 'uncoded-intervention /interventions', 'uncoded-intervention /interventions/hepatic_resection', 'unknown-intervention /interventions/not_an_intervention']);
  });
});
