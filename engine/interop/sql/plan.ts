// The plan behind the SQL: which parts of each expression SQL computes directly (atoms: a
// comparison over numbers without a finite domain, a some/none/all over a list, a numeric
// definition), and, for everything else, the interpreter's own result tabulated over every value
// its reads can take. The tables are computed by engine/runtime as evaluate() computes a value
// (compiled code, the interpreter's case split, the interpreter wherever the compiled code does not
// reach), so the SQL reproduces its three-valued case-split semantics exactly, by construction.
import { evaluateLogic, EngineError, Unknown, type DefinitionNode, type Guideline, type InputDef, type JsonValue, type Logic, type RuleNode } from '../../runtime/index.ts';
import { compileExpression, FALLBACK, type CompiledExpression } from '../../runtime/compile.ts';
import { splitResult } from '../../runtime/logic.ts';

import { SqlTranslationError } from './errors.ts';
export { SqlTranslationError };

const COMPARE = new Set(['==', '===', '!=', '!==', '<', '<=', '>', '>=', 'in', '!', '!!']);
const LIST_BOOL = new Set(['some', 'none', 'all']);
const MAX_INTEGER_DOMAIN = 12;
/** Largest table one node may have (product of its reads' value counts). */
export const MAX_TABLE = 200000;

export type Leaf =
  | { kind: 'finite'; input: InputDef; domain: JsonValue[] }
  | { kind: 'infinite'; input: InputDef };

/** An atom: a sub-expression SQL computes directly; the interpreter sees a pseudo fact. */
export interface Atom {
  id: string;
  /** the original sub-expression */
  logic: Logic;
  node: string;
  pointer: string;
  kind: 'compare' | 'list';
  /** the infinite facts and SQL-valued definitions it reads (root names) */
  reads: string[];
}

/** What a read of a name looks like to the tabulation: its possible Vals, indexed. */
export interface Domain { vals: (JsonValue | Unknown)[]; keys: Map<string, number> }

export interface TabulatedOld {
  id: string;
  /** the rewritten expression (atoms replaced by pseudo reads) */
  logic: Logic;
  /** root reads of the rewritten expression, sorted: finite facts, atoms, presence pseudos, definitions */
  reads: string[];
  /** for every combination of the reads' value indices (mixed radix, first read most significant) the result index */
  table: number[];
  domain: Domain;
}

export function finiteDomain(f: InputDef): JsonValue[] | undefined {
  if (f.type === 'boolean') return [false, true];
  if (f.type === 'enum' && f.values?.length && f.values.length <= 64) return f.values.map((v) => v.value);
  if (f.type === 'number' && f.integer === true && Number.isInteger(f.minimum) && Number.isInteger(f.maximum) && f.maximum! >= f.minimum! && f.maximum! - f.minimum! < MAX_INTEGER_DOMAIN) {
    return Array.from({ length: f.maximum! - f.minimum! + 1 }, (_, i) => f.minimum! + i);
  }
  return undefined;
}

const isObj = (x: JsonValue): x is Record<string, JsonValue> => typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
const argsOf = (v: JsonValue): JsonValue[] => (Array.isArray(v) ? v : [v]);
function varName(l: JsonValue): string | undefined {
  if (!isObj(l) || !('var' in l)) return undefined;
  const a = argsOf(l.var);
  return typeof a[0] === 'string' ? a[0] : undefined;
}

/** Canonical key of an interpreter value, without its missing facts (they never change a value). */
export function valKey(v: JsonValue | Unknown): string {
  if (!(v instanceof Unknown)) return `k${JSON.stringify(v)}`;
  const i = v.info;
  return `u${JSON.stringify([v.possible ?? null, i.boolean ?? null, i.truthy ?? null, i.table ?? null])}`;
}

/** One expression the interpreter's results are tabulated for: a definition, a clause's or an option's when. */
export interface Expr {
  id: string;
  node: string;
  /** the rewritten expression (atoms replaced by pseudo reads) */
  logic: Logic;
  /** root reads of the rewritten expression, sorted */
  reads: string[];
}

