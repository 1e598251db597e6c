// The analysis wing: the guideline translated into a three-valued formula IR (ir.ts), emitted to
// Z3 (z3.ts, loaded lazily) and analysed for every patient of the domain (analyze.ts): invariants,
// conflicts, dead clauses, gaps, undecidable clauses, boundary coverage. May import authoring and
// runtime; node imports it.
export { analyze, prepare, appliesIR, switchedFrom, type AnalysisReport, type AnalyzeOptions, type InvariantFinding, type ConflictFinding, type ClauseFinding, type GapFinding, type BoundaryPoint, type Witness, type Prepared } from './analyze.ts';
export { translate, evalIR, assignmentOf, factsOf, slotsOf, LIST_BOUND, Untranslatable, type IR, type Slot, type Translation, type Assignment, type Tri } from './ir.ts';
export { Emitter, z3Context } from './z3.ts';
export { compareAnalyses, formatAnalysisDiff, conflictKey, type AnalysisDiff, type AddedRemoved } from './compare.ts';
