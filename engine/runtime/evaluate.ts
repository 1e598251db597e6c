// Evaluate a whole guideline for one patient: every definition's value, every recommendation
// and clause as applies / does-not-apply / undecided (with the facts that would decide it),
// and, on request, the trace.
import { EngineError } from './errors.ts';
import { ENGINE_VERSION } from './generated.ts';
import { validateFacts, type Facts } from './facts.ts';
import { definitionOrder, expressionRoots, rootNames } from './graph.ts';
import { compileExpression, compilerAvailable, FALLBACK, staticReads, type CompiledExpression, type SlotRef } from './compile.ts';
import { ABSENT, evaluateLogic, isUnknown, mergeMissing, own, sameJson, sortedMissing, splittable, splitResult, truthiness, truthy, Unknown, unknownId, unknownFact, type EvalContext, type TraceEvent, type Val } from './logic.ts';
import type { DefinitionNode, Grade, Guideline, GuidelineNode, InputDef, JsonValue, Logic, RuleNode, Status } from './types.ts';

export interface EvaluateOptions {
  /** Record a trace of every fact read and sub-expression value (default false). */
  trace?: boolean;
  /**
   * With `trace`: record the events of these nodes only (definitions and rules by id), e.g. the
   * nodes one explanation or one golden file shows. The events are the same as in a full trace,
   * filtered by node; the others cost no tracing.
   */
  traceNodes?: ReadonlySet<string>;
  /** Facts were validated already (the caller ran validateFacts). */
  trustedFacts?: boolean;
  /**
   * `compiled` (default): each node runs as JavaScript generated when the guideline is prepared:
   * a two-valued fast path while every fact it reads is known, a three-valued one otherwise (the
   * interpreter runs an expression only where the compiler does not cover it, and everywhere when
   * code cannot be generated, e.g. under a strict CSP). `interpreter`: the reference interpreter
   * only. Both give byte-identical results and traces.
   */
  engine?: 'compiled' | 'interpreter';
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
  /**
   * Each input's value when it is missing, made once: an Unknown is never changed, and one shared
   * object keeps its content key (taken by the case split's memo) from being built for every read.
   */
  missingFacts: Map<string, Unknown>;
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
      missingFacts: new Map(g.inputs.map((i) => [i.id, unknownFact(i.id, i)])),
    };
    preparedCache.set(g, p);
  }
  return p;
}

/**
 * Variable lookup for one evaluation: facts by input id, definitions from `values` (the values
 * computed so far). The read is recorded in the trace when there is one.
 */