export interface RulePlan {
  rule: RuleNode;
  /** the population definition, when the rule has one */
  population?: string;
  clauses: { id: string; when: Expr; options: { intervention: string; when?: Expr }[] }[];
}

/** An SQL-valued definition: computed in SQL; `values` when it can only take a few values (then read as a finite leaf). */
export interface SqlDef { def: DefinitionNode; values?: JsonValue[] }

export interface Plan {
  guideline: Guideline;
  leaves: Map<string, Leaf>;
  sqlDefs: SqlDef[];
  atoms: Atom[];
  /** inputs whose presence a `missing` operator observes: pseudo read `__present__<id>` */
  presence: string[];
  /** definitions to tabulate, in dependency order */
  defs: Expr[];
  rules: RulePlan[];
  /** the value domain of every finite leaf and SQL-valued definition with few values */
  domains: Map<string, Domain>;
}

const MAX_POSSIBLE = 16;

/** The interpreter's value of an absent fact (engine/runtime/logic.ts unknownFact, same shape). */
function absentFact(input: InputDef, domain: JsonValue[] | undefined): Unknown {
  if (!domain) return new Unknown([input.id]);
  const table = { vars: [input.id], domains: [domain], values: domain };
  if (input.type === 'boolean') return new Unknown([input.id], undefined, { boolean: true, table });
  return new Unknown([input.id], domain.length <= MAX_POSSIBLE ? domain : undefined, { table });
}

function domainOf(vals: (JsonValue | Unknown)[]): Domain {
  const keys = new Map<string, number>();
  vals.forEach((v, i) => keys.set(valKey(v), i));
  return { vals, keys };
}

/** Root names an expression reads (outside some/all/none/map/filter/reduce item scopes). */
export function rootReads(l: JsonValue, out = new Set<string>()): Set<string> {
  if (Array.isArray(l)) { for (const x of l) rootReads(x, out); return out; }
  if (!isObj(l)) return out;
  const op = Object.keys(l)[0];
  const args = argsOf(l[op]);
  if (op === 'var') {
    const n = varName(l);
    if (n !== undefined && n !== '') out.add(n.split('.')[0]);
    for (const a of args.slice(1)) rootReads(a, out);
    return out;
  }
  if (op === 'missing') {
    for (const n of Array.isArray(args[0]) ? args[0] : args) if (typeof n === 'string' && n !== '') out.add(n.split('.')[0]);
    return out;
  }
  if (['map', 'filter', 'reduce', 'all', 'none', 'some'].includes(op)) {
    rootReads(args[0], out);
    if (op === 'reduce' && args.length > 2) rootReads(args[2], out);
    return out;
  }
  for (const a of args) rootReads(a, out);
  return out;
}

function topoDefinitions(g: Guideline): DefinitionNode[] {
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const order: DefinitionNode[] = [];
  const state = new Map<string, number>();
  const visit = (d: DefinitionNode) => {
    const s = state.get(d.id);
    if (s === 2) return;
    if (s === 1) throw new SqlTranslationError(d.id, '/expr', 'definitions form a cycle');
    state.set(d.id, 1);
    for (const n of [...rootReads(d.expr)].sort()) { const dep = defs.get(n); if (dep) visit(dep); }
    state.set(d.id, 2);
    order.push(d);
  };
  for (const id of [...defs.keys()].sort()) visit(defs.get(id)!);
  return order;
}

