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

/** The clauses (and options) of the applying rules that a target matches. */
function matches(g: Guideline, rules: RuleNode[], result: EvaluationResult, t: InvariantTarget): { clause: string; intervention: string }[] {
  const out: { clause: string; intervention: string }[] = [];
  for (const r of rules) {
    const rr = result.rules[r.id];
    if (!rr || rr.status !== 'applies') continue;
    if (t.chapter && chapterOf(g, r.id) !== t.chapter) continue;
    r.clauses.forEach((c, i) => {
      const cr = rr.clauses[i];
      if (!cr || cr.status !== 'applies' || !t.actions.includes(c.action.type)) return;
      const key = `${r.id}.${c.id}`;
      if (c.action.options?.length) {
        // A list-valued action applies option by option; the group code matches any applying option.
        c.action.options.forEach((o, j) => {
          if (cr.options?.[j]?.status !== 'applies') return;
          if (t.intervention === '*' || t.intervention === o.intervention || t.intervention === c.action.intervention) out.push({ clause: key, intervention: o.intervention });
        });
      } else if (t.intervention === '*' || t.intervention === c.action.intervention) out.push({ clause: key, intervention: c.action.intervention });
    });
  }
  return out;
}

/** Evaluate an invariant's `when` against a result's facts and definition values. */
export function invariantHolds(g: Guideline, inv: InvariantNode, result: EvaluationResult): boolean | undefined {
  const inputs = new Set(g.inputs.map((i) => i.id));
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
  const invariants = g.nodes.filter((n): n is InvariantNode => n.kind === 'invariant');
  if (!invariants.length) return [];
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const out: InvariantBreak[] = [];
  for (const inv of invariants) {
    if (invariantHolds(g, inv, result) !== true) continue;
    for (const t of inv.forbid) {
      for (const m of matches(g, rules, result, t)) {
        out.push({ invariant: inv.id, kind: 'forbid', clause: m.clause, intervention: m.intervention, message: `${inv.id} (${inv.title}): ${m.clause} ${t.actions.join('/')} ${m.intervention} applies, which it forbids` });
      }
    }
    for (const t of inv.require ?? []) {
      if (!matches(g, rules, result, t).length) out.push({ invariant: inv.id, kind: 'require', intervention: t.intervention, message: `${inv.id} (${inv.title}): no clause that ${t.actions.join('/')}s ${t.intervention}${t.chapter ? ` in ${t.chapter}` : ''} applies, which it requires` });
    }
  }
  return out;
}
