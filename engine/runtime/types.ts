// The data model as TypeScript types. The JSON Schema (schema/guideline.schema.json) is the
// contract; these types mirror it for the engine's own use.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Logic = JsonValue;

export type Grade = 'A1' | 'A2' | 'B1' | 'B2' | 'C1' | 'C2' | 'D1' | 'D2';
export type ActionType = 'recommend' | 'consider' | 'not-recommended' | 'information';
/**
 * applies / does-not-apply / undecided: what a clause's condition says for the patient.
 * not-in-population: the rule's population (its chapter's, or its own) does not include the
 * patient; such a rule is never undecided and never listed for that patient.
 */
export type Status = 'applies' | 'does-not-apply' | 'undecided' | 'not-in-population';

export interface Citation {
  section: string[];
  recommendation?: string;
  table?: string;
  figure?: string;
  references?: number[];
  quote?: string;
}

export interface Interpretation {
  about?: string;
  category: 'undefined-term' | 'source-discrepancy' | 'missing-source' | 'text-repair' | 'scope' | 'judgement';
  text: string;
  reason: string;
}

export interface EnumValue { value: string; label: string }

export interface Field {
  type: 'number' | 'boolean' | 'enum' | 'list';
  unit?: string;
  minimum?: number;
  maximum?: number;
  integer?: boolean;
  values?: EnumValue[];
  hint?: string;
  items?: { fields: Record<string, ItemField>; maxItems?: number };
}

export interface ItemField extends Field { title: string; description?: string }

export interface InputDef extends Field {
  kind: 'input';
  id: string;
  title: string;
  description: string;
  citations?: Citation[];
  interpretations?: Interpretation[];
  /** codes in standard terminologies (engine/runtime/codes.ts), the first preferred */
  codes?: InputCoding[];
  /** the unit as a UCUM expression */
  ucum?: string;
}

export interface InputCoding { system: string; code: string; display: string; source: string; review?: 'needs-terminology-review'; note?: string; /** false: a related result, reported and never converted */ maps?: false; /** an intervention's code for one component of a combination */ component?: true }

interface NodeCommon {
  id: string;
  title?: string;
  description?: string;
  citations: Citation[];
  interpretations?: Interpretation[];
}

export interface DefinitionNode extends NodeCommon {
  kind: 'definition';
  title: string;
  type: 'number' | 'boolean' | 'enum';
  unit?: string;
  values?: EnumValue[];
  expr: Logic;
  public?: boolean;
}

/** One choice of a list-valued action (Second-line 6-8: one option per drug). */
export interface ActionOption {
  intervention: string;
  label: string;
  /** extra condition of this option (ramucirumab: AFP >= 400 ng/mL); absent: the clause's own. */
  when?: Logic;
}

export interface Action {
  type: ActionType;
  /** the intervention, or the group code when `options` lists the choices */
  intervention: string;
  label: string;
  role?: 'primary' | 'alternative';
  options?: ActionOption[];
}

export interface Clause {
  id: string;
  text: string;
  grade: Grade | null;
  when: Logic;
  action: Action;
}

export interface RecommendationNode extends NodeCommon {
  kind: 'recommendation';
  topic: string;
  subgroup?: string;
  number: number;
  statement: string;
  inTable2?: boolean;
  numberInText?: number;
  applicability?: string;
  /** id of a boolean definition: whom this rule concerns, overriding its chapter's population */
  population?: string;
  clauses: Clause[];
}

export interface PracticePointNode extends NodeCommon {
  kind: 'practice-point';
  title: string;
  topic?: string;
  statement: string;
  /** id of a boolean definition: whom this rule concerns, overriding its chapter's population */
  population?: string;
  clauses: Clause[];
}

export interface TableNode extends NodeCommon {
  kind: 'table';
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
  footnotes?: string[];
}

/** What a safety invariant forbids or requires: clauses by intervention (or any), action and chapter. */
export interface InvariantTarget {
  /** an intervention code (matches a clause's code or one of its options' codes), or "*" for any */
  intervention: string;
  actions: ActionType[];
  /** only clauses of rules in this chapter */
  chapter?: string;
}

/**
 * A safety invariant: for every patient who satisfies `when` (known true), no clause it forbids
 * applies and (with `require`) some clause it requires applies. Checked on every case.
 */
export interface InvariantNode extends NodeCommon {
  kind: 'invariant';
  title: string;
  when: Logic;
  forbid: InvariantTarget[];
  require?: InvariantTarget[];
  reason: string;
}

export type RuleNode = RecommendationNode | PracticePointNode;
export type GuidelineNode = DefinitionNode | RuleNode | TableNode | InvariantNode;

export interface Chapter {
  id: string;
  title: string;
  topic?: string;
  subgroups?: string[];
  section?: string;
  /** id of a boolean definition: whom the chapter's rules concern (e.g. population_hcc) */
  population?: string;
}

export interface Manifest {
  id: string;
  title: string;
  version: string;
  source: {
    citation: string; organisations: string[]; year: number;
    /** the journal site the guideline text prints */ site?: string;
    /** canonical address (DOI link) */ url?: string; doi?: string;
    /** fields the guideline text does not confirm: shown as needing review, never as verified */
    unverified?: Partial<Record<'url' | 'doi' | 'site' | 'citation' | 'year', { review: 'needs-review'; reason: string }>>;
    note?: string;
  };
  grading: {
    scheme: string;
    citation?: Citation;
    evidence: Record<string, { label: string; meaning: string }>;
    strength: Record<string, { label: string; meaning: string }>;
  };
  chapters: Chapter[];
  /** the coded dictionary of interventions, keyed by intervention code */
  interventions?: Record<string, InterventionCodes>;
}

/** Standard codes of an intervention (SNOMED CT procedures, ATC or RxNorm drugs); none, with review, when not known for sure. */
export interface InterventionCodes { codes: InputCoding[]; review?: 'needs-terminology-review'; note?: string }

export interface CaseExpect {
  values?: Record<string, JsonValue>;
  undecided?: Record<string, string[]>;
  outcomes?: Record<string, Status>;
  missing?: Record<string, string[]>;
}

export interface Case {
  id: string;
  title: string;
  source?: string;
  facts: Record<string, JsonValue>;
  expect: CaseExpect;
}

/** Where a document came from: its file (relative to the guideline folder) and chapter/group. */
export interface Origin { file: string; folder: string }

/**
 * One guideline, ready to evaluate: what the loader builds from the folder and what a bundle
 * holds. Arrays are sorted by id so that every output is deterministic.
 */
export interface Guideline {
  manifest: Manifest;
  inputs: InputDef[];
  nodes: GuidelineNode[];
  cases: Case[];
  /** file and folder of each input, node and case, keyed "input:<id>", "node:<id>", "case:<id>". */
  origins: Record<string, Origin>;
}

export interface Bundle extends Guideline {
  format: 'guideline-bundle/1';
  /** sha256 of the canonical JSON of {manifest, inputs, nodes, cases, origins}. */
  hash: string;
  /** optional Ed25519 signature of signaturePayload(bundle) (engine/bundle.ts); not covered by the hash. */
  signature?: BundleSignature;
}

export interface BundleSignature {
  algorithm: 'Ed25519';
  /** "sha256:" + hex sha256 of the public key's DER (SPKI) encoding: which key to verify with. */
  keyId: string;
  /** base64 signature */
  value: string;
}

export type Severity = 'error' | 'warning';

/** A finding of the schema or the semantic checker: data, not prose. */
export interface Finding {
  code: string;
  severity: Severity;
  file?: string;
  pointer: string;
  node?: string;
  message: string;
}
