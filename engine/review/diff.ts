// The reviewer's diff between two versions of a guideline: what changed in the data, node by
// node (statement, grades, logic, thresholds, citations, interpretations, inputs), what changed in
// the outcomes of the regression cases (compare(), the same function as the editor's impact
// panel), and the version bump the change requires (version.ts). Pure: no fs, runs in the browser.
import { contentHash } from '../runtime/bundle.ts';
import { compare, type Comparison } from '../authoring/compare.ts';
import { describe, nodeLabel, vocabularyOf, type Vocabulary } from '../runtime/describe.ts';
import { formatCitation } from '../runtime/explain.ts';
import { escapeSegment, isLogicObject, sameJson } from '../runtime/logic.ts';
import type {
  Case, Citation, Clause, DefinitionNode, Grade, Guideline, GuidelineNode, InputDef, Interpretation, JsonValue, Logic,
  Manifest, RuleNode, TableNode,
} from '../runtime/types.ts';
import { assessBump, type BumpAssessment } from './version.ts';

export type EntityKind = 'manifest' | 'input' | GuidelineNode['kind'];

/**
 * What a change is about. statement: the verbatim text of a recommendation or clause; wording:
 * titles, descriptions, labels, hints; grade: a clause's GRADE; logic: a condition or expression
 * whose structure changed; threshold: a number inside a condition; action: what a clause
 * recommends; clause: a clause added or removed; citation; interpretation; input: the data
 * dictionary contract (type, unit, range, values); definition: a definition's type, unit, values or
 * public flag; table: the rows of a reference table; metadata: numbering, topic, file, manifest.
 */
export type ChangeCategory =
  | 'statement' | 'wording' | 'grade' | 'logic' | 'threshold' | 'action' | 'clause' | 'citation' | 'interpretation'
  | 'input' | 'definition' | 'table' | 'metadata';

export type Direction = 'up' | 'down' | 'mixed' | 'added' | 'removed' | 'widened' | 'narrowed' | 'changed';

export interface FieldChange {
  category: ChangeCategory;
  /** JSON pointer inside the node (before version when removed, after version otherwise). */
  pointer: string;
  /** clause id, for changes inside one clause */
  clause?: string;
  /** finer aspect: unit, minimum, values, type, kind, public, intervention... */
  aspect?: string;
  direction?: Direction;
  /** one line a reviewer reads */
  summary: string;
  before?: JsonValue;
  after?: JsonValue;
  /** readable before and after (conditions in words via describe()) */
  beforeText?: string;
  afterText?: string;
}

export interface EntityDiff {
  id: string;
  kind: EntityKind;
  status: 'added' | 'removed' | 'changed';
  /** "Hepatic resection 1", "Portal hypertension", "Albumin" */
  label: string;
  file?: string;
  changes: FieldChange[];
}

export interface CaseDiff { id: string; title: string; status: 'added' | 'removed' | 'changed' }

/** One side of the diff: guideline id, manifest version and content hash (as its bundle would have). */
export interface Side { id: string; version: string; hash: string }

export interface GuidelineDiff {
  base: Side;
  head: Side;
  /** manifest first, then inputs, then nodes; each sorted by id */
  entities: EntityDiff[];
  /** regression cases added, removed or edited (the corpus itself) */
  cases: CaseDiff[];
  /** the outcome diff over the union of both versions' cases */
  outcomes: Comparison;
  bump: BumpAssessment;
}

export interface DiffOptions {
  /** cases to compare outcomes on (default: the union of both versions' cases, head's copy winning) */
  cases?: Case[];
  /** a comparison computed already (the editor's impact panel has one) */
  outcomes?: Comparison;
}

/** The full review diff: node changes, outcome changes and the version verdict. */
export function diffGuidelines(base: Guideline & { hash?: string }, head: Guideline & { hash?: string }, options: DiffOptions = {}): GuidelineDiff {
  const entities = diffEntities(base, head);
  const outcomes = relevantOutcomes(options.outcomes ?? compare(base, head, options.cases), base, head);
  const cases = diffCases(base.cases, head.cases);
  // A bundle carries its hash; a source tree gets the hash its bundle would have.
  const side = (g: Guideline & { hash?: string }): Side => ({ id: g.manifest.id, version: g.manifest.version, hash: g.hash ?? contentHash(g) });
  const sides = { base: side(base), head: side(head) };
  const contentDiffers = entities.length > 0 || cases.length > 0 || sides.base.hash !== sides.head.hash;
  const bump = assessBump({ entities, outcomes, head, base, contentDiffers });
  return { ...sides, entities, cases, outcomes, bump };
}

