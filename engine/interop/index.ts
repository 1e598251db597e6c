// The interop wing: the guideline where hospital systems live. FHIR R4 patient data in
// (fhirToFacts), synthetic patient bundles (factsToFhir), CDS Hooks 2.0 cards out. Imports the
// runtime wing only; no Node built-ins (the HTTP service is in engine/node/cds-hooks.ts).
export { fhirToFacts, ageAt, localSystem, localValueSystem, type FhirToFactsOptions, type FhirFacts, type FactSource, type Unmapped } from './fhir-in.ts';
export { factsToFhir, type SyntheticBundle } from './fhir-synth.ts';
export { discovery, cardsFor, patientViewCards, prefetchBundle, serviceId, suggestionFor, uuidOf, GUIDELINE_SITE, type CdsService, type CdsCard, type CdsSuggestion, type CdsAction, type CardsOptions } from './cds-hooks.ts';
export { orderSelectCards, orderSelectServiceId, ordersOf, type DraftOrder, type OrderSelectOptions } from './order-select.ts';
export { therapyLines, stopReasonSystem } from './fhir-meds.ts';
export { exportCpg, JSON_LOGIC_LANGUAGE, TERMINOLOGY_REVIEW_TAG } from './fhir-cpg.ts';
export { exportQuestionnaire, questionnaireAnswers, clinicianInputs, questionnaireUrl } from './questionnaire.ts';
export { planGuideline, SqlTranslationError, type Plan } from './sql/plan.ts';
export { SqlGenerator, STATUS_NAMES, STATIC_CAP, type StatusName, type ResultLayout } from './sql/generate.ts';
export { prepareAudit, perPatientSql, statusViewSql, STATUS_TABLE, SELECT_LIMIT, countsSql, validationSql, columnType, inputsOfRules, planOf, type Query, type Prepared, type AuditCounts } from './sql/audit.ts';
export type { Dialect } from './sql/translate.ts';
