// The patient's recommendations, for a clinician and for a consumer: one function behind
// `guideline recommend`, `eval --explain` and the editor's case view.
//
// - only the rules whose population includes the patient (not-in-population is never listed);
// - one item per intervention: a list-valued action gives one item per option, each with its own
//   status (an option whose own condition fails is left out: the arm is excluded); several
//   clauses offering one intervention give one item, the strongest first, the others as `alsoBy`;
// - recommendations (recommend / consider) apart from statements of evidence or information and
//   from advice against;
// - conflicts: an intervention offered while another applying clause advises against it, says to
//   switch away from it (`switch_from_<x>`), or a safety invariant that holds forbids it;
// - ask next: the missing facts ranked by how many undecided recommendations each would decide,
//   weighted by grade (A1 highest), each as a question in words with its unit.
import { nodeLabel } from './describe.ts';
import type { EvaluationResult } from './evaluate.ts';
import { evaluate } from './evaluate.ts';
import { formatCitation } from './explain.ts';
import { chapterOf, checkInvariants } from './invariants.ts';
import { GRADE_ORDER } from './treatment-options.ts';
import type { ActionType, Grade, Guideline, InputDef, InvariantNode, RuleNode, Status } from './types.ts';

export interface RecommendationItem {
  intervention: string;
  label: string;
  action: ActionType;
  grade: Grade | null;
  role?: 'primary' | 'alternative';
  status: Extract<Status, 'applies' | 'undecided'>;
  /** facts that could decide an undecided item */
  missing?: string[];
  /** where it comes from: "rule.clause", and the option's code for a list-valued action */
  rule: string;
  clause: string;
  option?: string;
  /** "Systemic therapies [Second-line therapies] 6 (a)" */
  source: string;
  chapter: string;
  text: string;
  citation: string;
  /** other clauses that offer the same intervention (weaker or equal), as "rule.clause" */
  alsoBy?: string[];
  /** set when something that applies speaks against this item (see `conflicts`) */
  conflict?: boolean;
}

export interface Statement { rule: string; clause: string; source: string; grade: Grade | null; label: string; text: string }

export interface Conflict {
  intervention: string;
  /** the item offered: "rule.clause" */
  offeredBy: string;
  /** what speaks against it: "rule.clause" of an applying clause, or "invariant:<id>" */
  against: string;
  reason: string;
}

export interface Question {
  fact: string;
  question: string;
  unit?: string;
  /** undecided recommendations (items) the fact is one of the missing facts of */
  involved: number;
  /** undecided items for which it is the only missing fact: supplying it decides them */
  decides: number;
  score: number;
}

export interface PatientRecommendations {
  guideline: { id: string; version: string; hash?: string };
  /** recommend / consider that apply, one per intervention, primary and strongest first */
  recommendations: RecommendationItem[];
  /** recommend / consider that could still apply, one per intervention not already recommended */
  undecided: RecommendationItem[];
  /** advice against ("not-recommended") that applies */
  against: RecommendationItem[];
  /** statements of evidence or information that apply (ungraded orders are not among them) */
  statements: Statement[];
  conflicts: Conflict[];
  askNext: Question[];
  /** how many rules are outside the patient's population (never listed) */
  outsidePopulation: number;
}

const GRADE_WEIGHT: Record<string, number> = { A1: 8, A2: 7, B1: 6, B2: 5, C1: 4, C2: 3, D1: 2, D2: 1 };
const weight = (g: Grade | null) => (g ? GRADE_WEIGHT[g] : 0.5);
const rank = (i: RecommendationItem) => (i.role === 'primary' ? 0 : i.action === 'recommend' ? 1 : i.action === 'consider' ? 2 : 3);
const key = (i: { rule: string; clause: string }) => `${i.rule}.${i.clause}`;

/** Which interventions a "switch from X" clause moves away from: codes with X as a word or suffix (tace: ctace, deb_tace...). */
function switchesAwayFrom(switchCode: string, code: string): boolean {
  const m = /^switch_from_(.+)$/.exec(switchCode);
  if (!m) return false;
  const x = m[1];
  return code === x || code.split('_').some((w) => w === x || w.endsWith(x));
}

/** A fact as a question in words, with its unit. */
export function questionFor(input: InputDef | undefined, fact: string): { question: string; unit?: string } {
  if (!input) return { question: `${fact}?` };
  const unit = input.unit && input.unit !== 'points' ? input.unit : undefined;
  switch (input.type) {
    case 'boolean': return { question: `${input.title}: yes or no?` };
    case 'enum': {
      const labels = (input.values ?? []).map((v) => v.label);
      const shown = labels.length <= 5 ? labels.join(' / ') : `${labels.slice(0, 4).join(' / ')} / ...`;
      return { question: `${input.title}: ${shown}?` };
    }
    case 'number': return { question: `${input.title}${unit ? ` (${unit})` : ''}?`, ...(unit ? { unit } : {}) };
    case 'list': return { question: `${input.title}: list each (${Object.values(input.items?.fields ?? {}).map((f) => f.title).join(', ')})?` };
  }
}

