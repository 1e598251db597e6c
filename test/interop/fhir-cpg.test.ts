// FHIR CPG out: a PlanDefinition per recommendation with GRADE extensions and citations, checked
// structurally against the R4 shapes it uses (no FHIR JSON Schema package is installed).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCpg, JSON_LOGIC_LANGUAGE } from '../../engine/interop/index.ts';
import { loadGuideline, main } from '../../engine/node/index.ts';
import { readBundle, type RecommendationNode } from '../../engine/runtime/index.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const g = loadGuideline(GUIDELINE_DIR).guideline;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

describe('guideline export fhir', () => {
  const bundle = exportCpg(g) as { resourceType: string; entry: { fullUrl: string; resource: any }[] };
  const of = (t: string) => bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === t);
  it('has a PlanDefinition per recommendation, an action per clause, GRADE extensions and citations', () => {
    const recs = g.nodes.filter((n): n is RecommendationNode => n.kind === 'recommendation');
    const plans = of('PlanDefinition');
    expect(plans).toHaveLength(recs.length);
    expect(plans).toHaveLength(79);
    let graded = 0;
    for (const r of recs) {
      const p = plans.find((x) => x.name === r.id);
      expect(p, r.id).toBeDefined();
      expect(p.id).toMatch(ID);
      expect(p.relatedArtifact.length, r.id).toBeGreaterThan(0);
      for (const a of p.relatedArtifact) expect(a).toMatchObject({ type: 'citation', citation: expect.stringContaining('J Liver Cancer 2023') });
      expect(p.action.map((a: any) => a.id)).toEqual(r.clauses.map((c) => c.id));
      for (const c of r.clauses) {
        const a = p.action.find((x: any) => x.id === c.id);
        expect(a.description).toBe(c.text);
        expect(JSON.parse(a.condition[0].expression.expression)).toEqual(c.when);
        expect(a.condition[0]).toMatchObject({ kind: 'applicability', expression: { language: JSON_LOGIC_LANGUAGE, description: expect.any(String) } });
        const ext = Object.fromEntries(a.extension.map((e: any) => [e.url.split('/').pop(), e.valueCodeableConcept.coding[0].code]));
        if (c.grade) {
          graded++;
          expect(ext['cqf-qualityOfEvidence']).toBe({ A: 'high', B: 'moderate', C: 'low', D: 'very-low' }[c.grade[0]]);
          expect(ext['cqf-strengthOfRecommendation']).toBe({ 1: 'strong', 2: 'weak' }[c.grade[1]]);
        } else expect(a.extension).toEqual([]);
        expect(of('ActivityDefinition').some((d) => d.url === a.definitionCanonical), a.definitionCanonical).toBe(true);
      }
    }
    expect(graded).toBe(103);
  });
  it('is a well-formed R4 collection: resource types, unique ids, the Library holds the engine bundle', () => {
    expect(bundle.resourceType).toBe('Bundle');
    const keys = bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of bundle.entry) {
      expect(['Library', 'PlanDefinition', 'ActivityDefinition']).toContain(e.resource.resourceType);
      expect(e.resource.id).toMatch(ID);
      expect(e.resource.status).toBe('draft');
      expect(e.fullUrl).toBe(e.resource.url);
    }
    const [lib] = of('Library');
    const inner = readBundle(Buffer.from(lib.content[0].data, 'base64').toString('utf8'));
    expect(lib.content[0].title).toBe(`guideline bundle ${inner.hash}`);
  });
  it('is written by the CLI', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cpg-'));
    try {
      let text = '';
      expect(await main(['export', 'fhir', '--out', out], { out: (s) => { text += s; }, err: (s) => { text += s; } })).toBe(0);
      expect(text).toMatch(/79 PlanDefinition/);
      expect(JSON.parse(readFileSync(join(out, `klca-ncc-2022-${g.manifest.version}.fhir.json`), 'utf8'))).toEqual(JSON.parse(JSON.stringify(bundle)));
    } finally { rmSync(out, { recursive: true, force: true }); }
  });
});

describe('guideline export questionnaire', () => {
  it('asks the facts no standard code maps, and its QuestionnaireResponse becomes facts', async () => {
    const { exportQuestionnaire, fhirToFacts, questionnaireUrl } = await import('../../engine/interop/index.ts');
    const q = exportQuestionnaire(g) as { item: any[] };
    const ids = q.item.map((i) => i.linkId);
    expect(ids).toContain('suitable_for_resection');
    expect(ids).toContain('tumor_count');
    expect(ids).not.toContain('albumin');
    expect(q.item.find((i) => i.linkId === 'portal_vein_invasion').type).toBe('choice');
    expect(q.item.find((i) => i.linkId === 'largest_tumor_cm').extension[0].valueCoding.code).toBe('cm');
    const vp = q.item.find((i) => i.linkId === 'portal_vein_invasion').answerOption[0].valueCoding;
    const qr = { resourceType: 'QuestionnaireResponse', id: 'qr', questionnaire: questionnaireUrl(g), status: 'completed', authored: '2026-11-30', item: [
      { linkId: 'suitable_for_resection', answer: [{ valueBoolean: false }] },
      { linkId: 'largest_tumor_cm', answer: [{ valueDecimal: 4.5 }] },
      { linkId: 'portal_vein_invasion', answer: [{ valueCoding: vp }] },
      { linkId: 'no_such_fact', answer: [{ valueBoolean: true }] },
    ] };
    const r = fhirToFacts({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: qr }] }, { guideline: g, now: '2026-12-01' });
    expect(r.facts).toEqual({ largest_tumor_cm: 4.5, portal_vein_invasion: vp.code, suitable_for_resection: false });
    expect(r.unmapped).toEqual([{ resource: 'QuestionnaireResponse/qr', reason: 'item "no_such_fact" is not an input of the dictionary' }]);
    let text = '';
    const out = mkdtempSync(join(tmpdir(), 'q-'));
    try {
      expect(await main(['export', 'questionnaire', '--out', out], { out: (s) => { text += s; }, err: (s) => { text += s; } })).toBe(0);
      expect(JSON.parse(readFileSync(join(out, `klca-ncc-2022-${g.manifest.version}.questionnaire.json`), 'utf8')).item).toHaveLength(q.item.length);
    } finally { rmSync(out, { recursive: true, force: true }); }
  });
});