/** Build the plan: classify every name, rewrite every expression (atoms out), find the SQL-valued definitions. */
export function planGuideline(g: Guideline): Plan {
  const leaves = new Map<string, Leaf>();
  for (const input of g.inputs) {
    const d = input.type === 'list' ? undefined : finiteDomain(input);
    leaves.set(input.id, d ? { kind: 'finite', input, domain: d } : { kind: 'infinite', input });
  }
  const sqlDefNames = new Set<string>();
  const sqlDefs: SqlDef[] = [];
  const atoms: Atom[] = [];
  const atomByKey = new Map<string, Atom>();
  const presence = new Set<string>();
  const domains = new Map<string, Domain>();
  const tabulated = new Set<string>();
  for (const [id, leaf] of leaves) {
    if (leaf.kind === 'finite') domains.set(id, domainOf([...leaf.domain, absentFact(leaf.input, leaf.domain)]));
  }
  const isInfinite = (n: string) => sqlDefNames.has(n) || leaves.get(n)?.kind === 'infinite';
  const isFinite = (n: string) => domains.has(n) || tabulated.has(n);

  const rewrite = (l: JsonValue, node: string, ptr: string): JsonValue => {
    if (Array.isArray(l)) return l.map((x, i) => rewrite(x, node, `${ptr}/${i}`));
    if (!isObj(l)) return l;
    const op = Object.keys(l)[0];
    const raw = l[op];
    const args = argsOf(raw);
    const at = (i: number) => (Array.isArray(raw) ? `${ptr}/${op}/${i}` : `${ptr}/${op}`);
    if (COMPARE.has(op) || LIST_BOOL.has(op)) {
      const reads = [...rootReads(l)];
      const inf = reads.filter(isInfinite);
      if (inf.length && inf.length === reads.length && !/"missing(_some)?":/.test(JSON.stringify(l))) {
        const isList = LIST_BOOL.has(op);
        if (isList && !(varName(args[0]) && leaves.get(varName(args[0])!)?.input.type === 'list')) throw new SqlTranslationError(node, ptr, `"${op}" over something other than a list fact is not supported by the SQL generator`);
        const key = JSON.stringify(l);
        let atom = atomByKey.get(key);
        if (!atom) {
          atom = { id: `a${atoms.length}`, logic: l, node, pointer: ptr, kind: isList ? 'list' : 'compare', reads: inf.sort() };
          atoms.push(atom);
          atomByKey.set(key, atom);
        }
        const v = { var: `__atom__${atom.id}` };
        return isList ? { if: [{ var: `__atom__${atom.id}__listknown` }, v, { '!!': v }] } : { '!!': v };
      }
    }
    if (op === 'missing' || op === 'missing_some') {
      if (op === 'missing_some') throw new SqlTranslationError(node, ptr, '"missing_some" is not supported by the SQL generator');
      const names = Array.isArray(args[0]) ? args[0] : args;
      if (!names.every((n) => typeof n === 'string')) throw new SqlTranslationError(node, ptr, '"missing" with computed names is not supported by the SQL generator');
      return {
        missing: (names as string[]).map((n) => {
          if (leaves.get(n)?.kind === 'infinite') { presence.add(n); return `__present__${n}`; }
          if (leaves.has(n)) return n;
          throw new SqlTranslationError(node, ptr, `"missing" of the definition ${n} is not supported by the SQL generator`);
        }),
      };
    }
    if (op === 'var') {
      if (varName(l) === undefined) throw new SqlTranslationError(node, ptr, '"var" with a computed path is not supported by the SQL generator');
      return l;
    }
    if (['map', 'filter', 'reduce'].includes(op)) return l;
    const out = args.map((a, i) => rewrite(a, node, at(i)));
    return { [op]: Array.isArray(raw) ? out : out[0] };
  };
  const expr = (id: string, node: string, logic: Logic, ptr: string): Expr => {
    const rewritten = rewrite(logic, node, ptr);
    const reads = [...rootReads(rewritten)].sort();
    const inf = reads.filter(isInfinite);
    if (inf.length) throw new SqlTranslationError(node, ptr, `reads ${inf.join(', ')} (numbers without a finite domain, lists or values computed from them) outside a comparison; the SQL generator cannot reproduce the interpreter exactly there`);
    return { id, node, logic: rewritten, reads };
  };

  const defs: Expr[] = [];
  for (const d of topoDefinitions(g)) {
    const reads = [...rootReads(rewrite(d.expr, d.id, '/expr'))];
    if (reads.some(isInfinite)) {
      if (reads.some((n) => !isInfinite(n) && !sqlDefs.some((x) => x.def.id === n))) throw new SqlTranslationError(d.id, '/expr', `computes a value from numbers or lists (${reads.filter(isInfinite).join(', ')}) together with finite facts or definitions (${reads.filter((n) => !isInfinite(n)).join(', ')}); not translatable exactly`);
      const values = valueSet(d.expr, leaves, domains, d.id);
      sqlDefs.push({ def: d, values });
      if (values) domains.set(d.id, domainOf([...values, new Unknown([d.id])]));
      else sqlDefNames.add(d.id);
      continue;
    }
    defs.push(expr(d.id, d.id, d.expr, '/expr'));
    tabulated.add(d.id);
  }
  void isFinite;
  const rules: RulePlan[] = [];
  const ruleNodes = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point').sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const rule of ruleNodes) {
    const pop = populationFor(g, rule);
    if (pop && !tabulated.has(pop)) throw new SqlTranslationError(rule.id, '/population', `population ${pop} is not a definition the SQL generator tabulates`);
    const clauses = rule.clauses.map((c, i) => ({
      id: c.id,
      when: expr(`${rule.id}#${c.id}`, rule.id, c.when, `/clauses/${i}/when`),
      options: (c.action.options ?? []).map((o, j) => ({ intervention: o.intervention, when: o.when === undefined ? undefined : expr(`${rule.id}#${c.id}#${o.intervention}`, rule.id, o.when, `/clauses/${i}/action/options/${j}/when`) })),
    }));
    rules.push({ rule, population: pop, clauses });
  }
  return { guideline: g, leaves, sqlDefs, atoms, presence: [...presence].sort(), defs, rules, domains };
}

