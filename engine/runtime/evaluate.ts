// Evaluate a whole guideline for one patient: every definition's value, every recommendation
// and clause as applies / does-not-apply / undecided (with the facts that would decide it),
// and, on request, the trace.
import { EngineError } from './errors.ts';
import { ENGINE_VERSION } from './generated.ts';
import { validateFacts, type Facts } from './facts.ts';
import { definitionOrder } from './graph.ts';
import { ABSENT, evaluateLogic, isUnknown, own, sortedMissing, truthiness, Unknown, unknownFact, type EvalContext, type TraceEvent, type Val } from './logic.ts';
import type { DefinitionNode, Grade, Guideline, InputDef, JsonValue, RuleNode, Status } from './types.ts';

export interface EvaluateOptions {
  /** Record a trace of every fact read and sub-expression value (default false). */
  trace?: boolean;
  /** Facts were validated already (the caller ran validateFacts). */
  trustedFacts?: boolean;
}

/**
 * A value that is known has `value`; one that is not has `missing` (the facts it needs) and,
 * when it can only be one of a few values, `possible`.
 */
export interface ValueResult { value?: JsonValue; missing?: string[]; possible?: JsonValue[] }

/** One option of a list-valued action: the clause's condition and the option's own `when` together. */
export interface OptionResult { intervention: string; status: Status; missing?: string[] }

export interface ClauseResult { id: string; grade: Grade | null; status: Status; missing?: string[]; options?: OptionResult[] }

export interface RuleResult {
  kind: RuleNode['kind'];
  status: Status;
  missing?: string[];
  /** the population definition the rule was gated on (its own, or its chapter's) */
  population?: string;
  clauses: ClauseResult[];
}

/** The format of EvaluationResult (schema/result.schema.json); a new major changes this value. */
export const RESULT_FORMAT = 'guideline-result/1';

export interface EvaluationResult {
  /** The engine that computed the result and the result format (schema/result.schema.json). */
  engine: { version: string; resultFormat: typeof RESULT_FORMAT };
  guideline: { id: string; version: string; hash?: string };
  /** facts as used, after validation */
  facts: Facts;
  values: Record<string, ValueResult>;
  rules: Record<string, RuleResult>;
  trace?: TraceEvent[];
}

interface Prepared {
  inputs: Map<string, InputDef>;
  order: ReturnType<typeof definitionOrder>;
  /** definition ids, sorted: the key order of `values` */
  valueIds: string[];
  /** rules sorted by id: the key order of `rules` */
  rules: RuleNode[];
  /** the population definition of each rule (its own, else its chapter's), where it has one */
  populations: Map<string, string>;
}

const preparedCache = new WeakMap<Guideline, Prepared>();

function prepare(g: Guideline): Prepared {
  let p = preparedCache.get(g);
  if (!p) {
    const order = definitionOrder(g);
    const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const populations = new Map<string, string>();
    for (const r of rules) {
      const pop = populationOf(g, r);
      if (pop) populations.set(r.id, pop);
    }
    p = {
      inputs: new Map(g.inputs.map((i) => [i.id, i])),
      order,
      valueIds: order.map((d) => d.id).sort(),
      rules,
      populations,
    };
    preparedCache.set(g, p);
  }
  return p;
}

/**
 * Variable lookup for one evaluation: facts by input id, definitions from `values` (the values
 * computed so far). The read is recorded in the trace when there is one.
 */
function resolverFor(p: Prepared, facts: Facts, values: Map<string, Val>) {
  return (name: string, ctx: EvalContext, pointer: string): Val | typeof ABSENT => {
    let value: Val;
    let source: 'fact' | 'definition';
    if (p.inputs.has(name)) {
      source = 'fact';
      value = Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : unknownFact(name, p.inputs.get(name));
    } else if (values.has(name)) {
      source = 'definition';
      value = values.get(name)!;
    } else {
      throw new EngineError('unknown-reference', `"${name}" is neither an input nor a definition. Run the checker: it names the closest match.`, { node: ctx.node, pointer });
    }
    if (ctx.trace && pointer) {
      const ev: TraceEvent = { type: 'read', node: ctx.node, pointer, name, source };
      if (isUnknown(value)) ev.missing = [...value.missing]; else ev.value = value;
      ctx.trace.push(ev);
    }
    return value;
  };
}

