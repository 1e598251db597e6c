// Stale text: prose that names a threshold or a grade the logic no longer has. A description,
// a citation quote, a statement or a clause's text that says "above 3.5 g/dL" while the logic now
// compares with 3.4, or a statement that ends "(A1)" while its clause is graded B1.
//
// Numbers: only a number the text uses as a threshold counts (after a comparison sign or word,
// "above", "≥", "at least"..., or written with the unit of a fact the node reads, "3.5 g/dL",
// or as a bound of a range "2.8–3.5 g/dL"). It is stale when it is none of the numeric constants
// of the node's own logic nor of the definitions that logic reads (directly or through others),
// so a recommendation may name the Milan criteria's "5 cm" that its definition holds.
// Grades: every grade a statement prints in parentheses must be a grade of one of its clauses;
// one a clause's text prints must be that clause's grade (an ungraded clause prints none).
import { expressionsOf } from '../runtime/graph.ts';
import { isLogicObject } from '../runtime/logic.ts';
import type { DefinitionNode, Finding, Guideline, GuidelineNode, InputDef, JsonValue, Logic, RuleNode } from '../runtime/types.ts';

const COMPARED_BEFORE = /(?:[<>≤≥]=?|≦|≧|⩽|⩾|\b(?:above|below|over|under|exceeding|exceeds?|at least|at most|more than|less than|greater than|fewer than|higher than|lower than|up to|not more than|no more than)\s*)$/i;
const COMPARED_AFTER = /^\s*(?:or (?:more|less|higher|lower|greater|above|below|over|under)|and (?:above|below|over|under))\b/i;
const NUMBER = /(?<![\w.,])(\d+(?:\.\d+)?)(?![\d,])/g;
const RANGE_REST = /^\s*(?:[–—-]|to)\s*\d+(?:\.\d+)?/;
const GRADE_IN_PARENS = /\(([^()]*)\)/g;
const GRADE = /\b([A-D][12])\b/g;

const SCOPED = new Set(['some', 'all', 'none', 'map', 'filter', 'reduce']);
/** Root names an expression reads (not list items inside some/all/none/map/filter/reduce). */
function namesOf(l: JsonValue, out: Set<string>): Set<string> {
  if (Array.isArray(l)) { for (const x of l) namesOf(x, out); return out; }
  if (!isLogicObject(l)) return out;
  const op = Object.keys(l)[0];
  const raw = l[op] as JsonValue;
  if (op === 'var') {
    const p = Array.isArray(raw) ? raw[0] : raw;
    if (typeof p === 'string') out.add(p.split('.')[0]); else namesOf(raw, out);
    return out;
  }
  if (SCOPED.has(op) && Array.isArray(raw)) { namesOf(raw[0], out); if (raw.length > 2) namesOf(raw[2], out); return out; }
  return namesOf(raw, out);
}