export interface RecommendOptions { /** a result already computed for these facts (evaluate's) */ result?: EvaluationResult }

/** The patient's recommendations. `facts` are validated (EngineError on a bad fact). */
export function recommend(g: Guideline & { hash?: string }, facts: unknown, options: RecommendOptions = {}): PatientRecommendations {
  const result = options.result ?? evaluate(g, facts);
  return recommendFromResult(g, result);
}

export function recommendFromResult(g: Guideline & { hash?: string }, result: EvaluationResult): PatientRecommendations {
  const chapterIndex = new Map(g.manifest.chapters.map((c, i) => [c.id, i]));
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const applying: RecommendationItem[] = [];
  const pending: RecommendationItem[] = [];
  const against: RecommendationItem[] = [];
  const statements: Statement[] = [];
  const switches: { by: string; code: string }[] = [];
  let outsidePopulation = 0;

  for (const r of rules) {
    const rr = result.rules[r.id];
    if (!rr) continue;
    if (rr.status === 'not-in-population') { outsidePopulation++; continue; }
    if (rr.status === 'does-not-apply') continue;
    const chapter = chapterOf(g, r.id) ?? '';
    const citation = r.citations.map(formatCitation).join(' | ');
    r.clauses.forEach((c, i) => {
      const cr = rr.clauses[i];
      if (!cr || (cr.status !== 'applies' && cr.status !== 'undecided')) return;
      const source = `${nodeLabel(r)}${r.clauses.length > 1 ? ` (${c.id})` : ''}`;
      if (c.action.type === 'information') {
        if (cr.status === 'applies') statements.push({ rule: r.id, clause: c.id, source, grade: c.grade, label: c.action.label, text: c.text });
        return;
      }
      if (cr.status === 'applies' && c.action.intervention.startsWith('switch_from_')) switches.push({ by: `${r.id}.${c.id}`, code: c.action.intervention });
      const base = { action: c.action.type, grade: c.grade, rule: r.id, clause: c.id, source, chapter, text: c.text, citation, ...(c.action.role ? { role: c.action.role } : {}) };
      const arms = c.action.options?.length
        ? c.action.options.map((o, j) => ({ intervention: o.intervention, label: o.label, option: o.intervention, st: cr.options?.[j] ?? { status: cr.status, missing: cr.missing } }))
        : [{ intervention: c.action.intervention, label: c.action.label, option: undefined, st: { status: cr.status, missing: cr.missing } }];
      for (const a of arms) {
        if (a.st.status !== 'applies' && a.st.status !== 'undecided') continue; // the arm is excluded
        const item: RecommendationItem = {
          ...base, intervention: a.intervention, label: a.label, status: a.st.status,
          ...(a.st.status === 'undecided' ? { missing: [...(a.st.missing ?? [])] } : {}),
          ...(a.option ? { option: a.option } : {}),
        };
        if (c.action.type === 'not-recommended') { if (item.status === 'applies') against.push(item); }
        else (item.status === 'applies' ? applying : pending).push(item);
      }
    });
  }

  const order = (a: RecommendationItem, b: RecommendationItem) =>
    rank(a) - rank(b)
    || (a.grade ? GRADE_ORDER[a.grade] : 99) - (b.grade ? GRADE_ORDER[b.grade] : 99)
    || (chapterIndex.get(a.chapter) ?? 99) - (chapterIndex.get(b.chapter) ?? 99)
    || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0)
    || (a.intervention < b.intervention ? -1 : a.intervention > b.intervention ? 1 : 0);
  /** One item per intervention: the first in order, the others named in alsoBy. */
  const merge = (items: RecommendationItem[], skip: Set<string>) => {
    const by = new Map<string, RecommendationItem>();
    for (const it of [...items].sort(order)) {
      if (skip.has(it.intervention)) continue;
      const first = by.get(it.intervention);
      if (!first) { by.set(it.intervention, { ...it }); continue; }
      (first.alsoBy ??= []).push(key(it));
      if (first.status === 'undecided' && it.missing) first.missing = [...new Set([...(first.missing ?? []), ...it.missing])].sort();
    }
    return [...by.values()].sort(order);
  };
  const recommendations = merge(applying, new Set());
  const undecided = merge(pending, new Set(recommendations.map((i) => i.intervention)));
  const againstMerged = merge(against, new Set());

  // --- conflicts ------------------------------------------------------------------------------
  const conflicts: Conflict[] = [];
  for (const item of recommendations) {
    for (const a of againstMerged) if (a.intervention === item.intervention) conflicts.push({ intervention: item.intervention, offeredBy: key(item), against: key(a), reason: `${a.source} advises against ${a.label}` });
    for (const s of switches) if (s.by !== key(item) && switchesAwayFrom(s.code, item.intervention)) conflicts.push({ intervention: item.intervention, offeredBy: key(item), against: s.by, reason: `${s.by} says to switch away from it` });
  }
  const breaks = checkInvariants(g, result);
  for (const b of breaks) {
    if (b.kind !== 'forbid' || !b.clause) continue;
    const inv = g.nodes.find((n): n is InvariantNode => n.kind === 'invariant' && n.id === b.invariant);
    const item = recommendations.find((i) => i.intervention === b.intervention && (key(i) === b.clause || i.alsoBy?.includes(b.clause!)));
    if (item && inv) conflicts.push({ intervention: b.intervention!, offeredBy: b.clause, against: `invariant:${inv.id}`, reason: inv.title });
  }
  for (const c of conflicts) { const it = recommendations.find((i) => i.intervention === c.intervention); if (it) it.conflict = true; }

  // --- ask next -------------------------------------------------------------------------------
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const tally = new Map<string, { involved: number; decides: number; score: number }>();
  for (const it of undecided) {
    const facts = [...new Set((it.missing ?? []).map((m) => m.split(/[.[]/)[0]))];
    for (const f of facts) {
      const t = tally.get(f) ?? { involved: 0, decides: 0, score: 0 };
      t.involved++;
      if (facts.length === 1) t.decides++;
      t.score += weight(it.grade) / facts.length;
      tally.set(f, t);
    }
  }
  const askNext: Question[] = [...tally].map(([fact, t]) => ({ fact, ...questionFor(inputs.get(fact), fact), involved: t.involved, decides: t.decides, score: Math.round(t.score * 100) / 100 }))
    .sort((a, b) => b.score - a.score || b.decides - a.decides || (a.fact < b.fact ? -1 : 1));

  return {
    guideline: { id: g.manifest.id, version: g.manifest.version, ...(g.hash ? { hash: g.hash } : {}) },
    recommendations,
    undecided,
    against: againstMerged,
    statements,
    conflicts,
    askNext,
    outsidePopulation,
  };
}