/** The domain of a pseudo read (an atom or a presence check) as the interpreter sees it. */
const pseudoDomains = new Map<string, Domain>();
export function pseudoDomain(name: string): Domain | undefined {
  let d = pseudoDomains.get(name);
  if (!d) { d = pseudoDomainUncached(name); if (d) pseudoDomains.set(name, d); }
  return d;
}
function pseudoDomainUncached(name: string): Domain | undefined {
  if (name.startsWith('__atom__')) return name.endsWith('__listknown') ? domainOf([false, true]) : domainOf([false, true, new Unknown([name])]);
  if (name.startsWith('__present__')) return domainOf([true, new Unknown([name])]);
  return undefined;
}

/**
 * The interpreter's result of `e` when its reads take the given values. The expression runs as
 * evaluate() runs it: its compiled two-valued path when every value is known, else its compiled
 * three-valued path, an unknown result then decided by the interpreter's case split, whose
 * completions (all two-valued) take the compiled path too; the interpreter covers whatever the
 * compiled code does not (test/compile.test.ts holds the two to the same results).
 */
export function evaluateWith(e: Expr, values: (JsonValue | Unknown)[]): JsonValue | Unknown {
  const c = compiledOf(e);
  if (c) {
    const K = new Uint8Array(values.length);
    let unknowns = 0;
    for (let i = 0; i < values.length; i++) { const u = values[i] instanceof Unknown; K[i] = u ? 2 : 1; if (u) unknowns++; }
    if (!unknowns && c.fast) {
      const v = attempt(c.fast, values, K, e.node);
      if (v !== FALLBACK) return v;
    } else if (unknowns && c.three) {
      const R: number[] = [];
      const v = attempt(c.three, values, K, e.node, R);
      if (v !== FALLBACK) return v instanceof Unknown ? decide(e, c, values, R, v) : v;
    }
  }
  return evaluateLogic(e.logic, { mode: 'unknown', node: e.node, data: null, resolveRoot: resolverOf(e, values) }, '');
}

interface CompiledForm { fast?: CompiledExpression; three?: CompiledExpression; slotOf: ReadonlyMap<string, number> }
const compiledForms = new WeakMap<Expr, CompiledForm | null>();

