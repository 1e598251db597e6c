// The "treatment options" view: for one evaluation result, every treatment clause that applies
// and, separately, every one that cannot be decided yet (with the facts that would decide it),
// ordered primary first.
//
// DERIVED FROM THE RECOMMENDATIONS, NOT A COPY OF FIGURE 8. The guideline's Figure 8 (best and
// alternative first-line treatments per mUICC stage for Child-Pugh A, no portal hypertension,
// ECOG 0-1) is missing from the source text. This view approximates it by gathering the
// per-modality recommendations and practice points of the treatment chapters; a committee can
// confirm or correct the result against the figure. Ordering: role "primary" first, then action
// "recommend", then "consider", then statements of evidence ("information"); within a rank the
// stronger grade first (A1 before A2 before B1 ...; ungraded last), then chapter order and number.
// Clauses advising against a treatment ("not-recommended") are listed apart.
import { nodeLabel } from './describe.ts';
import { formatCitation } from './explain.ts';
import type { EvaluationResult } from './evaluate.ts';
import type { ActionType, Grade, Guideline, JsonValue, RuleNode, Status } from './types.ts';

/** Chapters (manifest ids) whose rules name treatments. */
export const TREATMENT_CHAPTERS: readonly string[] = [
  'hepatic-resection', 'liver-transplantation', 'local-ablation', 'tace-tare', 'ebrt', 'systemic-therapy', 'adjuvant-therapy',
];

export const TREATMENT_OPTIONS_NOTICE =
  'Derived from the recommendations, not a copy of Figure 8: the figure (first-line treatment by mUICC stage for Child-Pugh A, ' +
  'no portal hypertension, ECOG 0-1) is missing from the source text; this list gathers the per-modality recommendations that ' +
  'apply to this patient, for a committee to confirm or correct against the figure.';

export interface TreatmentOption {
  rule: string;
  clause: string;
  kind: RuleNode['kind'];
  /** "Liver transplantation 1", "TACE and radioembolization 3 (b)", or "Practice point: <title>" */
  label: string;
  chapter: string;
  grade: Grade | null;
  action: ActionType;
  role?: 'primary' | 'alternative';
  intervention: string;
  interventionLabel: string;
  text: string;
  citations: string[];
  /** Facts that would decide an undecided option. */
  missing?: string[];
}

/** A fact of interest for the Figure 8 population: its value, or the facts it needs. */
export interface ContextValue { value?: JsonValue; missing?: string[] }

export interface TreatmentOptionsView {
  derivedFrom: 'recommendations';
  notice: string;
  context: {
    muiccStage: ContextValue;
    childPughClass: ContextValue;
    portalHypertension: ContextValue;
    goodPerformanceStatus: ContextValue;
    /** true/false when known whether the patient is in Figure 8's population; missing otherwise. */
    inFigure8Population: ContextValue;
  };
  applies: TreatmentOption[];
  undecided: TreatmentOption[];
  /** Clauses that apply and advise against a treatment. */
  against: TreatmentOption[];
}

export interface TreatmentOptionsOptions { chapters?: readonly string[] }

export const GRADE_ORDER: Record<string, number> = { A1: 0, A2: 1, B1: 2, B2: 3, C1: 4, C2: 5, D1: 6, D2: 7 };

function rank(o: TreatmentOption): number {
  if (o.role === 'primary') return 0;
  return o.action === 'recommend' ? 1 : o.action === 'consider' ? 2 : 3;
}

function chapterOf(g: Guideline, r: RuleNode): string | undefined {
  const folder = g.origins[`node:${r.id}`]?.folder.split('/')[0];
  if (folder) return folder;
  if (r.kind === 'recommendation') return g.manifest.chapters.find((c) => c.topic === r.topic)?.id;
  return g.manifest.chapters.find((c) => c.topic !== undefined && c.topic === r.topic)?.id;
}

function contextValue(result: EvaluationResult, id: string): ContextValue {
  const v = result.values[id];
  if (!v) return { missing: [id] };
  return v.missing ? { missing: [...v.missing] } : { value: v.value };
}

/** Three-valued AND of the Figure 8 population conditions. */
function inPopulation(parts: { v: ContextValue; ok: (x: JsonValue | undefined) => boolean }[]): ContextValue {
  const missing: string[] = [];
  for (const { v, ok } of parts) {
    if (v.missing) missing.push(...v.missing);
    else if (!ok(v.value)) return { value: false };
  }
  return missing.length ? { missing: [...new Set(missing)].sort() } : { value: true };
}