/** The population a rule is gated on: its own `population`, else its chapter's (by its folder). */
export function populationOf(g: Guideline, rule: RuleNode): string | undefined {
  const ownPopulation = own(rule, 'population');
  if (ownPopulation) return ownPopulation;
  const folder = g.origins[`node:${rule.id}`]?.folder.split('/')[0];
  return g.manifest.chapters.find((c) => c.id === folder)?.population;
}

/** Three-valued and of two statuses (not-in-population is handled before). */
function and2(a: Status, am: readonly string[] | undefined, b: Status, bm: readonly string[] | undefined): { status: Status; missing?: string[] } {
  // `missing` is always an own member, so destructuring it never reads Object.prototype.
  if (a === 'does-not-apply' || b === 'does-not-apply') return { status: 'does-not-apply', missing: undefined };
  if (a === 'applies' && b === 'applies') return { status: 'applies', missing: undefined };
  return { status: 'undecided', missing: sortedMissing([...(am ?? []), ...(bm ?? [])]) };
}

function evaluateRule(rule: RuleNode, ctx: EvalContext, population?: { id: string; value: Val }): RuleResult {
  const trace = ctx.trace;
  const pop = population ? statusOf(population.value) : 'applies';
  if (pop === 'does-not-apply') {
    // Outside its population: reported as such, its conditions are not evaluated.
    const clauses: ClauseResult[] = rule.clauses.map((c) => {
      const r: ClauseResult = { id: c.id, grade: c.grade, status: 'not-in-population' };
      if (c.action.options) r.options = c.action.options.map((o) => ({ intervention: o.intervention, status: 'not-in-population' as Status }));
      return r;
    });
    trace?.push({ type: 'rule', node: rule.id, pointer: '', status: 'not-in-population' });
    return { kind: rule.kind, status: 'not-in-population', population: population!.id, clauses };
  }
  const popMissing = pop === 'undecided' ? [...(population!.value as Unknown).missing] : undefined;
  const clauses: ClauseResult[] = rule.clauses.map((c, i) => {
    const v = evaluateLogic(c.when, ctx, `/clauses/${i}/when`);
    const whenStatus = statusOf(v);
    const whenMissing = whenStatus === 'undecided' ? [...(v as Unknown).missing] : undefined;
    const { status, missing } = and2(pop, popMissing, whenStatus, whenMissing);
    const result: ClauseResult = { id: c.id, grade: c.grade, status };
    if (missing) result.missing = missing;
    const options = own(c.action, 'options');
    if (options) {
      result.options = options.map((o, j) => {
        const when = own(o, 'when');
        if (when === undefined) return { intervention: o.intervention, status, ...(missing ? { missing } : {}) };
        const ov = evaluateLogic(when, ctx, `/clauses/${i}/action/options/${j}/when`);
        const os = statusOf(ov);
        const r = and2(status, missing, os, os === 'undecided' ? [...(ov as Unknown).missing] : undefined);
        return { intervention: o.intervention, status: r.status, ...(r.missing ? { missing: r.missing } : {}) };
      });
    }
    trace?.push({ type: 'clause', node: rule.id, pointer: `/clauses/${i}`, clause: c.id, grade: c.grade, status: result.status, ...(own(result, 'missing') ? { missing: result.missing } : {}) });
    return result;
  });
  const status = combine(clauses.map((c) => c.status));
  const result: RuleResult = { kind: rule.kind, status, ...(population ? { population: population.id } : {}), clauses };
  if (status === 'undecided') result.missing = sortedMissing(clauses.flatMap((c) => own(c, 'missing') ?? []));
  trace?.push({ type: 'rule', node: rule.id, pointer: '', status, ...(own(result, 'missing') ? { missing: result.missing } : {}) });
  return result;
}