function resolverFor(p: Prepared, facts: Facts, values: Pick<Map<string, Val>, 'has' | 'get'>) {
  return (name: string, ctx: EvalContext, pointer: string): Val | typeof ABSENT => {
    let value: Val;
    let source: 'fact' | 'definition';
    if (p.inputs.has(name)) {
      source = 'fact';
      value = factValue(p, facts, name);
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

/** An input's value for a patient: the fact, or the input's shared Unknown when it is missing. */
function factValue(p: Prepared, facts: Facts, name: string): Val {
  return Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : p.missingFacts.get(name)!;
}

/** A value as text for a memo key: an Unknown by its content number, -0 apart from 0, JSON otherwise. */
function keyText(v: Val): string {
  if (isUnknown(v)) return `#${unknownId(v)}`;
  return `=${typeof v === 'number' ? (Object.is(v, -0) ? '-0' : v) : typeof v === 'boolean' || v === null ? v : JSON.stringify(v)}`;
}

/** The population a rule is gated on: its own `population`, else its chapter's (by its folder). */
export function populationOf(g: Guideline, rule: RuleNode): string | undefined {
  const ownPopulation = own(rule, 'population');
  if (ownPopulation) return ownPopulation;
  const folder = g.origins[`node:${rule.id}`]?.folder.split('/')[0];
  return g.manifest.chapters.find((c) => c.id === folder)?.population;
}

/** What evaluating a node reads: its expressions' root names and, for a rule, its population. */
export function nodeReads(g: Guideline, node: GuidelineNode): string[] {
  const pop = node.kind === 'recommendation' || node.kind === 'practice-point' ? populationOf(g, node) : undefined;
  return [...rootNames(node), ...(pop ? [pop] : [])];
}

/** Three-valued and of two statuses (not-in-population is handled before). */
function and2(a: Status, am: readonly string[] | undefined, b: Status, bm: readonly string[] | undefined): { status: Status; missing?: string[] } {
  // `missing` is always an own member, so destructuring it never reads Object.prototype.
  if (a === 'does-not-apply' || b === 'does-not-apply') return { status: 'does-not-apply', missing: undefined };
  if (a === 'applies' && b === 'applies') return { status: 'applies', missing: undefined };
  return { status: 'undecided', missing: am && bm ? mergeMissing(sortedMissing(am), sortedMissing(bm)) : sortedMissing(am ?? bm ?? []) };
}

/**
 * For reevaluate(): a rule whose logic and population value are unchanged, evaluated again only
 * because definitions it reads moved. A clause whose condition reads none of them keeps its earlier
 * status (the population's is the same too), and an option of it whose condition reads none keeps
 * its earlier status: only the expressions that read a moved definition are evaluated.
 */
interface Reuse { before: RuleResult; moved: ReadonlySet<string> }

/** Per clause of a rule, the root names its condition reads and each option's condition reads. */
const clauseReadsCache = new WeakMap<RuleNode, { when: string[]; options: (string[] | undefined)[] }[]>();
function clauseReads(rule: RuleNode): { when: string[]; options: (string[] | undefined)[] }[] {
  let r = clauseReadsCache.get(rule);
  if (!r) {
    const roots = (l: Logic) => [...expressionRoots(l)];
    r = rule.clauses.map((c) => ({ when: roots(c.when), options: (own(c.action, 'options') ?? []).map((o) => { const w = own(o, 'when'); return w === undefined ? undefined : roots(w); }) }));
    clauseReadsCache.set(rule, r);
  }
  return r;
}
const readsAny = (names: readonly string[] | undefined, moved: ReadonlySet<string>) => !!names && names.some((n) => moved.has(n));

function evaluateRule(rule: RuleNode, ctx: EvalContext, population?: { id: string; value: Val }, reuse?: Reuse): RuleResult {
  const trace = ctx.trace;
  // Reuse needs the earlier result's clauses to be this rule's (the same ids, in order).
  if (reuse) {
    const sameClauses = reuse.before.clauses.length === rule.clauses.length && reuse.before.clauses.every((c, i) => c.id === rule.clauses[i].id);
    // Outside its population before and after (the population did not move): the same result.
    if (sameClauses && reuse.before.status === 'not-in-population') return reuse.before;
    if (!sameClauses || reuse.before.status === 'not-in-population') reuse = undefined;
  }
  const reads = reuse ? clauseReads(rule) : undefined;
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
    const old = reuse && !readsAny(reads![i].when, reuse.moved) ? reuse.before.clauses[i] : undefined;
    const options = own(c.action, 'options');
    if (old && !(options ?? []).some((_, j) => readsAny(reads![i].options[j], reuse!.moved))) return old;
    let status: Status;
    let missing: string[] | undefined;
    if (old) {
      status = old.status;
      missing = own(old, 'missing');
    } else {
      const v = evaluateLogic(c.when, ctx, `/clauses/${i}/when`);
      const whenStatus = statusOf(v);
      const whenMissing = whenStatus === 'undecided' ? [...(v as Unknown).missing] : undefined;
      ({ status, missing } = and2(pop, popMissing, whenStatus, whenMissing));
    }
    const result: ClauseResult = { id: c.id, grade: c.grade, status };
    if (missing) result.missing = missing;
    if (options) {
      result.options = options.map((o, j) => {
        if (old && !readsAny(reads![i].options[j], reuse!.moved)) return old.options![j];
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
  const only = own(options, 'traceNodes');
  /** the trace a node's events go to (none when it is not traced) */
  const traceOf = (node: string) => (trace && (!only || only.has(node)) ? trace : undefined);
  const hash = own(g, 'hash');
  if (own(options, 'engine') !== 'interpreter') {
    const c = compiledFor(g, p);
    if (c) return evaluateCompiled(g, c, facts, trace, hash, trace ? traceOf : undefined);
  }
  const computed = new Map<string, Val>();
  const resolveRoot = resolverFor(p, facts, computed);
  const ctxFor = (node: string): EvalContext => ({ mode: 'unknown', node, resolveRoot, data: null, trace: traceOf(node) });

  const values: Record<string, ValueResult> = {};
  for (const def of p.order) {
    const v = evaluateLogic(def.expr, ctxFor(def.id), '/expr');
    computed.set(def.id, v);
    traceOf(def.id)?.push(withValue({ type: 'definition', node: def.id, pointer: '/expr' }, v));
  }
  for (const id of p.valueIds) values[id] = toValueResult(computed.get(id)!);

  const rules: Record<string, RuleResult> = {};
  for (const rule of p.rules) rules[rule.id] = evaluateRule(rule, ctxFor(rule.id), populationValue(p, rule, computed));
  return resultOf(g, hash, facts, values, rules, trace);
}

/** Pruning for reevaluate(): the nodes that changed, and what each node reads. */
export interface ReevaluateOptions {
  /**
   * The nodes that changed: always re-evaluated. When given, any other node of `nodes` is
   * re-evaluated only when a definition it reads (per `reads`) took a new value for this patient;
   * otherwise its earlier result stands and it is left out of the answer.
   */
  changed?: ReadonlySet<string>;
  /** each node's root names, its population included (required with `changed`) */
  reads?: ReadonlyMap<string, readonly string[]>;
  /**
   * Definition values by the values they read, shared by the calls for one guideline: compare()
   * re-evaluates the same definitions for thousands of cases, most of them seeing one of a few
   * combinations of values. Only for calls with this same `g`.
   */
  memo?: DefinitionMemo;
}

/** See ReevaluateOptions.memo: per definition, its values by a key of the values it reads. */
export type DefinitionMemo = Map<DefinitionNode, MemoEntry>;
interface MemoEntry { byKey: Map<string, Val>; hits: number; misses: number }
/** Longest memo key: a definition reading a long list is evaluated rather than keyed. */
const MAX_MEMO_KEY = 2000;
/** Lookups after which a definition that misses more often than it hits is no longer memoized. */
const MEMO_TRIAL = 64;

/**
 * Re-evaluate a few nodes of `g` for one patient, reading every other definition's value from an
 * earlier result: how a changed definition or rule is checked against many cases without
 * evaluating the whole guideline again. `nodes` must be in dependency order; each definition's new
 * value is used by the nodes after it. Facts must be validated already.
 */
export function reevaluate(g: Guideline, facts: Facts, earlier: EvaluationResult, nodes: readonly (DefinitionNode | RuleNode)[], options: ReevaluateOptions = {}): { values: Record<string, ValueResult>; rules: Record<string, RuleResult> } {
  const p = prepare(g);
  const env = new EarlierValues(earlier.values);
  const resolveRoot = resolverFor(p, facts, env);
  const values: Record<string, ValueResult> = {};
  const rules: Record<string, RuleResult> = {};
  const { changed, reads } = options;
  /** definitions whose value for this patient differs from the earlier one */
  const moved = new Set<string>();
  // With `changed`, a node is evaluated when it changed or reads a definition that moved: marked
  // as the definitions before it move, through the readers of each (built once per node list).
  const plan = changed ? planOf(nodes, reads) : undefined;
  const due = plan ? new Uint8Array(nodes.length) : undefined;
  if (plan) for (const id of changed!) { const i = plan.index.get(id); if (i !== undefined) due![i] = 1; }
  for (let i = 0; i < nodes.length; i++) {
    if (due && due[i] === 0) continue;
    const node = nodes[i];
    const ctx: EvalContext = { mode: 'unknown', node: node.id, resolveRoot, data: null };
    if (node.kind === 'definition') {
      const memo = options.memo && memoEntry(options.memo, node);
      const key = memo ? memoKey(node, p, facts, env) : undefined;
      let v = key !== undefined ? memo!.byKey.get(key) : undefined;
      if (v !== undefined) memo!.hits++;
      else {
        v = evaluateLogic(node.expr, ctx, '/expr');
        if (key !== undefined) { memo!.misses++; memo!.byKey.set(key, v); }
      }
      env.set(node.id, v);
      const r = toValueResult(v);
      values[node.id] = r;
      if (plan && movedFrom(v, earlier.values[node.id])) {
        moved.add(node.id);
        for (const r of plan.readers[i]) due![r] = 1;
      }
    } else {
      // Not changed itself, re-evaluated because a definition it reads moved: when its population
      // did not, only the clauses and options reading a moved definition are evaluated again.
      const before = changed && !changed.has(node.id) ? own(earlier.rules, node.id) : undefined;
      const population = populationValue(p, node, env);
      rules[node.id] = evaluateRule(node, ctx, population, before && !(population && moved.has(population.id)) ? { before, moved } : undefined);
    }
  }
  return { values, rules };
}

/** A definition's memo entry, unless it is not worth keeping (see memoKey) or it reads what a key cannot show. */
function memoEntry(memo: DefinitionMemo, d: DefinitionNode): MemoEntry | undefined {
  let entry = memo.get(d);
  if (!entry) memo.set(d, (entry = { byKey: new Map(), hits: 0, misses: 0 }));
  // a definition whose reads rarely repeat (a number fact) would cost a key per case for nothing
  if (entry.misses > MEMO_TRIAL && entry.hits < entry.misses) return undefined;
  return plainReads(d) ? entry : undefined;
}

/**
 * The memo key of a definition for one patient: the values it reads as resolverFor reads them (a
 * missing fact is its input's one shared Unknown, Prepared.missingFacts). Undefined when too long.
 */
function memoKey(d: DefinitionNode, p: Prepared, facts: Facts, env: Map<string, Val>): string | undefined {
  let key = '';
  for (const name of plainReads(d)!) {
    const v = p.inputs.has(name) ? factValue(p, facts, name) : env.get(name);
    key += v === undefined ? '?;' : `${keyText(v)};`;
    if (key.length > MAX_MEMO_KEY) return undefined;
  }
  return key;
}

/**
 * The root names a definition reads, sorted: what its value is a function of (staticReads, over
 * names rather than slots). Null when that cannot be read off the expression: a variable whose name
 * is computed, or `missing` and `missing_some`, which name the facts they test as strings.
 */
const plainReadsCache = new WeakMap<DefinitionNode, readonly string[] | null>();
function plainReads(d: DefinitionNode): readonly string[] | null {
  let r = plainReadsCache.get(d);
  if (r === undefined) {
    const names: string[] = [];
    const slots = staticReads(d.expr, (path) => {
      const root = path.split('.')[0];
      let slot = names.indexOf(root);
      if (slot < 0) slot = names.push(root) - 1;
      return { slot, source: 'fact' };
    });
    r = slots ? slots.map((i) => names[i]).sort() : null;
    plainReadsCache.set(d, r);
  }
  return r;
}

/** A node list's positions by id, and per node the later nodes that read it (per `reads`). */
interface Plan { reads: ReadonlyMap<string, readonly string[]> | undefined; index: Map<string, number>; readers: number[][] }
const plans = new WeakMap<readonly (DefinitionNode | RuleNode)[], Plan>();
function planOf(nodes: readonly (DefinitionNode | RuleNode)[], reads: ReadonlyMap<string, readonly string[]> | undefined): Plan {
  const known = plans.get(nodes);
  if (known && known.reads === reads) return known;
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const readers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => { for (const name of reads?.get(n.id) ?? []) { const j = index.get(name); if (j !== undefined && j < i) readers[j].push(i); } });
  const plan = { reads, index, readers };
  plans.set(nodes, plan);
  return plan;
}

/**
 * The definitions' values, new ones set as they are computed, the rest read from the earlier
 * result on first use (a re-evaluation reads a handful of the many values; converting them all
 * for every case was most of its cost).
 */
class EarlierValues extends Map<string, Val> {
  constructor(private readonly earlier: Record<string, ValueResult>) { super(); }
  override has(id: string): boolean { return super.has(id) || Object.prototype.hasOwnProperty.call(this.earlier, id); }
  override get(id: string): Val | undefined {
    if (super.has(id)) return super.get(id);
    if (!Object.prototype.hasOwnProperty.call(this.earlier, id)) return undefined;
    const v = fromValueResult(this.earlier[id]);
    super.set(id, v);
    return v;
  }
}

/**
 * Whether a definition's new value differs from its earlier result. Two Unknowns are compared by
 * their whole content, which a result leaves out in part (which completions of the missing facts
 * give which value): `ascites == "none"` and `ascites == "slight"` both read "undecided: ascites",
 * yet `d1 and ascites == "slight"` is false with the first and undecided with the second. An
 * earlier Unknown whose content is not at hand (a result read back from JSON) counts as moved.
 */
function movedFrom(v: Val, before: ValueResult | undefined): boolean {
  if (!before) return true;
  const wasUnknown = own(before, 'missing') !== undefined;
  if (!isUnknown(v)) return wasUnknown || !sameJson(v as JsonValue, before.value as JsonValue);
  const old = wasUnknown ? valueBehind.get(before) : undefined;
  return !old || !isUnknown(old) || unknownId(v) !== unknownId(old);
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

// --- the compiled evaluation ---------------------------------------------------------------------
// The same loop as above over precomputed arrays: facts and definitions in slots (`V` their
// values, `K` 1 where known, 2 where unknown, 0 not yet computed), each expression through its
// compiled fast path, then, when that meets a value that is not known (it returns FALLBACK), its
// three-valued path (an unknown result then goes through the interpreter's case split on the
// reads it logged), and through the interpreter when neither covers it (see compile.ts).

/**
 * An expression and its compiled functions: `fast` built with the guideline, the others on first
 * use (undefined: not built yet; null: not compiled, the interpreter runs it).
 */
interface CompiledExpr {
  index: number; logic: Logic; pointer: string; fast: CompiledExpression | undefined;
  traced?: CompiledExpression | null; three?: CompiledExpression | null; threeTraced?: CompiledExpression | null;
  /** case splits of its three-valued results, by the values read (see decideBySplit) */
  splits?: Map<string, Val>;
  /** the slots it can read (staticReads), undefined when the compiler does not cover them */
  reads: number[] | undefined;
  /** its three-valued values without a trace, by the values of `reads` (see valueKey) */
  values?: Map<string, Val>;
}

/**
 * Where compiled code comes from: generated here with `new Function` (the default), or taken
 * from an ES module written by `guideline bundle --compile` (compiled-module.ts), for pages whose
 * CSP forbids generating code. Expressions are numbered in the order compileGuideline meets them.
 */
export interface Codegen {
  expression(index: number, logic: Logic, pointer: string, resolve: (name: string) => SlotRef | undefined, trace: boolean, three: boolean): CompiledExpression | undefined;
  fn(name: 'loadFacts' | 'makeValues' | 'makeRules', params: string[], body: string): unknown;
}
const generatedHere: Codegen = {
  expression: (_index, logic, pointer, resolve, trace, three) => compileExpression(logic, pointer, resolve, trace, three),
  fn: (_name, params, body) => new Function(...params, body),
};
interface CompiledClause { id: string; grade: Grade | null; when: CompiledExpr; options?: { intervention: string; when?: CompiledExpr }[] }
interface CompiledRule { id: string; kind: RuleNode['kind']; population?: string; popSlot: number; clauses: CompiledClause[] }
export interface CompiledGuideline {
  codegen: Codegen;
  /** every expression, by index */
  exprs: CompiledExpr[];
  size: number;
  slots: Map<string, SlotRef>;
  /** the name behind each slot (a fact id or a definition id) */
  names: string[];
  resolve: (name: string) => SlotRef | undefined;
  inputs: { id: string; slot: number; unknown: Unknown }[];
  unknowns: Unknown[];
  defs: { id: string; slot: number; expr: CompiledExpr }[];
  values: { id: string; slot: number }[];
  rules: CompiledRule[];
  /** generated: the facts into V and K (constant names, no keyed loop) */
  loadFacts: (facts: Facts, V: Val[], K: Uint8Array, unknowns: readonly Unknown[], has: (this: object, key: string) => boolean) => void;
  /** generated: `values` as one object literal (a fixed shape, keys sorted) */
  makeValues: (V: readonly Val[], K: Uint8Array, unknownResult: (v: Val) => ValueResult) => Record<string, ValueResult>;
  /** generated: `rules` as one object literal from the rule results in id order */
  makeRules: (R: readonly RuleResult[]) => Record<string, RuleResult>;
}

const compiledCache = new WeakMap<Guideline, CompiledGuideline | null>();

function compiledFor(g: Guideline, p: Prepared): CompiledGuideline | undefined {
  let c = compiledCache.get(g);
  if (c === undefined) {
    c = compilerAvailable() ? compileGuideline(p, generatedHere) : null;
    compiledCache.set(g, c);
  }
  return c ?? undefined;
}

/** The guideline compiled with `codegen` (compiled-module.ts: to write the module, or to run it). */
export function compileGuidelineWith(g: Guideline, codegen: Codegen): CompiledGuideline {
  return compileGuideline(prepare(g), codegen);
}

/**
 * From now on `to` is evaluated with `from`'s compiled form (compiled now if it is not yet), for
 * two guidelines known to have the same content: a bundle read back (its hash checked) from the
 * source it was just made of. The generated code is a function of that content alone, so it need
 * not be generated, and warmed up, twice.
 */
export function shareCompiled(from: Guideline, to: Guideline): void {
  const c = compiledFor(from, prepare(from));
  if (c) compiledCache.set(to, c);
}

/** From now on, `evaluate(g, ...)` with the compiled engine runs `c`. */
export function installCompiled(g: Guideline, c: CompiledGuideline): void {
  compiledCache.set(g, c);
}

function compileGuideline(p: Prepared, codegen: Codegen): CompiledGuideline {
  const slots = new Map<string, SlotRef>();
  const defSlots = new Map<string, number>();
  let size = 0;
  for (const d of p.order) defSlots.set(d.id, size++);
  for (const [id, slot] of defSlots) slots.set(id, { slot, source: 'definition' });
  const inputs: CompiledGuideline['inputs'] = [];
  for (const [id, input] of p.inputs) {
    const slot = size++;
    slots.set(id, { slot, source: 'fact' }); // an input shadows a definition of the same id, as in resolverFor
    inputs.push({ id, slot, unknown: unknownFact(id, input) });
  }
  const resolve = (name: string) => slots.get(name);
  const exprs: CompiledExpr[] = [];
  const expr = (logic: Logic, pointer: string): CompiledExpr => {
    const index = exprs.length;
    const e: CompiledExpr = { index, logic, pointer, fast: codegen.expression(index, logic, pointer, resolve, false, false), traced: undefined, three: undefined, threeTraced: undefined, splits: undefined, reads: staticReads(logic, resolve), values: undefined };
    exprs.push(e);
    return e;
  };
  const rules: CompiledRule[] = [];
  for (const rule of p.rules) {
    const population = (own(rule, 'population') ?? p.populations.get(rule.id)) || undefined;
    const popSlot = population !== undefined && defSlots.has(population) ? defSlots.get(population)! : -1;
    const clauses = rule.clauses.map((cl, i): CompiledClause => {
      const options = own(cl.action, 'options');
      return {
        // every member own (undefined when absent): nothing planted on Object.prototype is read
        id: cl.id, grade: cl.grade, when: expr(cl.when, `/clauses/${i}/when`),
        options: options ? options.map((o, j) => { const w = own(o, 'when'); return { intervention: o.intervention, when: w !== undefined ? expr(w, `/clauses/${i}/action/options/${j}/when`) : undefined }; }) : undefined,
      };
    });
    rules.push({ id: rule.id, kind: rule.kind, population, popSlot, clauses });
  }
  const values = p.valueIds.map((id) => ({ id, slot: defSlots.get(id)! }));
  const key = (id: string) => JSON.stringify(id);
  const loadFacts = codegen.fn('loadFacts', ['facts', 'V', 'K', 'U', 'has'], inputs.map((f, i) => `if (has.call(facts, ${key(f.id)})) { V[${f.slot}] = facts[${key(f.id)}]; K[${f.slot}] = 1; } else { V[${f.slot}] = U[${i}]; K[${f.slot}] = 2; }`).join('\n')) as CompiledGuideline['loadFacts'];
  const makeValues = codegen.fn('makeValues', ['V', 'K', 'vr'], `return {${values.map((v) => `${key(v.id)}: K[${v.slot}] === 1 ? { value: V[${v.slot}] } : vr(V[${v.slot}])`).join(',\n')}};`) as CompiledGuideline['makeValues'];
  const makeRules = codegen.fn('makeRules', ['R'], `return {${rules.map((r, i) => `${key(r.id)}: R[${i}]`).join(',\n')}};`) as CompiledGuideline['makeRules'];
  const defs = p.order.map((d) => ({ id: d.id, slot: defSlots.get(d.id)!, expr: expr(d.expr, '/expr') }));
  const names: string[] = [];
  for (const [id, ref] of slots) names[ref.slot] = id;
  return {
    codegen, exprs, size, slots, names, resolve, inputs, unknowns: inputs.map((f) => f.unknown),
    defs,
    values,
    rules, loadFacts, makeValues, makeRules,
  };
}

const unknownResult = (v: Val): ValueResult => toValueResult(v);
const hasOwn = Object.prototype.hasOwnProperty as (this: object, key: string) => boolean;

interface Run {
  c: CompiledGuideline; V: Val[]; K: Uint8Array; T: TraceEvent[] | undefined; resolveRoot?: EvalContext['resolveRoot']; reads: number[];
  /** per slot, its part of a memo key (valueKey), made on first use: a slot is set once per evaluation */
  parts: (string | undefined)[];
}

function runExpr(r: Run, e: CompiledExpr, node: string): Val {
  const ss = e.reads;
  if (!ss) return evaluateExpr(r, e, node, false);
  // What the values it can read are: all known (1), some unknown (2), one not computed yet (0).
  const K = r.K;
  let state = 1;
  for (let i = 0; i < ss.length; i++) { const k = K[ss[i]]; if (k !== 1) { state = k; if (k === 0) break; } }
  if (state !== 2) return evaluateExpr(r, e, node, false);
  if (!r.T) {
    // Without a trace, an expression that reads an unknown value is a function of the values it
    // can read: computed once per combination of them (patients share most unknowns). Its result
    // is then a shared object, whose content number (unknownId) is taken once.
    const key = valueKey(ss, r);
    // bounded: at most VALUES_PER_EXPRESSION keys, none longer than MAX_KEY (a long list read)
    if (key.length <= MAX_KEY) {
      let memo = e.values;
      if (!memo) memo = e.values = new Map();
      const hit = memo.get(key);
      if (hit !== undefined) return hit;
      const v = evaluateExpr(r, e, node, true);
      if (memo.size >= VALUES_PER_EXPRESSION) memo.clear();
      memo.set(key, v);
      return v;
    }
  }
  // A value it can read is unknown: the fast path would most often stop at it (and, with a trace,
  // throw its events away), so the three-valued path runs at once.
  return evaluateExpr(r, e, node, true);
}

const VALUES_PER_EXPRESSION = 128;
const MAX_KEY = 2000;

/**
 * A key naming the values of some slots: numbers (-0 apart), booleans, null, JSON, an Unknown by
 * its content number. Each slot's part is made once per evaluation (a slot is read by many
 * expressions, and its value never changes once set).
 */
function valueKey(slots: readonly number[], r: Run): string {
  const { V, parts } = r;
  let key = '';
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    let part = parts[s];
    if (part === undefined) part = parts[s] = partOf(`${s}${keyText(V[s])}`);
    key += part;
  }
  return key;
}

/**
 * A slot's value as a short part of a key: its number among the slot values met so far (a list
 * value is hundreds of characters, and every memo lookup hashes the whole key). Numbers are never
 * reused, so forgetting old ones (past PARTS_KEPT) can only cost a memo a miss, never a wrong hit.
 */
function partOf(text: string): string {
  // too long to keep: the key then exceeds MAX_KEY, and the expression is evaluated unmemoized
  if (text.length > MAX_KEY) return text;
  let part = partNumbers.get(text);
  if (part === undefined) {
    if (partNumbers.size >= PARTS_KEPT) partNumbers.clear();
    part = `${(nextPart++).toString(36)},`;
    partNumbers.set(text, part);
  }
  return part;
}
const partNumbers = new Map<string, string>();
const PARTS_KEPT = 1 << 16;
let nextPart = 0;

/** An expression through its fast path (unless `unknownRead`), then its three-valued path, then the interpreter. */
function evaluateExpr(r: Run, e: CompiledExpr, node: string, unknownRead: boolean): Val {
  const T = r.T;
  const c = r.c;
  const fn = unknownRead ? undefined : T ? (e.traced === undefined ? (e.traced = c.codegen.expression(e.index, e.logic, e.pointer, c.resolve, true, false) ?? null) : e.traced) : e.fast;
  const mark = T ? T.length : 0;
  if (fn) {
    try {
      const v = fn(r.V, r.K, T, node);
      if (v !== FALLBACK) return v as Val;
    } catch {
      // the interpreter below throws the reference error (or gives the reference value)
    }
    if (T) T.length = mark;
  }
  const three = T
    ? (e.threeTraced === undefined ? (e.threeTraced = c.codegen.expression(e.index, e.logic, e.pointer, c.resolve, true, true) ?? null) : e.threeTraced)
    : (e.three === undefined ? (e.three = c.codegen.expression(e.index, e.logic, e.pointer, c.resolve, false, true) ?? null) : e.three);
  r.resolveRoot ??= slotResolver(r);
  if (three) {
    const reads = r.reads;
    reads.length = 0;
    try {
      const v = three(r.V, r.K, T, node, reads);
      if (v !== FALLBACK) return v instanceof Unknown ? decideBySplit(r, e, node, v) : (v as Val);
    } catch {
      // as above: the interpreter has the last word
    }
    if (T) T.length = mark;
  }
  return evaluateLogic(e.logic, { mode: 'unknown', node, resolveRoot: r.resolveRoot, data: null, trace: T }, e.pointer);
}

/**
 * An unknown result of the three-valued path, through the interpreter's case split on the root
 * variables it read (evaluateLogic does the same after its own walk): the reads in their order,
 * known and unknown apart. Without an unknown read there is nothing to split.
 */
function decideBySplit(r: Run, e: CompiledExpr, node: string, v: Unknown): Val {
  const { reads, K, V } = r;
  let anyUnknown = false;
  for (let i = 0; i < reads.length; i++) {
    if (K[reads[i]] !== 2) continue;
    // a read the split could not try (a number missing): it would give v back
    if (!splittable(V[reads[i]] as Unknown)) return v;
    anyUnknown = true;
  }
  if (!anyUnknown) return v;
  // The split's result is a function of the values read, in the order read: a short key of slot
  // numbers and values (an Unknown by the number of its content) finds a result split before.
  const key = valueKey(reads, r);
  let memo = e.splits;
  if (!memo) memo = e.splits = new Map();
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const names = r.c.names;
  const unknown = new Map<string, Unknown>();
  const known = new Map<string, Val>();
  for (let i = 0; i < reads.length; i++) {
    const s = reads[i];
    if (K[s] === 2) unknown.set(names[s], V[s] as Unknown);
    else known.set(names[s], V[s]);
  }
  // Each completion (every unknown read given a value) through the fast path: the split's reads
  // set in the slots for the call, and the slots put back after the split.
  const fast = e.fast;
  const saved = fast ? [...unknown.keys()].map((name) => { const s = r.c.slots.get(name)!.slot; return { s, v: V[s] }; }) : undefined;
  const complete = fast ? (completed: ReadonlyMap<string, JsonValue>) => {
    for (const [name, x] of completed) { const s = r.c.slots.get(name)!.slot; V[s] = x; K[s] = 1; }
    const y = fast(V, K, undefined, node);
    return y === FALLBACK ? undefined : (y as Val);
  } : undefined;
  let result: Val;
  try {
    result = splitResult(e.logic, { node, resolveRoot: r.resolveRoot }, e.pointer, v, unknown, known, complete);
  } finally {
    if (saved) for (const { s, v: x } of saved) { V[s] = x; K[s] = 2; }
  }
  if (memo.size >= VALUES_PER_EXPRESSION) memo.clear();
  memo.set(key, result);
  return result;
}

/** resolverFor over slots: the interpreter's variable lookup when it runs inside a compiled evaluation. */
function slotResolver(r: Run) {
  return (name: string, ctx: EvalContext, pointer: string): Val | typeof ABSENT => {
    const ref = r.c.slots.get(name);
    if (!ref || r.K[ref.slot] === 0) {
      throw new EngineError('unknown-reference', `"${name}" is neither an input nor a definition. Run the checker: it names the closest match.`, { node: ctx.node, pointer });
    }
    const value = r.V[ref.slot];
    if (ctx.trace && pointer) {
      const ev: TraceEvent = { type: 'read', node: ctx.node, pointer, name, source: ref.source };
      if (isUnknown(value)) ev.missing = [...value.missing]; else ev.value = value;
      ctx.trace.push(ev);
    }
    return value;
  };
}

function statusOfFast(v: Val): Status {
  if (!isUnknown(v)) return truthy(v) ? 'applies' : 'does-not-apply';
  return statusOf(v);
}

function evaluateCompiled(g: Guideline, c: CompiledGuideline, facts: Facts, trace: TraceEvent[] | undefined, hash: unknown, traceOf?: (node: string) => TraceEvent[] | undefined): EvaluationResult {
  const V = new Array<Val>(c.size).fill(null);
  const K = new Uint8Array(c.size);
  c.loadFacts(facts, V, K, c.unknowns, hasOwn);
  const r: Run = { c, V, K, T: trace, resolveRoot: undefined, reads: [], parts: new Array(c.size) };
  const defs = c.defs;
  for (let i = 0; i < defs.length; i++) {
    const d = defs[i];
    const T = traceOf ? (r.T = traceOf(d.id)) : undefined;
    const v = runExpr(r, d.expr, d.id);
    V[d.slot] = v;
    K[d.slot] = v instanceof Unknown ? 2 : 1;
    if (T) T.push(withValue({ type: 'definition', node: d.id, pointer: '/expr' }, v));
  }
  const values = c.makeValues(V, K, unknownResult);
  const R: RuleResult[] = new Array<RuleResult>(c.rules.length);
  for (let i = 0; i < c.rules.length; i++) {
    if (traceOf) r.T = traceOf(c.rules[i].id);
    R[i] = evaluateCompiledRule(r, c.rules[i]);
  }
  const rules = c.makeRules(R);
  return resultOf(g, hash, facts, values, rules, trace);
}

/** evaluateRule over compiled expressions (the same results, key order and trace events). */
function evaluateCompiledRule(r: Run, rule: CompiledRule): RuleResult {
  const trace = r.T;
  let popValue: Val | undefined;
  if (rule.population !== undefined) {
    if (rule.popSlot < 0) throw new EngineError('unknown-reference', `population "${rule.population}" of ${rule.id} is not a definition. Run the checker.`, { node: rule.id, pointer: '/population' });
    popValue = r.V[rule.popSlot];
  }
  const pop = popValue !== undefined ? statusOfFast(popValue) : 'applies';
  if (pop === 'does-not-apply') {
    const clauses: ClauseResult[] = rule.clauses.map((c) => {
      const res: ClauseResult = { id: c.id, grade: c.grade, status: 'not-in-population' };
      if (c.options) res.options = c.options.map((o) => ({ intervention: o.intervention, status: 'not-in-population' as Status }));
      return res;
    });
    trace?.push({ type: 'rule', node: rule.id, pointer: '', status: 'not-in-population' });
    return { kind: rule.kind, status: 'not-in-population', population: rule.population!, clauses };
  }
  const popMissing = pop === 'undecided' ? [...(popValue as Unknown).missing] : undefined;
  const clauses: ClauseResult[] = [];
  let anyApplies = false;
  let allNot = true;
  for (let i = 0; i < rule.clauses.length; i++) {
    const c = rule.clauses[i];
    const v = runExpr(r, c.when, rule.id);
    const whenStatus = statusOfFast(v);
    let status: Status;
    let missing: string[] | undefined;
    if (pop === 'applies' && whenStatus !== 'undecided') status = whenStatus;
    else ({ status, missing } = and2(pop, popMissing, whenStatus, whenStatus === 'undecided' ? [...(v as Unknown).missing] : undefined));
    const result: ClauseResult = { id: c.id, grade: c.grade, status };
    if (missing) result.missing = missing;
    if (c.options) {
      result.options = c.options.map((o) => {
        if (o.when === undefined) return { intervention: o.intervention, status, ...(missing ? { missing } : {}) };
        const ov = runExpr(r, o.when, rule.id);
        const os = statusOfFast(ov);
        const ro = and2(status, missing, os, os === 'undecided' ? [...(ov as Unknown).missing] : undefined);
        return { intervention: o.intervention, status: ro.status, ...(ro.missing ? { missing: ro.missing } : {}) };
      });
    }
    if (trace) trace.push({ type: 'clause', node: rule.id, pointer: `/clauses/${i}`, clause: c.id, grade: c.grade, status: result.status, ...(missing ? { missing } : {}) });
    if (status === 'applies') anyApplies = true;
    if (status !== 'does-not-apply') allNot = false;
    clauses.push(result);
  }
  const status: Status = anyApplies ? 'applies' : allNot ? 'does-not-apply' : 'undecided';
  const result: RuleResult = { kind: rule.kind, status, ...(rule.population !== undefined ? { population: rule.population } : {}), clauses };
  if (status === 'undecided') result.missing = missingOfClauses(clauses);
  trace?.push({ type: 'rule', node: rule.id, pointer: '', status, ...(own(result, 'missing') ? { missing: result.missing } : {}) });
  return result;
}

/** The clauses' missing facts, sorted, without repeats (each clause's list is sorted already). */
function missingOfClauses(clauses: readonly ClauseResult[]): string[] {
  let out: string[] = [];
  for (const cl of clauses) {
    const m = own(cl, 'missing'); // own only: a 'missing' planted on Object.prototype is not the clause's
    if (m) out = out.length ? mergeMissing(out, m) : m.slice();
  }
  return out;
}

/** The result envelope, the same for the interpreted and the compiled path. */
function resultOf(g: Guideline, hash: unknown, facts: EvaluationResult['facts'], values: EvaluationResult['values'], rules: EvaluationResult['rules'], trace: EvaluationResult['trace'] | undefined): EvaluationResult {
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