export function treatmentOptions(g: Guideline, result: EvaluationResult, options: TreatmentOptionsOptions = {}): TreatmentOptionsView {
  const chapters = (Object.prototype.hasOwnProperty.call(options ?? {}, 'chapters') ? options.chapters : undefined) ?? TREATMENT_CHAPTERS;
  const chapterIndex = new Map(g.manifest.chapters.map((c, i) => [c.id, i]));
  const applies: TreatmentOption[] = [];
  const undecided: TreatmentOption[] = [];
  const against: TreatmentOption[] = [];
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  for (const r of rules) {
    const chapter = chapterOf(g, r);
    if (!chapter || !chapters.includes(chapter)) continue;
    const rr = result.rules[r.id];
    if (!rr) continue;
    r.clauses.forEach((c, i) => {
      const status: Status = rr.clauses[i]?.status;
      if (status !== 'applies' && status !== 'undecided') return;
      const o: TreatmentOption = {
        rule: r.id, clause: c.id, kind: r.kind, label: `${nodeLabel(r)}${r.clauses.length > 1 ? ` (${c.id})` : ''}`, chapter, grade: c.grade, action: c.action.type,
        intervention: c.action.intervention, interventionLabel: c.action.label, text: c.text,
        citations: r.citations.map(formatCitation),
      };
      if (c.action.role) o.role = c.action.role;
      if (status === 'undecided') o.missing = [...(rr.clauses[i].missing ?? [])];
      if (c.action.type === 'not-recommended') { if (status === 'applies') against.push(o); return; }
      (status === 'applies' ? applies : undecided).push(o);
    });
  }
  const order = (a: TreatmentOption, b: TreatmentOption) =>
    rank(a) - rank(b)
    || (a.grade ? GRADE_ORDER[a.grade] : 99) - (b.grade ? GRADE_ORDER[b.grade] : 99)
    || (chapterIndex.get(a.chapter) ?? 99) - (chapterIndex.get(b.chapter) ?? 99)
    || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)
    || (a.clause < b.clause ? -1 : a.clause > b.clause ? 1 : 0);
  applies.sort(order);
  undecided.sort(order);
  against.sort(order);
  const childPughClass = contextValue(result, 'child_pugh_class');
  const portalHypertension = contextValue(result, 'portal_hypertension');
  const goodPerformanceStatus = contextValue(result, 'good_performance_status');
  return {
    derivedFrom: 'recommendations',
    notice: TREATMENT_OPTIONS_NOTICE,
    context: {
      muiccStage: contextValue(result, 'muicc_stage'),
      childPughClass,
      portalHypertension,
      goodPerformanceStatus,
      inFigure8Population: inPopulation([
        { v: childPughClass, ok: (x) => x === 'A' },
        { v: portalHypertension, ok: (x) => x === false },
        { v: goodPerformanceStatus, ok: (x) => x === true },
      ]),
    },
    applies,
    undecided,
    against,
  };
}

function showContext(v: ContextValue): string {
  if (v.missing) return `unknown (needs ${v.missing.join(', ')})`;
  return typeof v.value === 'boolean' ? (v.value ? 'yes' : 'no') : String(v.value);
}

function roleWord(o: TreatmentOption): string {
  return o.role === 'primary' ? 'primary' : o.action === 'information' ? `evidence${o.role ? `, ${o.role}` : ''}` : `${o.action}${o.role ? `, ${o.role}` : ''}`;
}

/** Plain-text rendering of the view (the CLI's `options` command). */
export function formatTreatmentOptions(view: TreatmentOptionsView): string {
  const lines: string[] = [];
  lines.push('Treatment options (derived from the recommendations, not a copy of Figure 8)');
  lines.push(`  ${view.notice}`);
  const c = view.context;
  lines.push(`  mUICC stage: ${showContext(c.muiccStage)}; Child-Pugh class: ${showContext(c.childPughClass)}; portal hypertension: ${showContext(c.portalHypertension)}; ECOG 0-1: ${showContext(c.goodPerformanceStatus)}`);
  lines.push(`  In Figure 8's population (Child-Pugh A, no portal hypertension, ECOG 0-1): ${showContext(c.inFigure8Population)}`);
  lines.push('');
  const block = (title: string, list: TreatmentOption[], withMissing: boolean) => {
    lines.push(`${title} (${list.length})`);
    list.forEach((o, i) => {
      lines.push(`  ${i + 1}. ${o.interventionLabel} [${o.grade ?? 'ungraded'}] (${roleWord(o)}) ${o.label}`);
      lines.push(`     "${o.text}"`);
      if (withMissing && o.missing?.length) lines.push(`     needs ${o.missing.join(', ')}`);
      lines.push(`     source: ${o.citations.join(' | ')}`);
    });
    lines.push('');
  };
  block('Apply', view.applies, false);
  block('Cannot be decided yet', view.undecided, true);
  if (view.against.length) block('Advised against', view.against, false);
  return lines.join('\n');
}