export interface FormatOptions { /** list everything instead of the first few of each part */ all?: boolean }

/** Plain text, short enough for one screen unless `all`. */
export function formatRecommendations(p: PatientRecommendations, options: FormatOptions = {}): string {
  const L: string[] = [];
  const cap = <T>(xs: T[], n: number) => (options.all ? xs : xs.slice(0, n));
  const more = (xs: unknown[], n: number, what: string) => { if (!options.all && xs.length > n) L.push(`  ... ${xs.length - n} more ${what} (--all)`); };
  L.push(`Recommendations for this patient (${p.recommendations.length})`);
  for (const i of cap(p.recommendations, 10)) {
    L.push(`  ${i.conflict ? '!' : '✔'} ${i.label} [${i.grade ?? 'ungraded'}] ${i.role === 'primary' ? 'primary' : i.action}  (${i.source}${i.alsoBy?.length ? `; also ${i.alsoBy.length} more` : ''})`);
  }
  more(p.recommendations, 10, 'recommendations');
  if (p.conflicts.length) {
    L.push(`Conflicts (${p.conflicts.length})`);
    for (const c of cap(p.conflicts, 5)) L.push(`  ! ${c.intervention} (${c.offeredBy}): ${c.reason}`);
    more(p.conflicts, 5, 'conflicts');
  }
  if (p.against.length) {
    L.push(`Advised against (${p.against.length})`);
    for (const i of cap(p.against, 4)) L.push(`  ✘ ${i.label} [${i.grade ?? 'ungraded'}] (${i.source})`);
    more(p.against, 4, 'items');
  }
  L.push(`Could apply, not decided yet (${p.undecided.length})`);
  const needs = (m: string[]) => (m.length <= 4 ? m.join(', ') : `${m.slice(0, 3).join(', ')} and ${m.length - 3} more`);
  for (const i of cap(p.undecided, 6)) L.push(`  ? ${i.label} [${i.grade ?? 'ungraded'}] ${i.action}  needs ${needs(i.missing ?? [])}`);
  more(p.undecided, 6, 'undecided items');
  if (p.askNext.length) {
    L.push('Ask next');
    cap(p.askNext, 5).forEach((q, n) => L.push(`  ${n + 1}. ${q.question}  (decides ${q.decides}, helps ${q.involved})`));
    more(p.askNext, 5, 'questions');
  }
  L.push(`Statements of evidence: ${p.statements.length}; rules outside this patient's population: ${p.outsidePopulation} (not listed)`);
  return L.join('\n') + '\n';
}
