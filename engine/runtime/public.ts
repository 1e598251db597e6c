// The package's root entry (`@klca-guidelines/engine`): what a consumer needs to read a bundle,
// evaluate a patient and show the result. Small and stable, about 15 values; its surface is the
// API report test/api/engine.api.md (api-extractor, checked in CI: a change is a visible diff).
// Inside the repository, other wings, the editor and the tests use the wing's door, index.ts,
// which also carries the interpreter and the bundle-building helpers.
export type {
  Action, ActionOption, Bundle, BundleSignature, Case, CaseExpect, Chapter, Citation, Clause, DefinitionNode, Field, Grade, Guideline, GuidelineNode,
  InputCoding, InputDef, Interpretation, InterventionCodes, ItemField, JsonValue, Logic, Manifest, PracticePointNode, RecommendationNode, RuleNode, Status, TableNode,
} from './types.ts';
export { EngineError, type Problem } from './errors.ts';
export { evaluate, RESULT_FORMAT, type EvaluateOptions, type EvaluationResult, type ClauseResult, type OptionResult, type RuleResult, type ValueResult } from './evaluate.ts';
export { recommend, formatRecommendations, type PatientRecommendations, type RecommendationItem, type Statement, type Conflict, type Question, type RecommendOptions } from './recommend.ts';
export { validateFacts, type Facts } from './facts.ts';
export { explain, formatCitation, type ExplainMode } from './explain.ts';
export { describe, nodeLabel, vocabularyOf, type Vocabulary } from './describe.ts';
export { readBundle, contentHash, BUNDLE_FORMAT, type ReadBundleOptions } from './bundle.ts';
export { canonicalJson } from './canonical.ts';
export { ENGINE_VERSION } from './generated.ts';
export { treatmentOptions, formatTreatmentOptions, TREATMENT_OPTIONS_NOTICE, type TreatmentOption, type TreatmentOptionsView, type TreatmentOptionsOptions, type ContextValue } from './treatment-options.ts';
export { useCompiledModule, compiledModuleSource, compiledFileName, COMPILED_FORMAT, type CompiledModule } from './compiled-module.ts';
