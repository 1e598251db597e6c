// The runtime wing's door inside the repository (the package's root entry is public.ts, a subset).
// The runtime wing: what a consumer ships. The three-valued interpreter, facts, evaluate,
// explanations, the recommendations view and bundle reading. Imports nothing of ours but schema types.
export type { Action, ActionOption, Bundle, BundleSignature, Case, CaseExpect, Chapter, Citation, Clause, DefinitionNode, Field, Finding, Grade, Guideline, GuidelineNode, InputCoding, InputDef, Interpretation, InterventionCodes, InvariantNode, InvariantTarget, ItemField, JsonValue, Logic, Manifest, PracticePointNode, RecommendationNode, RuleNode, Severity, Status, TableNode } from './types.ts';
export { EngineError, type Problem } from './errors.ts';
export { evaluate, RESULT_FORMAT, type EvaluateOptions, type EvaluationResult, type ClauseResult, type RuleResult, type ValueResult } from './evaluate.ts';
export { validateFacts, type Facts } from './facts.ts';
export { evaluateLogic, ALLOWED_OPERATORS, LIMITS, Unknown, type TraceEvent } from './logic.ts';
export { explain, formatCitation, type ExplainMode } from './explain.ts';
export { describe, nodeLabel, vocabularyOf } from './describe.ts';
export { makeBundle, readBundle, contentHash, bundleFileName, signaturePayload, keyIdOfSpki, BUNDLE_FORMAT, type ReadBundleOptions, type MakeBundleOptions } from './bundle.ts';
export { ENGINE_VERSION } from './generated.ts';
export { canonicalJson } from './canonical.ts';
export { treatmentOptions, formatTreatmentOptions, TREATMENT_CHAPTERS, TREATMENT_OPTIONS_NOTICE, type TreatmentOption, type TreatmentOptionsView, type TreatmentOptionsOptions, type ContextValue } from './treatment-options.ts';
export { checkInvariants, invariantHolds, chapterOf, type InvariantBreak } from './invariants.ts';
export { populationOf, type OptionResult } from './evaluate.ts';
export { recommend, recommendFromResult, formatRecommendations, questionFor, type PatientRecommendations, type RecommendationItem, type Statement, type Conflict, type Question, type RecommendOptions } from './recommend.ts';
export { parseUcum, convertUcum, ucumProblem, UcumError, type UcumUnit } from './ucum.ts';
export { codingProblem, CODE_SYSTEMS, UCUM_SYSTEM, type CodeSystem } from './codes.ts';
export { compiledModuleSource, useCompiledModule, compiledFileName, COMPILED_FORMAT, type CompiledModule } from './compiled-module.ts';
