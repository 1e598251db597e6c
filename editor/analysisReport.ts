// The JSON of POST /api/analyze's reports, as far as the Analysis view reads it (the fields of
// `guideline analyze --json`). Declared here rather than imported: the editor reaches the engine
// through the runtime, authoring and review doors only, and never bundles the solver's wing.
import type { JsonValue } from '../engine/runtime/index.ts';

export interface Witness { facts: Record<string, JsonValue>; reproduced: boolean }
export interface InvariantFinding { id: string; title: string; status: 'proved' | 'refuted' | 'unknown'; ms: number; witness?: Witness; clause?: string; reason?: string; quantified?: boolean }
export interface ConflictFinding { intervention: string; a: { clause: string; action: string }; b: { clause: string; action: string }; witness: Witness; ms: number }
export interface ClauseFinding { clause: string; chapter: string; ms: number; witness?: Witness; note?: string }
export interface GapFinding { chapter: string; population: string; witness: Witness; ms: number }
export interface BoundaryPoint { node: string; operand: string; op: string; threshold: number; step: number; at: string[]; below: string[]; above: string[]; covered: boolean }
export interface AnalysisReport {
  invariants: InvariantFinding[];
  conflicts: ConflictFinding[];
  dead: ClauseFinding[];
  everyone: ClauseFinding[];
  gaps: GapFinding[];
  undecidable: ClauseFinding[];
  boundaries: { total: number; covered: number; uncovered: BoundaryPoint[] };
  untranslatable: { node: string; reason: string }[];
  ms: { total: number; invariants: number };
}
