// A FHIR R4 Questionnaire for the facts only a clinician can answer (the inputs with no standard
// code to read them by: team judgements, imaging findings, staging, treatment history details),
// and the reading of its QuestionnaireResponse into facts (fhirToFacts calls questionnaireAnswers).
import type { Guideline, InputDef, JsonValue } from '../runtime/index.ts';
import { localSystem, localValueSystem } from './fhir-local.ts';

/** Inputs a clinician answers: no code by which a laboratory or problem-list resource maps to them. */
export const clinicianInputs = (g: Guideline) => g.inputs.filter((i) => !(i.codes ?? []).some((c) => c.maps !== false) && i.type !== 'list');

export const questionnaireUrl = (g: Guideline) => `urn:guideline:${g.manifest.id}:Questionnaire/clinician-facts`;

export function exportQuestionnaire(g: Guideline): Record<string, unknown> {
  return {
    resourceType: 'Questionnaire', id: `${g.manifest.id}-clinician-facts`.replace(/_/g, '-'), url: questionnaireUrl(g), version: g.manifest.version, status: 'draft',
    title: `${g.manifest.title}: facts the clinician answers`,
    subjectType: ['Patient'],
    item: clinicianInputs(g).map((i) => itemOf(g, i)),
  };
}

function itemOf(g: Guideline, i: InputDef): Record<string, unknown> {
  const base = { linkId: i.id, code: [{ system: localSystem(g), code: i.id, display: i.title }], text: i.title };
  switch (i.type) {
    case 'boolean': return { ...base, type: 'boolean' };
    case 'enum': return { ...base, type: 'choice', answerOption: (i.values ?? []).map((v) => ({ valueCoding: { system: localValueSystem(g, i.id), code: v.value, display: v.label } })) };
    default: return {
      ...base, type: i.integer || !i.ucum ? 'integer' : 'decimal',
      ...(i.ucum ? { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-unit', valueCoding: { system: 'http://unitsofmeasure.org', code: i.ucum, display: i.unit ?? i.ucum } }] } : {}),
    };
  }
}

/** The answers of a QuestionnaireResponse (nested items too), as [input, value] pairs or why not. */
export function questionnaireAnswers(g: Guideline, qr: Record<string, any>): { answers: [InputDef, JsonValue][]; problems: string[] } {
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const answers: [InputDef, JsonValue][] = [];
  const problems: string[] = [];
  const walk = (items: any[] | undefined) => {
    for (const it of items ?? []) {
      walk(it.item);
      if (!it.answer?.length) continue;
      const input = inputs.get(it.linkId);
      if (!input) { problems.push(`item "${it.linkId}" is not an input of the dictionary`); continue; }
      const a = it.answer[0];
      if (it.answer.length > 1) { problems.push(`${input.id}: ${it.answer.length} answers to one question`); continue; }
      const v = input.type === 'boolean' ? a.valueBoolean
        : input.type === 'enum' ? (a.valueCoding?.system === localValueSystem(g, input.id) ? a.valueCoding.code : undefined)
          : input.type === 'number' ? a.valueDecimal ?? a.valueInteger ?? (a.valueQuantity?.code === input.ucum ? a.valueQuantity.value : undefined) : undefined;
      if (v === undefined) problems.push(`${input.id}: answer ${JSON.stringify(a)} is not a ${input.type} of the dictionary`);
      else answers.push([input, v]);
    }
  };
  walk(qr.item);
  return { answers, problems };
}