/** `e` compiled with its reads as slots, in the order of `e.reads`; null when nothing of it compiles. */
function compiledOf(e: Expr): CompiledForm | null {
  let c = compiledForms.get(e);
  if (c === undefined) {
    const slotOf = new Map(e.reads.map((name, slot) => [name, slot]));
    const resolve = (name: string) => { const slot = slotOf.get(name); return slot === undefined ? undefined : { slot, source: 'fact' as const }; };
    const fast = compileExpression(e.logic, '', resolve, false, false);
    const three = compileExpression(e.logic, '', resolve, false, true);
    c = fast || three ? { fast, three, slotOf } : null;
    compiledForms.set(e, c);
  }
  return c;
}

/** A compiled function's result; FALLBACK when it does not cover these values or throws (the interpreter then decides). */
function attempt(fn: CompiledExpression, V: readonly unknown[], K: Uint8Array, node: string, R?: number[]): JsonValue | Unknown | typeof FALLBACK {
  try {
    return fn(V, K, undefined, node, R);
  } catch {
    return FALLBACK;
  }
}

/**
 * An unknown three-valued result through the interpreter's case split on the reads it logged, as
 * evaluate() decides one (the reads in their order, known and unknown apart), each completion
 * through the compiled two-valued path.
 */
function decide(e: Expr, c: CompiledForm, values: (JsonValue | Unknown)[], R: readonly number[], three: Unknown): JsonValue | Unknown {
  const unknown = new Map<string, Unknown>();
  const known = new Map<string, JsonValue | Unknown>();
  for (const s of R) {
    const v = values[s];
    if (v instanceof Unknown) unknown.set(e.reads[s], v);
    else known.set(e.reads[s], v);
  }
  if (!unknown.size) return three;
  const fast = c.fast;
  let complete: ((completed: ReadonlyMap<string, JsonValue>) => JsonValue | Unknown | undefined) | undefined;
  if (fast) {
    // a completion gives every unknown read a value; an unknown value the split does not try
    // (not read on the three-valued path) stays unknown, as in the interpreter's completion
    const V = values.slice();
    const K = Uint8Array.from(values, (v) => (v instanceof Unknown ? 2 : 1));
    const slotOf = c.slotOf;
    complete = (completed) => {
      for (const [name, v] of completed) { const s = slotOf.get(name)!; V[s] = v; K[s] = 1; }
      const v = fast(V, K, undefined, e.node);
      return v === FALLBACK ? undefined : v;
    };
  }
  return splitResult(e.logic, { node: e.node, resolveRoot: resolverOf(e, values) }, '', three, unknown, known, complete);
}

function resolverOf(e: Expr, values: (JsonValue | Unknown)[]) {
  return (name: string) => {
    const i = e.reads.indexOf(name);
    if (i < 0) throw new EngineError('unknown-reference', `"${name}" is not a read of ${e.id}`, { node: e.node });
    return values[i];
  };
}

/** Tabulate `e` over every combination of its reads' domains (mixed radix, first read most significant). */
export function tabulate(e: Expr, readDomains: Domain[]): { table: number[]; domain: Domain } {
  let size = 1;
  for (const d of readDomains) size *= d.vals.length;
  const vals: (JsonValue | Unknown)[] = [];
  const keys = new Map<string, number>();
  const table = new Array<number>(size);
  const digits = new Array<number>(readDomains.length).fill(0);
  for (let n = 0; n < size; n++) {
    let rest = n;
    for (let k = readDomains.length - 1; k >= 0; k--) { digits[k] = rest % readDomains[k].vals.length; rest = Math.floor(rest / readDomains[k].vals.length); }
    const v = evaluateWith(e, digits.map((d, k) => readDomains[k].vals[d]));
    const key = valKey(v);
    let idx = keys.get(key);
    if (idx === undefined) { idx = vals.length; vals.push(v); keys.set(key, idx); }
    table[n] = idx;
  }
  return { table, domain: { vals, keys } };
}

/** Add a value to a growing domain; its index. */
export function intern(d: Domain, v: JsonValue | Unknown): number {
  const key = valKey(v);
  let idx = d.keys.get(key);
  if (idx === undefined) { idx = d.vals.length; d.vals.push(v); d.keys.set(key, idx); }
  return idx;
}

