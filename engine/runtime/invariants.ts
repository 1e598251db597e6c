// Safety invariants as data: for every patient who satisfies an invariant's `when` (known true),
// no clause it forbids applies, and (with `require`) some clause it requires applies. Checked on
// every case by `guideline test` and on generated patients by test/invariants.test.ts.
import { evaluateLogic, truthiness, Unknown, type EvalContext, type Val } from './logic.ts';
import { EngineError } from './errors.ts';
import type { EvaluationResult } from './evaluate.ts';
import type { Guideline, InvariantNode, InvariantTarget, JsonValue, RuleNode } from './types.ts';

export interface InvariantBreak {
  invariant: string;
  /** forbid: a forbidden clause (or option) applies; require: no required clause applies */
  kind: 'forbid' | 'require';
  /** "rule.clause" of the forbidden clause that applies (forbid only) */
  clause?: string;
  /** the intervention matched (a clause's code or one of its options') */
  intervention?: string;
  message: string;
}

/** The chapter a rule belongs to: its folder under nodes/. */
export function chapterOf(g: Guideline, id: string): string | undefined {
  return g.origins[`node:${id}`]?.folder.split('/')[0];
}

interface Candidate { rule: string; index: number; clause: string; action: string; intervention: string; option?: number }
interface PreparedInvariants {
  invariants: InvariantNode[]; inputs: Set<string>;
  /** per clause (or option) that some target can match, keyed by clauseKey: those targets, with its place in each one's list */
  byClause: Map<string, { target: InvariantTarget; place: number; candidate: Candidate }[]>;
  /** the rules of those clauses */
  rules: string[];
}
const clauseKey = (rule: string, index: number, option: number | undefined) => `${rule}\u0000${index}\u0000${option ?? ''}`;
const cache = new WeakMap<Guideline, PreparedInvariants>();

/** Per guideline, once: the invariants and, per target, the clauses (and options) it can match. */
function prepare(g: Guideline): PreparedInvariants {
  let p = cache.get(g);
  if (p) return p;
  const invariants = g.nodes.filter((n): n is InvariantNode => n.kind === 'invariant');
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const targets = new Map<InvariantTarget, Candidate[]>();
  for (const inv of invariants) {
    for (const t of [...inv.forbid, ...(inv.require ?? [])]) {
      const list: Candidate[] = [];
      for (const r of rules) {
        if (t.chapter && chapterOf(g, r.id) !== t.chapter) continue;
        r.clauses.forEach((c, index) => {
          if (!t.actions.includes(c.action.type)) return;
          const base = { rule: r.id, index, clause: `${r.id}.${c.id}`, action: c.action.type };
          if (c.action.options?.length) {
            // A list-valued action applies option by option; the group code matches every option.
            c.action.options.forEach((o, option) => {
              if (t.intervention === '*' || t.intervention === o.intervention || t.intervention === c.action.intervention) list.push({ ...base, intervention: o.intervention, option });
            });
          } else if (t.intervention === '*' || t.intervention === c.action.intervention) list.push({ ...base, intervention: c.action.intervention });
        });
      }
      targets.set(t, list);
    }
  }
  const byClause: PreparedInvariants['byClause'] = new Map();
  for (const [target, list] of targets) {
    list.forEach((candidate, place) => {
      const key = clauseKey(candidate.rule, candidate.index, candidate.option);
      let at = byClause.get(key);
      if (!at) byClause.set(key, (at = []));
      at.push({ target, place, candidate });
    });
  }
  const ruleIds = [...new Set([...targets.values()].flat().map((c) => c.rule))];
  p = { invariants, inputs: new Set(g.inputs.map((i) => i.id)), byClause, rules: ruleIds };
  cache.set(g, p);
  return p;
}

/**
 * Per target, the clauses (and options) it can match that apply to the patient, in the target's
 * order. Found from the clauses that apply (a few per patient), not by testing every candidate of
 * every target (thousands).
 */
function matchesOf(p: PreparedInvariants, result: EvaluationResult): Map<InvariantTarget, Candidate[]> {
  const found = new Map<InvariantTarget, { place: number; candidate: Candidate }[]>();
  const add = (key: string) => {
    for (const m of p.byClause.get(key) ?? []) {
      let at = found.get(m.target);
      if (!at) found.set(m.target, (at = []));
      at.push(m);
    }
  };
  for (const rule of p.rules) {
    const clauses = result.rules[rule]?.clauses ?? [];
    for (let index = 0; index < clauses.length; index++) {
      const cr = clauses[index];
      if (cr.status === 'applies') add(clauseKey(rule, index, undefined));
      cr.options?.forEach((o, option) => { if (o.status === 'applies') add(clauseKey(rule, index, option)); });
    }
  }
  const out = new Map<InvariantTarget, Candidate[]>();
  for (const [t, list] of found) out.set(t, list.sort((a, b) => a.place - b.place).map((m) => m.candidate));
  return out;
}

/** Evaluate an invariant's `when` against a result's facts and definition values. */
export function invariantHolds(g: Guideline, inv: InvariantNode, result: EvaluationResult): boolean | undefined {
  const { inputs } = prepare(g);
  const resolveRoot = (name: string): Val => {
    if (inputs.has(name)) return Object.prototype.hasOwnProperty.call(result.facts, name) ? (result.facts as Record<string, JsonValue>)[name] : unknownOf(name);
    const v = result.values[name];
    if (!v) throw new EngineError('unknown-reference', `invariant ${inv.id} reads "${name}", neither an input nor a definition.`, { node: inv.id, pointer: '/when' });
    return v.missing ? unknownOf(v.missing, v.possible) : v.value!;
  };
  const ctx: EvalContext = { mode: 'unknown', node: inv.id, resolveRoot, data: null };
  return truthiness(evaluateLogic(inv.when, ctx, '/when'));
}

function unknownOf(missing: string | readonly string[], possible?: readonly JsonValue[]): Val {
  return new Unknown(typeof missing === 'string' ? [missing] : missing, possible);
}

/** Every invariant the patient of `result` breaks. */
export function checkInvariants(g: Guideline, result: EvaluationResult): InvariantBreak[] {
  const p = prepare(g);
  const { invariants } = p;
  if (!invariants.length) return [];
  const out: InvariantBreak[] = [];
  const matched = matchesOf(p, result);
  const matches = (t: InvariantTarget) => matched.get(t) ?? [];
  for (const inv of invariants) {
    // The clauses first: an invariant none of whose targets is met or missed cannot break, so its
    // `when` (run by the interpreter) is evaluated only for the few patients where it matters.
    const forbidden = inv.forbid.flatMap(matches);
    const unmet = (inv.require ?? []).filter((t) => !matches(t).length);
    if (!forbidden.length && !unmet.length) continue;
    if (invariantHolds(g, inv, result) !== true) continue;
    for (const m of forbidden) {
      out.push({ invariant: inv.id, kind: 'forbid', clause: m.clause, intervention: m.intervention, message: `${inv.id} (${inv.title}): clause ${m.clause} (${m.action} ${m.intervention}) applies, which it forbids` });
    }
    for (const t of unmet) {
      out.push({ invariant: inv.id, kind: 'require', intervention: t.intervention, message: `${inv.id} (${inv.title}): no clause that ${t.actions.join('/')}s ${t.intervention}${t.chapter ? ` in ${t.chapter}` : ''} applies, which it requires` });
    }
  }
  return out;
}