/**
 * The comparison without what the node list already says: values of definitions that exist on
 * one side only, and moves between "absent" and does-not-apply/undecided of rules added or
 * removed. Moves to or from "applies" stay: they say which cases a new rule covers or a removed
 * rule no longer covers.
 */
export function relevantOutcomes(c: Comparison, base: Guideline, head: Guideline): Comparison {
  const inBase = new Set(base.nodes.map((n) => n.id));
  const inHead = new Set(head.nodes.map((n) => n.id));
  const oneSided = (id: string) => inBase.has(id) !== inHead.has(id);
  const changed = c.changed.map((x) => ({
    ...x,
    outcomes: x.outcomes.filter((o) => !((o.before === 'absent' || o.after === 'absent') && o.before !== 'applies' && o.after !== 'applies')),
    values: x.values.filter((v) => !oneSided(v.id)),
  })).filter((x) => x.error || x.outcomes.length || x.values.length || x.grades?.length);
  return { casesCompared: c.casesCompared, changed };
}

/** Changes in the data only (manifest, inputs, nodes), without evaluating anything. */
export function diffEntities(base: Guideline, head: Guideline): EntityDiff[] {
  const out: EntityDiff[] = [];
  const vb = vocabularyOf(base);
  const vh = vocabularyOf(head);
  const m = diffManifest(base.manifest, head.manifest);
  if (m.length) out.push({ id: head.manifest.id, kind: 'manifest', status: 'changed', label: 'Manifest', file: 'manifest.json', changes: m });

  const pair = <T extends { id: string }>(a: T[], b: T[]) => {
    const ids = [...new Set([...a.map((x) => x.id), ...b.map((x) => x.id)])].sort();
    const ma = new Map(a.map((x) => [x.id, x]));
    const mb = new Map(b.map((x) => [x.id, x]));
    return ids.map((id) => [id, ma.get(id), mb.get(id)] as const);
  };

  for (const [id, a, b] of pair(base.inputs, head.inputs)) {
    const file = head.origins[`input:${id}`]?.file ?? base.origins[`input:${id}`]?.file;
    if (!a) out.push({ id, kind: 'input', status: 'added', label: b!.title, file, changes: [{ category: 'input', pointer: '', direction: 'added', summary: `new input ${describeField(b!)}` }] });
    else if (!b) out.push({ id, kind: 'input', status: 'removed', label: a.title, file, changes: [{ category: 'input', pointer: '', direction: 'removed', summary: `input removed (was ${describeField(a)}); facts that give it are now rejected` }] });
    else {
      const changes = diffInput(a, b);
      const fa = base.origins[`input:${id}`]?.file;
      if (fa && file && fa !== file) changes.push({ category: 'metadata', pointer: '', aspect: 'file', summary: `moved from ${fa} to ${file}`, before: fa, after: file });
      if (changes.length) out.push({ id, kind: 'input', status: 'changed', label: b.title, file, changes });
    }
  }

  for (const [id, a, b] of pair(base.nodes, head.nodes)) {
    const file = head.origins[`node:${id}`]?.file ?? base.origins[`node:${id}`]?.file;
    if (!a) out.push({ id, kind: b!.kind, status: 'added', label: nodeLabel(b!), file, changes: wholeNode(b!, vh, 'added') });
    else if (!b) out.push({ id, kind: a.kind, status: 'removed', label: nodeLabel(a), file, changes: wholeNode(a, vb, 'removed') });
    else {
      const changes = diffNode(a, b, vb, vh);
      const fa = base.origins[`node:${id}`]?.file;
      if (fa && file && fa !== file) changes.push({ category: 'metadata', pointer: '', aspect: 'file', summary: `moved from ${fa} to ${file}`, before: fa, after: file });
      if (changes.length) out.push({ id, kind: b.kind, status: 'changed', label: nodeLabel(b), file, changes });
    }
  }
  return out;
}