/** Numeric constants of an expression (operands, not variable names or their defaults). */
function constants(l: JsonValue, out: Set<number>): void {
  if (typeof l === 'number') { out.add(l); return; }
  if (Array.isArray(l)) { for (const x of l) constants(x, out); return; }
  if (!isLogicObject(l)) return;
  const op = Object.keys(l)[0];
  if (op === 'var') return;
  constants(l[op] as JsonValue, out);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Mention { value: number; text: string }
const UNIT_RES = new Map<string, RegExp>();

/**
 * The numbers a text uses as thresholds of the facts named by their units: a number written with
 * one of `units` right after it ("3.5 g/dL"), or a range's bound before it ("2.8–3.5 g/dL"), and
 * compared ("above", ">", "at least", "or more") or part of such a range. Other numbers (doses,
 * intervals, table numbers, a count of months in an action) are not read.
 */
export function thresholdMentions(text: string, units: Iterable<string>): Mention[] {
  const list = [...units].filter(Boolean).sort((a, b) => b.length - a.length);
  if (!list.length) return [];
  const key = list.join('\u0000');
  let unitRe = UNIT_RES.get(key);
  if (!unitRe) { unitRe = new RegExp(`^\\s*(?:${list.map(escapeRe).join('|')})(?![A-Za-z])`, 'i'); UNIT_RES.set(key, unitRe); }
  const out: Mention[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const start = m.index!;
    const end = start + m[0].length;
    const before = text.slice(Math.max(0, start - 20), start);
    let after = text.slice(end, end + 40);
    let range = false;
    const rest = RANGE_REST.exec(after);
    if (rest) { after = after.slice(rest[0].length); range = true; }
    const unit = unitRe.exec(after);
    // "2.8–3.5 g/dL": the upper bound is the number just before the unit, reached from the lower.
    const inRange = range || /\d\s*(?:[–—-]|to)\s*$/.test(before);
    if (!unit) continue;
    if (!(COMPARED_BEFORE.test(before) || COMPARED_AFTER.test(after.slice(unit[0].length)) || inRange)) continue;
    out.push({ value: Number(m[1]), text: text.slice(Math.max(0, start - 12), end + 10).trim() });
  }
  return out;
}

/** Whether a stated number matches one of the logic's constants (also as a percentage or a fraction). */
function hasValue(values: Set<number>, v: number): boolean {
  for (const c of values) {
    if (Math.abs(c - v) < 1e-9 || Math.abs(c * 100 - v) < 1e-6) return true;
  }
  return false;
}

export function checkStale(g: Guideline, add: (f: Finding) => void): void {
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const fileOf = (id: string) => g.origins[`node:${id}`]?.file;

  // Constants and units a definition reaches (its own expression and the definitions it reads),
  // computed once per definition; a cycle (reported by the checker) contributes nothing more.
  const memo = new Map<string, { values: Set<number>; units: Set<string> }>();
  const direct = (l: Logic, values: Set<number>, units: Set<string>) => {
    constants(l, values);
    for (const name of namesOf(l, new Set())) {
      const input: InputDef | undefined = inputs.get(name);
      if (input) {
        if (input.unit) units.add(input.unit);
        for (const f of Object.values(input.items?.fields ?? {})) if (f.unit) units.add(f.unit);
        continue;
      }
      const c = closure(name);
      for (const v of c.values) values.add(v);
      for (const u of c.units) units.add(u);
    }
  };
  const closure = (name: string): { values: Set<number>; units: Set<string> } => {
    const hit = memo.get(name);
    if (hit) return hit;
    const out = { values: new Set<number>(), units: new Set<string>() };
    memo.set(name, out); // in progress: a cycle reads the partial set
    const d = defs.get(name);
    if (d) { if (d.unit && d.unit !== 'points') out.units.add(d.unit); direct(d.expr, out.values, out.units); }
    return out;
  };
  const reachMemo = new WeakMap<Logic[], { values: Set<number>; units: Set<string> }>();
  const reach = (logics: Logic[]) => {
    const hit = reachMemo.get(logics);
    if (hit) return hit;
    const values = new Set<number>();
    const units = new Set<string>();
    for (const l of logics) direct(l, values, units);
    reachMemo.set(logics, { values, units });
    return { values, units };
  };
  // A definition's text may name the threshold its readers apply to it ("at least 3 weeks" of a
  // number of weeks): the constants of the expressions that read it count for it too (computed
  // only when its own logic lacks a number its text names).
  let readerMap: Map<string, Logic[]> | undefined;
  const readersOf = (id: string): Logic[] => {
    if (!readerMap) {
      readerMap = new Map();
      for (const n of g.nodes) {
        for (const e of expressionsOf(n)) {
          for (const name of namesOf(e.logic, new Set())) if (defs.has(name)) readerMap.set(name, [...(readerMap.get(name) ?? []), e.logic]);
        }
      }
    }
    return readerMap.get(id) ?? [];
  };

  const numbers = (node: GuidelineNode, pointer: string, text: string | undefined, logics: Logic[], what: string) => {
    if (!text || !logics.length || !/\d/.test(text)) return;
    let { values, units } = reach(logics);
    const mentions = thresholdMentions(text, units);
    if (!mentions.length) return;
    let stale = mentions.filter((m) => !hasValue(values, m.value));
    if (stale.length && node.kind === 'definition') {
      ({ values, units } = reach([...logics, ...readersOf(node.id)]));
      stale = stale.filter((m) => !hasValue(values, m.value));
    }
    if (!values.size || !stale.length) return;
    const list = [...new Set(stale.map((m) => String(m.value)))];
    const have = [...values].sort((a, b) => a - b).slice(0, 12).join(', ');
    add({
      code: 'stale-text', severity: 'warning', file: fileOf(node.id), pointer, node: node.id,
      message: `the ${what} mentions ${list.join(', ')} (“…${stale[0].text}…”), a number the logic no longer has (its thresholds: ${have}). Update the text to the logic, or the logic to the text.`,
    });
  };
  const grades = (text: string, parensOnly: boolean) => {
    const found = new Set<string>();
    if (parensOnly) { for (const p of text.matchAll(GRADE_IN_PARENS)) for (const m of p[1].matchAll(GRADE)) found.add(m[1]); }
    else for (const m of text.matchAll(GRADE)) found.add(m[1]);
    return [...found];
  };

  for (const node of g.nodes) {
    if (node.kind === 'table') continue;
    const all = expressionsOf(node).map((e) => e.logic);
    const isRule = node.kind === 'recommendation' || node.kind === 'practice-point';
    if (node.kind === 'definition' || node.kind === 'invariant') numbers(node, '/description', node.description, all, 'description');
    node.citations.forEach((c, i) => numbers(node, `/citations/${i}/quote`, c.quote, all, 'quoted source'));
    if (!isRule) continue;
    const rule = node as RuleNode;
    numbers(node, '/statement', rule.statement, all, 'statement');
    rule.clauses.forEach((c, i) => {
      const own = [c.when, ...(c.action.options ?? []).flatMap((o) => (o.when === undefined ? [] : [o.when]))];
      numbers(node, `/clauses/${i}/text`, c.text, own, `text of clause ${c.id}`);
    });
    // grades
    const clauseGrades = new Set(rule.clauses.map((c) => c.grade).filter((x): x is NonNullable<typeof x> => x !== null));
    const inStatement = grades(rule.statement, true).filter((x) => !clauseGrades.has(x as never));
    if (inStatement.length) {
      add({ code: 'stale-text', severity: 'warning', file: fileOf(node.id), pointer: '/statement', node: node.id, message: `the statement prints grade ${inStatement.join(', ')}, but its clauses are graded ${[...clauseGrades].join(', ') || 'nothing'}. Fix the grade or the statement.` });
    }
    rule.clauses.forEach((c, i) => {
      const printed = grades(c.text, true).filter((x) => x !== c.grade);
      if (printed.length) add({ code: 'stale-text', severity: 'warning', file: fileOf(node.id), pointer: `/clauses/${i}/text`, node: node.id, message: `clause ${c.id}'s text prints grade ${printed.join(', ')}, but the clause is graded ${c.grade ?? 'nothing (ungraded)'}. Fix the grade or the text.` });
    });
  }
}
