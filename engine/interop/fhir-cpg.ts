// FHIR CPG out: the guideline as a FHIR R4 Bundle in the shape of the CPG implementation guide
// (hl7.org/fhir/uv/cpg). One PlanDefinition (recommendation definition) per recommendation with
// one action per clause: the clause's statement, its condition (the JSON-Logic as an expression of
// a declared language, and in words), its GRADE grade as the cqf-qualityOfEvidence and
// cqf-strengthOfRecommendation extensions (Table 1: A-D high to very low, 1 strong, 2 weak), and
// the citations as relatedArtifact; one ActivityDefinition per intervention; a Library holding the
// engine bundle the expressions run in.
import { describe, formatCitation, nodeLabel, makeBundle, vocabularyOf, type Grade, type Guideline, type RecommendationNode } from '../runtime/index.ts';

export const JSON_LOGIC_LANGUAGE = 'application/vnd.json-logic+json';
const QUALITY: Record<string, string> = { A: 'high', B: 'moderate', C: 'low', D: 'very-low' };
const STRENGTH: Record<string, string> = { '1': 'strong', '2': 'weak' };
const fhirId = (s: string) => s.replace(/_/g, '-').replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64);

function gradeExtensions(grade: Grade | null): Record<string, unknown>[] {
  if (!grade) return [];
  return [
    { url: 'http://hl7.org/fhir/StructureDefinition/cqf-qualityOfEvidence', valueCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/evidence-quality', code: QUALITY[grade[0]] }], text: grade[0] } },
    { url: 'http://hl7.org/fhir/StructureDefinition/cqf-strengthOfRecommendation', valueCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/recommendation-strength', code: STRENGTH[grade[1]] }], text: grade[1] } },
  ];
}

/** Base64 of a UTF-8 string, without Node's Buffer (the wing runs in a browser too). */
function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += abc[(n >> 18) & 63] + abc[(n >> 12) & 63] + (i + 1 < bytes.length ? abc[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? abc[n & 63] : '=');
  }
  return out;
}

export function exportCpg(g: Guideline): Record<string, unknown> {
  const base = `urn:guideline:${g.manifest.id}`;
  const version = g.manifest.version;
  const vocab = vocabularyOf(g);
  const bundle = makeBundle(g);
  const library = {
    resourceType: 'Library', id: fhirId(`${g.manifest.id}-logic`), url: `${base}:Library/logic`, version, status: 'draft',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }] },
    title: `${g.manifest.title}: rules as data (JSON-Logic)`,
    relatedArtifact: sourceArtifacts(g),
    content: [{ contentType: 'application/json', title: `guideline bundle ${bundle.hash}`, data: base64(JSON.stringify(bundle)) }],
  };
  const interventions = new Map<string, string>();
  const plans = g.nodes.filter((n): n is RecommendationNode => n.kind === 'recommendation').map((r) => {
    for (const c of r.clauses) {
      interventions.set(c.action.intervention, interventions.get(c.action.intervention) ?? c.action.label);
      for (const o of c.action.options ?? []) interventions.set(o.intervention, interventions.get(o.intervention) ?? o.label);
    }
    return {
      resourceType: 'PlanDefinition', id: fhirId(r.id),
      meta: { profile: ['http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-recommendationdefinition'] },
      url: `${base}:PlanDefinition/${r.id}`, version, name: r.id, title: r.title ?? nodeLabel(r), status: 'draft',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/plan-definition-type', code: 'eca-rule' }] },
      ...(r.description ? { description: r.description } : {}),
      relatedArtifact: r.citations.map((c) => ({ type: 'citation', citation: `${g.manifest.source.citation} ${formatCitation(c)}` })),
      library: [library.url],
      action: r.clauses.map((c) => ({
        id: c.id,
        title: c.action.label,
        description: c.text,
        textEquivalent: c.text,
        extension: gradeExtensions(c.grade),
        code: [{ coding: [{ system: `${base}:action-type`, code: c.action.type }] }],
        condition: [{ kind: 'applicability', expression: { language: JSON_LOGIC_LANGUAGE, expression: JSON.stringify(c.when), description: describe(c.when, vocab) } }],
        definitionCanonical: `${base}:ActivityDefinition/${c.action.intervention}`,
      })),
    };
  });
  const activities = [...interventions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, label]) => activityOf(g, base, code, label));
  return { resourceType: 'Bundle', id: fhirId(`${g.manifest.id}-${version}`), type: 'collection', entry: [library, ...plans, ...activities].map((resource) => ({ fullUrl: (resource as { url: string }).url, resource })) };
}

/** The guideline as the Library cites it: the citation, the journal site the text prints, and the
 * DOI link only with a note when manifest.source.unverified says the text does not confirm it. */
function sourceArtifacts(g: Guideline): Record<string, unknown>[] {
  const s = g.manifest.source;
  const out: Record<string, unknown>[] = [{ type: 'citation', citation: s.citation, ...(s.site ? { url: s.site } : {}) }];
  if (s.url) {
    const un = s.unverified?.url ?? s.unverified?.doi;
    out.push({ type: 'documentation', label: un ? 'DOI (needs review)' : 'DOI', display: un ? `${s.doi ?? s.url}: needs review, not confirmed by the guideline text. ${un.reason}` : s.doi ?? s.url, url: s.url });
  }
  return out;
}

const DRUG_SYSTEMS = new Set(['http://www.whocc.no/atc', 'http://www.nlm.nih.gov/research/umls/rxnorm']);
export const TERMINOLOGY_REVIEW_TAG = { system: 'urn:guideline:review', code: 'needs-terminology-review', display: 'A code of this resource (or its absence) needs terminology review' };

/** An ActivityDefinition for an intervention: kind MedicationRequest with the drug code as product,
 * or ServiceRequest with the procedure code; the codes of a combination's components as extensions;
 * an entry marked needs-terminology-review is tagged so. */
function activityOf(g: Guideline, base: string, code: string, label: string): Record<string, unknown> {
  const entry = g.manifest.interventions?.[code];
  const local = { system: `${base}:intervention`, code, display: label };
  const whole = (entry?.codes ?? []).filter((c) => !c.component);
  const parts = (entry?.codes ?? []).filter((c) => c.component);
  const drug = (entry?.codes ?? []).some((c) => DRUG_SYSTEMS.has(c.system));
  const coding = (c: { system: string; code: string; display: string }) => ({ system: c.system, code: c.code, display: c.display });
  return {
    resourceType: 'ActivityDefinition', id: fhirId(code), url: `${base}:ActivityDefinition/${code}`, version: g.manifest.version, name: code, title: label, status: 'draft',
    ...(entry?.review ? { meta: { tag: [TERMINOLOGY_REVIEW_TAG] } } : {}),
    ...(entry?.codes.length ? { kind: drug ? 'MedicationRequest' : 'ServiceRequest' } : {}),
    ...(parts.length ? { extension: parts.map((c) => ({ url: `${base}:extension/component`, valueCodeableConcept: { coding: [coding(c)], text: c.display } })) } : {}),
    code: { coding: [local, ...(drug ? [] : whole.map(coding))], text: label },
    ...(drug && whole.length ? { productCodeableConcept: { coding: whole.map(coding), text: label } } : {}),
    ...(entry?.note ? { description: entry.note } : {}),
  };
}
