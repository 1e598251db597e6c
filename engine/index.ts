// The public API of the engine. Everything a consumer (CLI, editor, hospital system) needs is
// exported here and nowhere else; modules not re-exported are internal.
export type {
  Action, Bundle, BundleSignature, Case, CaseExpect, Chapter, Citation, Clause, DefinitionNode, Field, Finding, Grade, Guideline,
  GuidelineNode, InputDef, Interpretation, ItemField, JsonValue, Logic, Manifest, PracticePointNode, RecommendationNode,
  RuleNode, Severity, Status, TableNode,
} from './types.ts';
export { EngineError, type Problem } from './errors.ts';
export { evaluate, type EvaluateOptions, type EvaluationResult, type ClauseResult, type RuleResult, type ValueResult } from './evaluate.ts';
export { validateFacts, type Facts } from './facts.ts';
export { evaluateLogic, ALLOWED_OPERATORS, LIMITS, Unknown, type TraceEvent } from './logic.ts';
export { parseSource, type SourceFile, type ParsedSource } from './source.ts';
export { check } from './check.ts';
export { runCase, runCases, compareExpectations, type CaseRun, type Mismatch } from './cases.ts';
export { coverage, type CoverageReport } from './coverage.ts';
export { explain, formatCitation, type ExplainMode } from './explain.ts';
export { describe, nodeLabel, vocabularyOf } from './describe.ts';
export { makeBundle, readBundle, contentHash, bundleFileName, signaturePayload, BUNDLE_FORMAT } from './bundle.ts';
export { canonicalJson } from './canonical.ts';
export { interpretationRegister, type RegisterEntry } from './interpretations.ts';
export { compare, diffResults, type Comparison, type CaseChange, type CaseOutcome, type CompareOptions, type StatusChange, type ValueChange } from './compare.ts';
export { treatmentOptions, formatTreatmentOptions, TREATMENT_CHAPTERS, TREATMENT_OPTIONS_NOTICE, type TreatmentOption, type TreatmentOptionsView, type TreatmentOptionsOptions, type ContextValue } from './treatment-options.ts';
export { formatDocument, orderDocument } from './format.ts';
export {
  diffGuidelines, diffEntities, diffCases, gradeDirection, citationText,
  type GuidelineDiff, type EntityDiff, type FieldChange, type ChangeCategory, type Direction, type CaseDiff, type DiffOptions, type Side, type EntityKind,
} from './diff.ts';
export {
  assessBump, bumpBetween, coveredBy, parseVersion, suggestVersion, changeLevel, outcomeReasons, BUMPS,
  type Bump, type BumpAssessment, type BumpReason,
} from './version.ts';
export { formatDiff, formatChangelog, DIFF_FORMATS, type DiffFormat } from './report.ts';
export { renderBook, escapeHtml, type RenderOptions } from './render.ts';