export function diffCases(a: Case[], b: Case[]): CaseDiff[] {
  const ma = new Map(a.map((c) => [c.id, c]));
  const mb = new Map(b.map((c) => [c.id, c]));
  const out: CaseDiff[] = [];
  for (const id of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
    const x = ma.get(id);
    const y = mb.get(id);
    if (!x) out.push({ id, title: y!.title, status: 'added' });
    else if (!y) out.push({ id, title: x.title, status: 'removed' });
    else if (!sameJson(x as unknown as JsonValue, y as unknown as JsonValue)) out.push({ id, title: y.title, status: 'changed' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Grades

const EVIDENCE = ['D', 'C', 'B', 'A'];
const STRENGTH = ['2', '1'];

/** Direction of a grade change: evidence quality and strength compared separately. */
export function gradeDirection(before: Grade | null, after: Grade | null): Direction {
  if (before === null) return 'added';
  if (after === null) return 'removed';
  const de = Math.sign(EVIDENCE.indexOf(after[0]) - EVIDENCE.indexOf(before[0]));
  const ds = Math.sign(STRENGTH.indexOf(after[1]) - STRENGTH.indexOf(before[1]));
  if (de >= 0 && ds >= 0) return 'up';
  if (de <= 0 && ds <= 0) return 'down';
  return 'mixed';
}

// ---------------------------------------------------------------------------------------------
// Logic: align two expressions, report numbers that changed in place as thresholds, anything
// else as a change of logic with the condition in words before and after.

interface LogicDelta {
  numbers: { pointer: string; before: number; after: number; ctxBefore: Logic; ctxAfter: Logic }[];
  structural: string[];
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '===', '!=', '!==', 'in']);

function alignLogic(a: JsonValue, b: JsonValue, pointer: string, ctx: [Logic, Logic], out: LogicDelta): void {
  if (sameJson(a, b)) return;
  if (typeof a === 'number' && typeof b === 'number') {
    out.numbers.push({ pointer, before: a, after: b, ctxBefore: ctx[0], ctxAfter: ctx[1] });
    return;
  }
  if (isLogicObject(a) && isLogicObject(b)) {
    const opA = Object.keys(a)[0];
    const opB = Object.keys(b)[0];
    if (opA === opB) {
      const next: [Logic, Logic] = COMPARISONS.has(opA) || ctx[0] === undefined ? [a, b] : ctx;
      const A = a[opA];
      const B = b[opB];
      const p = `${pointer}/${escapeSegment(opA)}`;
      if (Array.isArray(A) && Array.isArray(B) && A.length === B.length) {
        A.forEach((x, i) => alignLogic(x, B[i], `${p}/${i}`, next, out));
        return;
      }
      if (!Array.isArray(A) && !Array.isArray(B)) {
        alignLogic(A, B, p, next, out);
        return;
      }
    }
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => alignLogic(x, b[i], `${pointer}/${i}`, ctx, out));
    return;
  }
  out.structural.push(pointer);
}

function diffLogic(a: Logic, b: Logic, pointer: string, vb: Vocabulary, vh: Vocabulary, clause?: string): FieldChange[] {
  if (sameJson(a, b)) return [];
  const delta: LogicDelta = { numbers: [], structural: [] };
  alignLogic(a, b, pointer, [undefined as unknown as Logic, undefined as unknown as Logic], delta);
  const changes: FieldChange[] = [];
  const c = clause !== undefined ? { clause } : {};
  for (const n of delta.numbers) {
    const before = n.ctxBefore === undefined ? String(n.before) : describe(n.ctxBefore, vb);
    const after = n.ctxAfter === undefined ? String(n.after) : describe(n.ctxAfter, vh);
    changes.push({
      category: 'threshold', pointer: n.pointer, ...c, direction: n.after > n.before ? 'up' : 'down',
      summary: `threshold ${n.before} → ${n.after}${clause !== undefined ? ` in clause ${clause}` : ''}: "${before}" becomes "${after}"`,
      before: n.before, after: n.after, beforeText: before, afterText: after,
    });
  }
  if (delta.structural.length) {
    const beforeText = describe(a, vb);
    const afterText = describe(b, vh);
    changes.push({
      category: 'logic', pointer, ...c, direction: 'changed',
      summary: `${clause !== undefined ? `condition of clause ${clause}` : 'expression'} changed at ${delta.structural.join(', ')}`,
      before: a, after: b, beforeText, afterText,
    });
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// Nodes

function wholeNode(n: GuidelineNode, v: Vocabulary, how: 'added' | 'removed'): FieldChange[] {
  const side = how === 'added' ? 'afterText' : 'beforeText';
  const out: FieldChange[] = [];
  if (n.kind === 'recommendation' || n.kind === 'practice-point') {
    out.push({ category: 'statement', pointer: '/statement', direction: how, summary: `${how === 'added' ? 'new' : 'removed'} ${n.kind === 'recommendation' ? 'recommendation' : 'practice point'}: ${n.statement}`, [side]: n.statement });
    n.clauses.forEach((c, i) => {
      out.push({
        category: 'clause', pointer: `/clauses/${i}`, clause: c.id, direction: how,
        summary: `clause ${c.id} (${c.grade ?? 'ungraded'}): ${c.action.type} ${c.action.label} when ${describe(c.when, v)}`,
        [side]: describe(c.when, v),
      });
    });
  } else if (n.kind === 'definition') {
    out.push({ category: 'logic', pointer: '/expr', direction: how, summary: `${how === 'added' ? 'new' : 'removed'} ${n.public ? 'public ' : ''}definition (${n.type}${n.unit ? `, ${n.unit}` : ''}): ${describe(n.expr, v)}`, [side]: describe(n.expr, v) });
  } else if (n.kind === 'invariant') {
    out.push({ category: 'logic', pointer: '/when', direction: how, summary: `${how === 'added' ? 'new' : 'removed'} invariant: ${n.title} (when ${describe(n.when, v)})`, [side]: describe(n.when, v) });
  } else {
    out.push({ category: 'table', pointer: '', direction: how, summary: `${how === 'added' ? 'new' : 'removed'} table: ${n.title} (${n.rows.length} rows)` });
  }
  return out;
}

function diffNode(a: GuidelineNode, b: GuidelineNode, vb: Vocabulary, vh: Vocabulary): FieldChange[] {
  const out: FieldChange[] = [];
  if (a.kind !== b.kind) {
    out.push({ category: 'metadata', pointer: '/kind', aspect: 'kind', summary: `kind changed from ${a.kind} to ${b.kind}`, before: a.kind, after: b.kind });
    return [...out, ...wholeNode(a, vb, 'removed'), ...wholeNode(b, vh, 'added')];
  }
  const handled = new Set(['kind', 'id', 'citations', 'interpretations']);
  const text = (key: string, category: ChangeCategory, label: string) => {
    handled.add(key);
    const x = (a as unknown as Record<string, JsonValue>)[key];
    const y = (b as unknown as Record<string, JsonValue>)[key];
    if (!sameJson(x ?? null, y ?? null)) {
      out.push({ category, pointer: `/${key}`, aspect: key, summary: `${label} changed`, before: x ?? null, after: y ?? null, beforeText: show(x), afterText: show(y) });
    }
  };
  text('title', 'wording', 'title');
  text('description', 'wording', 'description');
  if ((a.kind === 'recommendation' || a.kind === 'practice-point') && (b.kind === 'recommendation' || b.kind === 'practice-point')) {
    text('statement', 'statement', 'statement');
    for (const k of ['topic', 'subgroup', 'number', 'numberInText', 'inTable2', 'applicability', 'population']) text(k, 'metadata', k);
    handled.add('clauses');
    out.push(...diffClauses(a, b, vb, vh));
  } else if (a.kind === 'definition' && b.kind === 'definition') {
    handled.add('expr');
    out.push(...diffLogic(a.expr, b.expr, '/expr', vb, vh));
    out.push(...diffDefinitionContract(a, b));
    for (const k of ['type', 'unit', 'values', 'public']) handled.add(k);
  } else if (a.kind === 'invariant' && b.kind === 'invariant') {
    handled.add('when');
    out.push(...diffLogic(a.when, b.when, '/when', vb, vh));
  } else if (a.kind === 'table' && b.kind === 'table') {
    text('columns', 'table', 'columns');
    text('rows', 'table', 'rows');
    text('footnotes', 'table', 'footnotes');
    diffTableRows(a, b, out);
  }
  out.push(...diffCitations(a.citations, b.citations));
  out.push(...diffInterpretations(a.interpretations ?? [], b.interpretations ?? []));
  // Anything the schema adds later and this function does not know yet: reported, never lost.
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) if (!handled.has(k)) text(k, 'metadata', k);
  return out;
}

function diffTableRows(a: TableNode, b: TableNode, out: FieldChange[]): void {
  const i = out.findIndex((c) => c.aspect === 'rows');
  if (i < 0) return;
  out[i].summary = `rows changed (${a.rows.length} → ${b.rows.length})`;
  out[i].beforeText = undefined;
  out[i].afterText = undefined;
}

function diffClauses(a: RuleNode, b: RuleNode, vb: Vocabulary, vh: Vocabulary): FieldChange[] {
  const out: FieldChange[] = [];
  const ia = new Map(a.clauses.map((c, i) => [c.id, i]));
  const ib = new Map(b.clauses.map((c, i) => [c.id, i]));
  for (const [id, i] of ia) {
    if (!ib.has(id)) {
      const c = a.clauses[i];
      out.push({ category: 'clause', pointer: `/clauses/${i}`, clause: id, direction: 'removed', summary: `clause ${id} removed (${c.grade ?? 'ungraded'}: ${c.action.type} ${c.action.label})`, beforeText: describe(c.when, vb), before: c as unknown as JsonValue });
    }
  }
  for (const [id, j] of ib) {
    const y = b.clauses[j];
    const p = `/clauses/${j}`;
    if (!ia.has(id)) {
      out.push({ category: 'clause', pointer: p, clause: id, direction: 'added', summary: `clause ${id} added (${y.grade ?? 'ungraded'}: ${y.action.type} ${y.action.label})`, afterText: describe(y.when, vh), after: y as unknown as JsonValue });
      continue;
    }
    const x = a.clauses[ia.get(id)!];
    out.push(...diffClause(x, y, p, vb, vh));
  }
  const orderA = a.clauses.map((c) => c.id).filter((id) => ib.has(id));
  const orderB = b.clauses.map((c) => c.id).filter((id) => ia.has(id));
  if (!sameJson(orderA, orderB)) out.push({ category: 'metadata', pointer: '/clauses', aspect: 'order', summary: `clause order ${orderA.join(', ')} → ${orderB.join(', ')}`, before: orderA, after: orderB });
  return out;
}

function diffClause(x: Clause, y: Clause, p: string, vb: Vocabulary, vh: Vocabulary): FieldChange[] {
  const out: FieldChange[] = [];
  const id = y.id;
  if (x.text !== y.text) out.push({ category: 'statement', pointer: `${p}/text`, clause: id, summary: `text of clause ${id} changed`, before: x.text, after: y.text, beforeText: x.text, afterText: y.text });
  if (x.grade !== y.grade) {
    const direction = gradeDirection(x.grade, y.grade);
    out.push({ category: 'grade', pointer: `${p}/grade`, clause: id, direction, summary: `grade of clause ${id} ${direction === 'up' ? 'upgraded' : direction === 'down' ? 'downgraded' : 'changed'}: ${x.grade ?? 'ungraded'} → ${y.grade ?? 'ungraded'}`, before: x.grade, after: y.grade });
  }
  out.push(...diffLogic(x.when, y.when, `${p}/when`, vb, vh, id));
  for (const k of ['type', 'intervention', 'role', 'label'] as const) {
    const bx = x.action[k] ?? null;
    const by = y.action[k] ?? null;
    if (bx !== by) {
      out.push({ category: k === 'label' ? 'wording' : 'action', pointer: `${p}/action/${k}`, clause: id, aspect: k, summary: `action ${k} of clause ${id}: ${bx ?? '(none)'} → ${by ?? '(none)'}`, before: bx, after: by });
    }
  }
  // List-valued actions: an option added, removed or changed is a change of what the clause offers.
  const optionsText = (o: Clause['action']['options']) => (o ?? []).map((x) => `${x.intervention}${x.when !== undefined ? ` when ${JSON.stringify(x.when)}` : ''}`).join(', ') || '(none)';
  if (!sameJson((x.action.options ?? null) as JsonValue, (y.action.options ?? null) as JsonValue)) {
    out.push({ category: 'action', pointer: `${p}/action/options`, clause: id, aspect: 'options', summary: `options of clause ${id}: ${optionsText(x.action.options)} → ${optionsText(y.action.options)}`, before: (x.action.options ?? null) as JsonValue, after: (y.action.options ?? null) as JsonValue });
  }
  const extra = new Set([...Object.keys(x), ...Object.keys(y)].filter((k) => !['id', 'text', 'grade', 'when', 'action'].includes(k)));
  for (const k of extra) {
    const vx = (x as unknown as Record<string, JsonValue>)[k] ?? null;
    const vy = (y as unknown as Record<string, JsonValue>)[k] ?? null;
    if (!sameJson(vx, vy)) out.push({ category: 'metadata', pointer: `${p}/${k}`, clause: id, aspect: k, summary: `${k} of clause ${id} changed`, before: vx, after: vy });
  }
  return out;
}

function diffDefinitionContract(a: DefinitionNode, b: DefinitionNode): FieldChange[] {
  const out: FieldChange[] = [];
  if (a.type !== b.type) out.push({ category: 'definition', pointer: '/type', aspect: 'type', summary: `type ${a.type} → ${b.type}`, before: a.type, after: b.type });
  if ((a.unit ?? null) !== (b.unit ?? null)) out.push({ category: 'definition', pointer: '/unit', aspect: 'unit', summary: `unit ${a.unit ?? '(none)'} → ${b.unit ?? '(none)'}`, before: a.unit ?? null, after: b.unit ?? null });
  out.push(...diffEnumValues(a.values, b.values, 'definition'));
  if (!!a.public !== !!b.public) out.push({ category: 'definition', pointer: '/public', aspect: 'public', direction: b.public ? 'added' : 'removed', summary: b.public ? 'now a public result' : 'no longer a public result', before: !!a.public, after: !!b.public });
  return out;
}

function diffEnumValues(a: { value: string; label: string }[] | undefined, b: { value: string; label: string }[] | undefined, category: 'input' | 'definition'): FieldChange[] {
  const out: FieldChange[] = [];
  const ma = new Map((a ?? []).map((v) => [v.value, v.label]));
  const mb = new Map((b ?? []).map((v) => [v.value, v.label]));
  const removed = [...ma.keys()].filter((k) => !mb.has(k));
  const added = [...mb.keys()].filter((k) => !ma.has(k));
  if (removed.length) out.push({ category, pointer: '/values', aspect: 'values', direction: 'removed', summary: `allowed values removed: ${removed.join(', ')}`, before: removed });
  if (added.length) out.push({ category, pointer: '/values', aspect: 'values', direction: 'added', summary: `allowed values added: ${added.join(', ')}`, after: added });
  const relabelled = [...ma.keys()].filter((k) => mb.has(k) && ma.get(k) !== mb.get(k));
  if (relabelled.length) out.push({ category: 'wording', pointer: '/values', aspect: 'labels', summary: `value labels changed: ${relabelled.map((k) => `${k}: "${ma.get(k)}" → "${mb.get(k)}"`).join('; ')}` });
  return out;
}

function describeField(i: InputDef): string {
  const parts: string[] = [i.type];
  if (i.unit) parts.push(i.unit);
  if (i.minimum !== undefined || i.maximum !== undefined) parts.push(`range ${i.minimum ?? '−∞'}..${i.maximum ?? '∞'}`);
  if (i.values) parts.push(`values ${i.values.map((v) => v.value).join('|')}`);
  return `${i.title} (${parts.join(', ')})`;
}

function diffInput(a: InputDef, b: InputDef): FieldChange[] {
  const out: FieldChange[] = [];
  if (a.type !== b.type) out.push({ category: 'input', pointer: '/type', aspect: 'type', summary: `type ${a.type} → ${b.type}`, before: a.type, after: b.type });
  if ((a.unit ?? null) !== (b.unit ?? null)) out.push({ category: 'input', pointer: '/unit', aspect: 'unit', summary: `unit ${a.unit ?? '(none)'} → ${b.unit ?? '(none)'}: every sender must convert`, before: a.unit ?? null, after: b.unit ?? null });
  const bound = (key: 'minimum' | 'maximum') => {
    const x = a[key];
    const y = b[key];
    if (x === y) return;
    // A higher minimum or a lower maximum rejects values that were accepted: narrowed.
    const narrowed = key === 'minimum' ? (y !== undefined && (x === undefined || y > x)) : (y !== undefined && (x === undefined || y < x));
    out.push({ category: 'input', pointer: `/${key}`, aspect: key, direction: narrowed ? 'narrowed' : 'widened', summary: `${key} ${x ?? '(none)'} → ${y ?? '(none)'} (accepted range ${narrowed ? 'narrowed' : 'widened'})`, before: x ?? null, after: y ?? null });
  };
  bound('minimum');
  bound('maximum');
  if (!!a.integer !== !!b.integer) out.push({ category: 'input', pointer: '/integer', aspect: 'integer', direction: b.integer ? 'narrowed' : 'widened', summary: b.integer ? 'now integers only' : 'no longer integers only', before: !!a.integer, after: !!b.integer });
  out.push(...diffEnumValues(a.values, b.values, 'input'));
  if (!sameJson((a.items ?? null) as JsonValue, (b.items ?? null) as JsonValue)) out.push({ category: 'input', pointer: '/items', aspect: 'items', summary: 'fields of list items changed', before: (a.items ?? null) as JsonValue, after: (b.items ?? null) as JsonValue });
  for (const k of ['title', 'description', 'hint'] as const) {
    if ((a[k] ?? null) !== (b[k] ?? null)) out.push({ category: 'wording', pointer: `/${k}`, aspect: k, summary: `${k} changed`, before: a[k] ?? null, after: b[k] ?? null, beforeText: a[k], afterText: b[k] });
  }
  out.push(...diffCitations(a.citations ?? [], b.citations ?? []));
  out.push(...diffInterpretations(a.interpretations ?? [], b.interpretations ?? []));
  return out;
}

function diffManifest(a: Manifest, b: Manifest): FieldChange[] {
  const out: FieldChange[] = [];
  if (a.id !== b.id) out.push({ category: 'metadata', pointer: '/id', aspect: 'id', summary: `guideline id ${a.id} → ${b.id}`, before: a.id, after: b.id });
  for (const k of ['title', 'source', 'grading'] as const) {
    if (!sameJson(a[k] as unknown as JsonValue, b[k] as unknown as JsonValue)) out.push({ category: 'wording', pointer: `/${k}`, aspect: k, summary: `${k} changed`, before: a[k] as unknown as JsonValue, after: b[k] as unknown as JsonValue });
  }
  if (!sameJson(a.chapters as unknown as JsonValue, b.chapters as unknown as JsonValue)) {
    const ia = a.chapters.map((c) => c.id);
    const ib = b.chapters.map((c) => c.id);
    const added = ib.filter((x) => !ia.includes(x));
    const removed = ia.filter((x) => !ib.includes(x));
    const parts = [added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean);
    out.push({ category: 'metadata', pointer: '/chapters', aspect: 'chapters', summary: `chapters changed${parts.length ? ` (${parts.join('; ')})` : ''}` });
  }
  return out;
}

function diffCitations(a: Citation[], b: Citation[]): FieldChange[] {
  const fa = a.map((c) => citationText(c));
  const fb = b.map((c) => citationText(c));
  const out: FieldChange[] = [];
  for (const [i, t] of fa.entries()) if (!fb.includes(t)) out.push({ category: 'citation', pointer: `/citations/${i}`, direction: 'removed', summary: `citation removed: ${t}`, beforeText: t });
  for (const [i, t] of fb.entries()) if (!fa.includes(t)) out.push({ category: 'citation', pointer: `/citations/${i}`, direction: 'added', summary: `citation added: ${t}`, afterText: t });
  return out;
}

export function citationText(c: Citation): string {
  return `${formatCitation(c)}${c.quote ? ` — "${c.quote}"` : ''}`;
}

function diffInterpretations(a: Interpretation[], b: Interpretation[]): FieldChange[] {
  const key = (i: Interpretation) => JSON.stringify([i.about ?? '', i.category, i.text, i.reason]);
  const ka = a.map(key);
  const kb = b.map(key);
  const out: FieldChange[] = [];
  for (const [i, it] of a.entries()) if (!kb.includes(ka[i])) out.push({ category: 'interpretation', pointer: `/interpretations/${i}`, direction: 'removed', summary: `interpretation removed [${it.category}]${it.about ? ` about ${it.about}` : ''}: ${it.text}`, beforeText: it.text });
  for (const [i, it] of b.entries()) if (!ka.includes(kb[i])) out.push({ category: 'interpretation', pointer: `/interpretations/${i}`, direction: 'added', summary: `interpretation added [${it.category}]${it.about ? ` about ${it.about}` : ''}: ${it.text}`, afterText: it.text });
  return out;
}

function show(v: JsonValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}