export function emptyDomain(): Domain { return { vals: [], keys: new Map() }; }

/**
 * The values an SQL-valued definition can take, when they are few (a superset is enough: they
 * index a table): literals, enum and small-integer item fields, and what if/max/+ and a reduce's
 * fixpoint make of them. Undefined when not finite or more than 64.
 */
function valueSet(l: Logic, leaves: Map<string, Leaf>, domains: Map<string, Domain>, node: string): JsonValue[] | undefined {
  const LIMIT = 64;
  const uniq = (xs: JsonValue[]) => { const out: JsonValue[] = []; for (const x of xs) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(x))) out.push(x); return out.length > LIMIT ? undefined : out; };
  const fieldSet = (list: string, field: string): JsonValue[] | undefined => {
    const f = leaves.get(list)?.input.items?.fields?.[field];
    if (!f) return undefined;
    if (f.type === 'enum') return f.values!.map((v) => v.value);
    if (f.type === 'number' && f.integer && Number.isInteger(f.minimum) && Number.isInteger(f.maximum) && f.maximum! - f.minimum! < LIMIT) return Array.from({ length: f.maximum! - f.minimum! + 1 }, (_, i) => f.minimum! + i);
    return undefined;
  };
  const set = (e: Logic, sc: { list?: string; acc?: JsonValue[] }): JsonValue[] | undefined => {
    if (!isObj(e)) return typeof e === 'number' || typeof e === 'string' ? [e] : undefined;
    const op = Object.keys(e)[0];
    const args = argsOf(e[op]);
    if (op === 'var') {
      const n = varName(e);
      if (n === undefined) return undefined;
      if (sc.list) {
        if (n === 'accumulator') return sc.acc;
        return fieldSet(sc.list, n.startsWith('current.') ? n.slice(8) : n);
      }
      const d = domains.get(n);
      return d ? d.vals.filter((v) => !(v instanceof Unknown)) as JsonValue[] : undefined;
    }
    if (op === 'if' && args.length >= 3 && args.length % 2 === 1) {
      // the values of every branch: the thens at odd places and the final else
      const branches = args.filter((_, i) => i % 2 === 1 || i === args.length - 1).map((a) => set(a, sc));
      return branches.every((b) => b) ? uniq(branches.flat() as JsonValue[]) : undefined;
    }
    if (op === 'max' || op === 'min' || op === '+') {
      const sets = args.map((a) => set(a, sc));
      if (sets.some((x) => !x)) return undefined;
      let combos: JsonValue[][] = [[]];
      for (const s of sets as JsonValue[][]) { combos = combos.flatMap((c) => s.map((x) => [...c, x])); if (combos.length > 4096) return undefined; }
      const f = (xs: number[]) => (op === 'max' ? Math.max(...xs) : op === 'min' ? Math.min(...xs) : xs.reduce((a, b) => a + b, 0));
      if (!combos.every((c) => c.every((x) => typeof x === 'number'))) return undefined;
      return uniq(combos.map((c) => f(c as number[])));
    }
    if (op === 'reduce') {
      const list = varName(args[0]);
      if (!list || leaves.get(list)?.input.type !== 'list' || sc.list) return undefined;
      let acc = args.length > 2 ? set(args[2], sc) : [null];
      for (let i = 0; i < 20 && acc; i++) {
        const next = set(args[1], { list, acc });
        if (!next) return undefined;
        const merged = uniq([...acc, ...next]);
        if (!merged) return undefined;
        if (merged.length === acc.length) return acc;
        acc = merged;
      }
      return undefined;
    }
    return undefined;
  };
  void node;
  return set(l, {});
}

function populationFor(g: Guideline, rule: RuleNode): string | undefined {
  if (Object.prototype.hasOwnProperty.call(rule, 'population') && rule.population) return rule.population;
  const folder = g.origins[`node:${rule.id}`]?.folder.split('/')[0];
  return g.manifest.chapters.find((c) => c.id === folder)?.population;
}
