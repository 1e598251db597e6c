// The authoring wing: for the committee. Source files, the checker, formatting, cases, coverage,
// comparison and the interpretation register. May import the runtime.
export { parseSource, type SourceFile, type ParsedSource } from './source.ts';
export { check, checkExpression, checkSource } from './check.ts';
export { runCase, runCases, compareExpectations, type CaseRun, type Mismatch } from './cases.ts';
export { acceptOutcomes, allAccepted, type AcceptedOutcome } from './accept.ts';
export { goldenOf } from './golden.ts';
export { coverage, type CoverageReport } from './coverage.ts';
export { interpretationRegister, type RegisterEntry } from './interpretations.ts';
export { compare, diffResults, type Comparison, type CaseChange, type CaseOutcome, type CompareOptions, type StatusChange, type ValueChange, type GradeChange } from './compare.ts';
export { formatDocument, orderDocument } from './format.ts';
// Building bundles and reading expressions, for tools (the package's root entry keeps only what a consumer needs).
export { makeBundle, bundleFileName, signaturePayload, evaluateLogic, ALLOWED_OPERATORS, LIMITS, Unknown, TREATMENT_CHAPTERS, type MakeBundleOptions } from '../runtime/index.ts';