export function evaluate(g: Guideline & { hash?: string }, rawFacts: unknown, options: EvaluateOptions = {}): EvaluationResult {
  const p = prepare(g);
  // Options are read as own properties only: nothing planted on Object.prototype switches anything.
  const facts = own(options, 'trustedFacts') === true ? (rawFacts as Facts) : validateFacts(g.inputs, rawFacts);
  const trace: TraceEvent[] | undefined = own(options, 'trace') === true ? [] : undefined;
  const hash = own(g, 'hash');
  const computed = new Map<string, Val>();
  const resolveRoot = resolverFor(p, facts, computed);
  const ctxFor = (node: string): EvalContext => ({ mode: 'unknown', node, resolveRoot, data: null, trace });

  const values: Record<string, ValueResult> = {};
  for (const def of p.order) {
    const v = evaluateLogic(def.expr, ctxFor(def.id), '/expr');
    computed.set(def.id, v);
    trace?.push(withValue({ type: 'definition', node: def.id, pointer: '/expr' }, v));
  }
  for (const id of p.valueIds) values[id] = toValueResult(computed.get(id)!);

  const rules: Record<string, RuleResult> = {};
  for (const rule of p.rules) rules[rule.id] = evaluateRule(rule, ctxFor(rule.id), populationValue(p, rule, computed));
  const out: EvaluationResult = {
    engine: { version: ENGINE_VERSION, resultFormat: RESULT_FORMAT },
    guideline: { id: g.manifest.id, version: g.manifest.version, ...(typeof hash === 'string' && hash ? { hash } : {}) },
    facts,
    values,
    rules,
  };
  if (trace) out.trace = trace;
  return out;
}

/**
 * Re-evaluate a few nodes of `g` for one patient, reading every other definition's value from an
 * earlier result: how a changed definition or rule is checked against many cases without
 * evaluating the whole guideline again. `nodes` must be in dependency order; each definition's new
 * value is used by the nodes after it. Facts must be validated already.
 */
export function reevaluate(g: Guideline, facts: Facts, earlier: EvaluationResult, nodes: readonly (DefinitionNode | RuleNode)[]): { values: Record<string, ValueResult>; rules: Record<string, RuleResult> } {
  const p = prepare(g);
  const env = new Map<string, Val>();
  for (const [id, v] of Object.entries(earlier.values)) env.set(id, fromValueResult(v));
  const resolveRoot = resolverFor(p, facts, env);
  const values: Record<string, ValueResult> = {};
  const rules: Record<string, RuleResult> = {};
  for (const node of nodes) {
    const ctx: EvalContext = { mode: 'unknown', node: node.id, resolveRoot, data: null };
    if (node.kind === 'definition') {
      const v = evaluateLogic(node.expr, ctx, '/expr');
      env.set(node.id, v);
      values[node.id] = toValueResult(v);
    } else rules[node.id] = evaluateRule(node, ctx, populationValue(p, node, env));
  }
  return { values, rules };
}

function populationValue(p: Prepared, rule: RuleNode, values: Map<string, Val>): { id: string; value: Val } | undefined {
  const id = own(rule, 'population') ?? p.populations.get(rule.id);
  if (!id) return undefined;
  if (!values.has(id)) throw new EngineError('unknown-reference', `population "${id}" of ${rule.id} is not a definition. Run the checker.`, { node: rule.id, pointer: '/population' });
  return { id, value: values.get(id)! };
}

/** The interpreter's own value behind each ValueResult (an Unknown's table is not serialised). */
const valueBehind = new WeakMap<ValueResult, Val>();

function fromValueResult(v: ValueResult): Val {
  const behind = valueBehind.get(v);
  if (behind !== undefined) return behind;
  const missing = own(v, 'missing');
  return missing ? new Unknown(missing, own(v, 'possible')) : v.value!;
}

function withValue(ev: TraceEvent, v: Val): TraceEvent {
  if (isUnknown(v)) {
    ev.missing = [...v.missing];
    if (v.possible) ev.possible = [...v.possible];
  } else ev.value = v;
  return ev;
}

function toValueResult(v: Val): ValueResult {
  if (!isUnknown(v)) return { value: v };
  const r: ValueResult = v.possible ? { missing: [...v.missing], possible: [...v.possible] } : { missing: [...v.missing] };
  valueBehind.set(r, v);
  return r;
}

function statusOf(v: Val): Status {
  const t = truthiness(v);
  if (t === undefined) return 'undecided';
  return t ? 'applies' : 'does-not-apply';
}

/** A recommendation applies when any clause applies, does not apply when none can. */
function combine(statuses: Status[]): Status {
  if (statuses.includes('applies')) return 'applies';
  if (statuses.every((s) => s === 'does-not-apply')) return 'does-not-apply';
  return 'undecided';
}
