// `analyze`: the guideline proved for every patient of the domain (issue 13). Invariants proved or
// refuted with a witness patient, conflicts, dead clauses, clauses that apply to everyone, gaps per
// chapter population, clauses undecidable by design, boundary coverage.
//
// How a proof reads (ir.ts gives each expression v, its value on a completion, and k, Kleene
// decidedness): the interpreter decides a clause only when every completion agrees (soundness),
// and decides at least what Kleene logic decides. So
//  - "no patient has inv true and a forbidden clause applying" follows from: no assignment of the
//    domain (values and known flags of every slot free) makes inv.v, pop.v and when.v all true;
//  - "no patient has inv true and no required clause applying" follows from: no assignment makes
//    inv.v true and every required clause not Kleene-applying.
// A satisfiable query is turned into a witness: a model where the violation is Kleene-decided (so
// the interpreter reproduces it), its known slots as facts, re-checked with evaluate(); if the
// interpreter does not reproduce it, the invariant is reported "unknown" with the reason.
import { chapterOf, checkInvariants, evaluate, populationOf, type Guideline, type InvariantNode, type InvariantTarget, type JsonValue, type Logic, type RuleNode } from '../runtime/index.ts';
import { assignmentOf, children, evalIR, factsOf, randomAssignment, seeded, slotsOf, translate, truthyJs, Untranslatable, type IR, type Translation } from './ir.ts';
import { Emitter, z3Context, real } from './z3.ts';

export interface Witness { facts: Record<string, JsonValue>; reproduced: boolean }
export interface InvariantFinding { id: string; title: string; status: 'proved' | 'refuted' | 'unknown'; ms: number; witness?: Witness; clause?: string; reason?: string; method: 'z3' | 'enumeration'; /** proved by the quantified (every completion) query */ quantified?: boolean }
export interface ConflictFinding { intervention: string; a: { clause: string; action: string }; b: { clause: string; action: string }; witness: Witness; ms: number }
export interface ClauseFinding { clause: string; chapter: string; ms: number; witness?: Witness; note?: string }
export interface GapFinding { chapter: string; population: string; witness: Witness; ms: number }
export interface BoundaryPoint { node: string; pointer: string; operand: string; op: string; threshold: number; step: number; at: string[]; below: string[]; above: string[]; covered: boolean; draft?: { at?: Record<string, JsonValue>; below?: Record<string, JsonValue>; above?: Record<string, JsonValue> } }
export interface AnalysisReport {
  guideline: string;
  version: string;
  domain: { slots: number; listBound: number; note: string };
  invariants: InvariantFinding[];
  conflicts: ConflictFinding[];
  dead: ClauseFinding[];
  everyone: ClauseFinding[];
  gaps: GapFinding[];
  undecidable: ClauseFinding[];
  boundaries: { total: number; covered: number; uncovered: BoundaryPoint[]; points: BoundaryPoint[] };
  untranslatable: { node: string; reason: string }[];
  ms: { total: number; z3Load: number; invariants: number; conflicts: number; clauses: number; gaps: number; boundaries: number };
}

export interface AnalyzeOptions {
  /** only these parts (default: all) */
  parts?: ('invariants' | 'conflicts' | 'clauses' | 'gaps' | 'boundaries')[];
  /** draft the missing boundary cases (witness facts for each missing point) */
  suggest?: boolean;
  /** per query, milliseconds (Z3 timeout) */
  timeoutMs?: number;
  listBound?: number;
  /** only the invariants whose id passes (default: all) */
  invariants?: (id: string) => boolean;
  /** the quantified (every completion) query's timeout, milliseconds */
  quantifiedTimeoutMs?: number;
}

interface ClauseRef { rule: RuleNode; index: number; key: string; option?: number; action: string; intervention: string; chapter: string; pop?: IR; when: IR; optWhen?: IR }

/** Everything translated once: the clause refs with their IR, the invariants', the populations'. */
export interface Prepared {
  g: Guideline;
  t: Translation;
  clauses: ClauseRef[];
  untranslatable: { node: string; reason: string }[];
  /** slots whose presence an expression observes (`missing`, a `var` default) */
  presence: Set<string>;
  /** the constants each numeric slot is compared with */
  constants: Map<string, Set<number>>;
}

function constantsOf(ir: IR, out: Map<string, Set<number>>, seen = new Set<IR>()): void {
  if (seen.has(ir)) return;
  seen.add(ir);
  if (ir.op === 'cmp') {
    for (const [x, y] of [[ir.a, ir.b], [ir.b, ir.a]]) {
      if (x.op === 'val' && y.op === 'const' && typeof y.value === 'number') { if (!out.has(x.slot)) out.set(x.slot, new Set()); out.get(x.slot)!.add(y.value); }
    }
  }
  for (const c of children(ir)) constantsOf(c, out, seen);
}

function presenceOf(ir: IR, out: Set<string>, seen = new Set<IR>()): void {
  if (seen.has(ir)) return;
  seen.add(ir);
  if (ir.op === 'known') out.add(ir.slot);
  for (const c of children(ir)) presenceOf(c, out, seen);
}

export function prepare(g: Guideline, listBound?: number): Prepared {
  const t = translate(g, listBound);
  const clauses: ClauseRef[] = [];
  const untranslatable: { node: string; reason: string }[] = [];
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  for (const rule of rules) {
    const popId = populationOf(g, rule);
    const chapter = chapterOf(g, rule.id) ?? '';
    try {
      const pop = popId ? t.definition(popId) : undefined;
      rule.clauses.forEach((c, index) => {
        const when = t.expr(c.when, `${rule.id}.${c.id}`);
        const base = { rule, index, key: `${rule.id}.${c.id}`, action: c.action.type, chapter, pop, when };
        if (c.action.options?.length) {
          c.action.options.forEach((o, option) => clauses.push({ ...base, option, intervention: o.intervention, optWhen: o.when === undefined ? undefined : t.expr(o.when, `${rule.id}.${c.id} option ${o.intervention}`) }));
        } else clauses.push({ ...base, intervention: c.action.intervention });
      });
    } catch (e) {
      if (!(e instanceof Untranslatable)) throw e;
      untranslatable.push({ node: rule.id, reason: e.message });
    }
  }
  const presence = new Set<string>();
  for (const c of clauses) for (const ir of [c.pop, c.when, c.optWhen]) if (ir) presenceOf(ir, presence);
  for (const n of g.nodes) if (n.kind === 'invariant') { try { presenceOf(t.expr(n.when, n.id), presence); } catch { /* reported with the invariant */ } }
  const constants = new Map<string, Set<number>>();
  for (const c of clauses) for (const ir of [c.pop, c.when, c.optWhen]) if (ir) constantsOf(ir, constants);
  return { g, t, clauses, untranslatable, presence, constants };
}

/** The IR of "this clause (option) applies": population, when and the option's when. */
export function appliesIR(c: ClauseRef): IR {
  const parts = [c.pop, c.when, c.optWhen].filter((x): x is IR => !!x).map((x) => (x.ty === 'bool' ? x : ({ op: 'truthy', ty: 'bool', a: x }) as IR));
  return parts.length === 1 ? parts[0] : { op: 'and', ty: 'bool', args: parts };
}

function targets(p: Prepared, t: InvariantTarget): ClauseRef[] {
  return p.clauses.filter((c) => {
    if (t.chapter && c.chapter !== t.chapter) return false;
    if (!t.actions.includes(c.action as never)) return false;
    const group = c.rule.clauses[c.index].action.intervention;
    return t.intervention === '*' || t.intervention === c.intervention || (c.option !== undefined && t.intervention === group);
  });
}

type Z = any; // eslint-disable-line @typescript-eslint/no-explicit-any

class Session {
  readonly em: Emitter;
  constructor(readonly Z: Z, readonly p: Prepared, readonly timeoutMs: number) {
    this.em = new Emitter(Z, p.t);
  }

  solver(): Z {
    const s = new this.Z.Solver();
    s.set('timeout', this.timeoutMs);
    return s;
  }

  /** v true (the completion) and, for a witness, k true (decided): both as Z3 Bool. */
  holds(ir: IR): { v: Z; k: Z } {
    const e = this.em.emit(ir);
    return { v: this.em.truthy(e.v), k: e.k };
  }

  private base?: Z;
  private added = 0;

  /** One incremental solver: the domain asserted once (and as it grows), each query in a push/pop. */
  quantifiedTimeoutMs = 4000;

  async check(constraints: Z[], timeoutMs?: number): Promise<{ status: 'sat' | 'unsat' | 'unknown'; model?: Z }> {
    this.base ??= this.solver();
    const s = this.base;
    const domain = this.em.domain;
    for (; this.added < domain.length; this.added++) s.add(domain[this.added]);
    s.push();
    if (timeoutMs) s.set('timeout', timeoutMs);
    try {
      for (const c of constraints) s.add(c);
      const r = await s.check();
      return r === 'sat' ? { status: 'sat', model: s.model() } : { status: r };
    } finally {
      s.pop();
      if (timeoutMs) s.set('timeout', this.timeoutMs);
    }
  }

  facts(model: Z): Record<string, JsonValue> {
    return factsOf(this.p.t, this.em.assignment(model));
  }

  /**
   * F for every completion: for every value of each slot in the cone of `irs` that is not known
   * (and every length of a list that is not known), F holds. What the interpreter needs to decide
   * F (it is sound: a decided value is the value of every completion; presence stays as it is).
   * A quantified query (one alternation), asked only when the quantifier-free one is satisfiable.
   */
  /**
   * F for every value of each presence slot (read by `missing` or a `var` default) that is not
   * known: booleans and enums over their domain, numbers at their range's ends and at every
   * constant they are compared with, one step each side. Implied by what the interpreter needs to
   * decide F while the fact is absent (its absence is seen, its value is not), so a query with it
   * is still a sound over-approximation, and a much tighter one than F alone.
   */
  forallAbsent(f: Z, irs: IR[]): Z {
    const Z = this.Z;
    const cone = new Set<string>();
    for (const ir of irs) slotsOf(ir, cone);
    let out = f;
    for (const id of this.p.presence) {
      if (!cone.has(id)) continue;
      const slot = this.p.t.slots.get(id)!;
      const x = this.em.value.get(id)!;
      let dom: Z[];
      if (slot.type === 'bool') dom = [Z.Bool.val(false), Z.Bool.val(true)];
      else if (slot.type === 'enum') dom = slot.values!.map((v) => Z.Int.val(this.p.t.codes.get(v)!));
      else {
        const pts = new Set<number>([slot.min ?? 0, slot.max ?? 0]);
        const step = slot.integer ? 1 : 0.1;
        for (const c of this.p.constants.get(id) ?? []) for (const d of [c - step, c, c + step]) if (d >= (slot.min ?? -Infinity) && d <= (slot.max ?? Infinity)) pts.add(round(d));
        dom = [...pts].filter((d) => !slot.integer || Number.isInteger(d)).map((d) => (slot.integer ? Z.Int.val(d) : real(Z, d)));
      }
      const k = this.em.slotKnown(id);
      const cur = out;
      out = Z.Or(Z.And(k, cur), Z.And(Z.Not(k), ...dom.map((d) => Z.substitute(cur, [x, d]))));
    }
    return out;
  }

  forallUnknown(f: Z, irs: IR[]): Z {
    const Z = this.Z;
    const cone = new Set<string>();
    for (const ir of irs) slotsOf(ir, cone);
    const ys: Z[] = [];
    const pairs: [Z, Z][] = [];
    const hyp: Z[] = [];
    for (const id of cone) {
      const list = this.p.t.lists.get(id);
      if (list) {
        const y = Z.Int.const(`all|len|${id}`);
        ys.push(y);
        pairs.push([this.em.length.get(id)!, y]);
        hyp.push(y.ge(0), y.le(list.bound), Z.Implies(this.em.known.get(id)!, y.eq(this.em.length.get(id)!)));
        continue;
      }
      const slot = this.p.t.slots.get(id)!;
      const x = this.em.value.get(id)!;
      const y = slot.type === 'bool' ? Z.Bool.const(`all|${id}`) : slot.type === 'enum' || slot.integer ? Z.Int.const(`all|${id}`) : Z.Real.const(`all|${id}`);
      ys.push(y);
      pairs.push([x, y]);
      if (slot.type === 'enum') hyp.push(Z.Or(...slot.values!.map((v) => y.eq(this.p.t.codes.get(v)!))));
      if (slot.type === 'num') {
        if (slot.min !== undefined) hyp.push(slot.integer ? y.ge(Math.ceil(slot.min)) : y.ge(real(Z, slot.min)));
        if (slot.max !== undefined) hyp.push(slot.integer ? y.le(Math.floor(slot.max)) : y.le(real(Z, slot.max)));
      }
      hyp.push(Z.Implies(this.em.slotKnown(id), y.eq(x)));
    }
    if (!ys.length) return f;
    return Z.ForAll(ys, Z.Implies(Z.And(...hyp), Z.substitute(f, ...pairs)));
  }

  allKnown(): Z {
    return this.Z.And(...[...this.em.known.values()]);
  }
}

function statusOfClause(g: Guideline, facts: Record<string, JsonValue>, c: ClauseRef): string | undefined {
  try {
    const r = evaluate(g, facts, { trustedFacts: false }).rules[c.rule.id]?.clauses[c.index];
    return c.option === undefined ? r?.status : r?.options?.[c.option]?.status;
  } catch { return undefined; }
}

async function analyzeInvariant(s: Session, inv: InvariantNode): Promise<InvariantFinding> {
  const t0 = performance.now();
  const { Z, p } = s;
  const done = (f: Omit<InvariantFinding, 'id' | 'title' | 'ms' | 'method'>): InvariantFinding => ({ id: inv.id, title: inv.title, ms: Math.round(performance.now() - t0), method: 'z3', ...f });
  let when: IR;
  try { when = p.t.expr(inv.when, `invariant ${inv.id}`); } catch (e) { return done({ status: 'unknown', reason: (e as Error).message }); }
  const w = s.holds(when);
  let quantifiedProof = false;
  // forbid: one query for all forbidden clauses; a sat model names the clause that applies
  const forbidden = inv.forbid.flatMap((t) => targets(p, t));
  const broken = (facts: Record<string, JsonValue>) => checkInvariants(p.g, evaluate(p.g, facts)).filter((b) => b.invariant === inv.id);
  if (forbidden.length) {
    const applies = forbidden.map((c) => s.holds(appliesIR(c)));
    const r = await s.check([w.v, Z.Or(...applies.map((a) => a.v))]);
    if (r.status === 'unknown') return done({ status: 'unknown', reason: 'the solver gave up (timeout)' });
    if (r.status === 'sat') {
      const decided = await s.check([w.v, w.k, Z.Or(...applies.map((a) => Z.And(a.v, a.k)))]);
      if (decided.status === 'sat') {
        const facts = s.facts(decided.model);
        const b = broken(facts);
        const clause = forbidden.find((_, i) => decided.model.eval(Z.And(applies[i].v, applies[i].k), true).sexpr() === 'true')?.key;
        return done({ status: b.length ? 'refuted' : 'unknown', clause, witness: { facts, reproduced: b.length > 0 }, ...(b.length ? {} : { reason: 'the witness does not reproduce in the interpreter (check the translation)' }) });
      }
      // no Kleene-decided violation: tighten, first over the absent facts whose presence is seen,
      // then (quantified) over every completion
      const f = Z.And(w.v, Z.Or(...applies.map((a) => a.v)));
      const irs = [when, ...forbidden.map(appliesIR)];
      const absent = await s.check([s.forallAbsent(f, irs)]);
      const exact = absent.status === 'unsat' ? absent : await s.check([s.forallUnknown(f, irs)], s.quantifiedTimeoutMs);
      if (exact.status === 'unsat') quantifiedProof = true;
      else {
      const facts = exact.model ? s.facts(exact.model) : undefined;
      const b = facts ? broken(facts) : [];
      return done({ status: b.length ? 'refuted' : 'unknown', ...(facts ? { witness: { facts, reproduced: b.length > 0 } } : {}), ...(b.length ? {} : { reason: exact.status === 'unknown' ? 'the solver gave up on the quantified query' : 'a patient every completion of whom breaks it exists, but the interpreter does not decide it' }) });
      }
    }
  }
  for (const t of inv.require ?? []) {
    const req = targets(p, t).map((c) => s.holds(appliesIR(c)));
    const none = Z.And(...req.map((a) => Z.Not(Z.And(a.v, a.k))));
    const r = await s.check([w.v, none]);
    if (r.status === 'unknown') return done({ status: 'unknown', reason: 'the solver gave up (timeout)' });
    if (r.status === 'sat') {
      const decided = await s.check([w.v, w.k, none]);
      let model = decided.model;
      if (!model) {
        const f = Z.And(w.v, none);
        const irs = [when, ...targets(p, t).map(appliesIR)];
        const absent = await s.check([s.forallAbsent(f, irs)]);
        const exact = absent.status === 'unsat' ? absent : await s.check([s.forallUnknown(f, irs)], s.quantifiedTimeoutMs);
        if (exact.status === 'unsat') { quantifiedProof = true; continue; }
        if (!exact.model) return done({ status: 'unknown', reason: 'the solver gave up on the quantified query' });
        model = exact.model;
      }
      const facts = s.facts(model);
      const b = broken(facts);
      return done({ status: b.length ? 'refuted' : 'unknown', witness: { facts, reproduced: b.length > 0 }, ...(b.length ? {} : { reason: 'no required clause is Kleene-decided for some patient, but the interpreter decides one for the witness' }) });
    }
  }
  return done({ status: 'proved', ...(quantifiedProof ? { quantified: true } : {}) });
}

/** Contradictory actions on one intervention: recommend/consider against not-recommended. */
function conflictPairs(p: Prepared): [ClauseRef, ClauseRef][] {
  const byCode = new Map<string, ClauseRef[]>();
  for (const c of p.clauses) { if (!byCode.has(c.intervention)) byCode.set(c.intervention, []); byCode.get(c.intervention)!.push(c); }
  const out: [ClauseRef, ClauseRef][] = [];
  for (const list of byCode.values()) {
    for (const a of list) for (const b of list) {
      if ((a.action === 'recommend' || a.action === 'consider') && b.action === 'not-recommended' && a.rule.id !== b.rule.id) out.push([a, b]);
    }
  }
  return out;
}

function comparisons(logic: Logic, pointer: string, out: { pointer: string; op: string; operand: string; threshold: number }[]): void {
  if (Array.isArray(logic)) { logic.forEach((x, i) => comparisons(x, `${pointer}/${i}`, out)); return; }
  if (logic === null || typeof logic !== 'object') return;
  const [op] = Object.keys(logic);
  const raw = (logic as Record<string, JsonValue>)[op];
  if (['<', '<=', '>', '>=', '==', '!='].includes(op) && Array.isArray(raw) && raw.length === 2) {
    const [x, y] = raw;
    const name = (v: JsonValue) => (v && typeof v === 'object' && !Array.isArray(v) && 'var' in v && typeof (v as { var: JsonValue }).var === 'string' ? (v as { var: string }).var : undefined);
    const nx = name(x);
    const ny = name(y);
    if (nx && typeof y === 'number') out.push({ pointer: `${pointer}/${op}`, op, operand: nx, threshold: y });
    else if (ny && typeof x === 'number') out.push({ pointer: `${pointer}/${op}`, op: flip(op), operand: ny, threshold: x });
  }
  comparisons(raw as Logic, `${pointer}/${op}`, out);
}
const flip = (op: string) => ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as Record<string, string>)[op] ?? op;

/** The step of a number in its input's precision: 1 for integers, else the finer of 0.1 and the threshold's decimals. */
function stepOf(integer: boolean, threshold: number): number {
  if (integer) return 1;
  const decimals = (String(threshold).split('.')[1] ?? '').length;
  return Math.min(0.1, 10 ** -decimals);
}
const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** Whether an IR number is always an integer (integer slots and constants under + - * max min and if). */
function integral(ir: IR, t: Translation): boolean {
  switch (ir.op) {
    case 'const': return typeof ir.value === 'number' ? Number.isInteger(ir.value) : ir.value === null || typeof ir.value === 'boolean';
    case 'val': { const s = t.slots.get(ir.slot); return !!s && s.type === 'num' && s.integer === true; }
    case 'ite': return integral(ir.a, t) && integral(ir.b, t);
    case 'arith': return ['+', '-', '*', 'max', 'min', 'neg'].includes(ir.k) && ir.args.every((x) => integral(x, t));
    default: return false;
  }
}

export async function analyze(g: Guideline, options: AnalyzeOptions = {}): Promise<AnalysisReport> {
  const t0 = performance.now();
  const parts = new Set(options.parts ?? ['invariants', 'conflicts', 'clauses', 'gaps', 'boundaries']);
  const z0 = performance.now();
  const Z = await z3Context();
  const p = prepare(g, options.listBound);
  const s = new Session(Z, p, options.timeoutMs ?? 5000);
  if (options.quantifiedTimeoutMs) s.quantifiedTimeoutMs = options.quantifiedTimeoutMs;
  await s.check([]); // the first check warms the solver up (counted with loading)
  const z3Load = Math.round(performance.now() - z0);
  const ms = { total: 0, z3Load, invariants: 0, conflicts: 0, clauses: 0, gaps: 0, boundaries: 0 };
  const report: AnalysisReport = {
    guideline: g.manifest.id,
    version: g.manifest.version,
    domain: { slots: p.t.slots.size, listBound: p.t.bound, note: `every input known or not; numbers in their plausible range (integers where the dictionary says so); lists of 0..${p.t.bound} items` },
    invariants: [], conflicts: [], dead: [], everyone: [], gaps: [], undecidable: [],
    boundaries: { total: 0, covered: 0, uncovered: [], points: [] },
    untranslatable: p.untranslatable,
    ms,
  };
  const witness = (facts: Record<string, JsonValue>, check: (f: Record<string, JsonValue>) => boolean): Witness => ({ facts, reproduced: check(facts) });
  const lap = (k: keyof typeof ms, start: number) => { ms[k] = Math.round(performance.now() - start); };

  if (parts.has('invariants')) {
    const start = performance.now();
    for (const inv of g.nodes.filter((n): n is InvariantNode => n.kind === 'invariant' && (!options.invariants || options.invariants(n.id)))) report.invariants.push(await analyzeInvariant(s, inv));
    lap('invariants', start);
  }

  if (parts.has('conflicts')) {
    const start = performance.now();
    for (const [a, b] of conflictPairs(p)) {
      const q0 = performance.now();
      const x = s.holds(appliesIR(a));
      const y = s.holds(appliesIR(b));
      const r = await s.check([x.v, x.k, y.v, y.k]);
      if (r.status !== 'sat') continue;
      const facts = s.facts(r.model);
      report.conflicts.push({
        intervention: a.intervention,
        a: { clause: a.key, action: a.action },
        b: { clause: b.key, action: b.action },
        witness: witness(facts, (f) => statusOfClause(g, f, a) === 'applies' && statusOfClause(g, f, b) === 'applies'),
        ms: Math.round(performance.now() - q0),
      });
    }
    lap('conflicts', start);
  }

  if (parts.has('clauses')) {
    const start = performance.now();
    // Cheap first: random complete patients evaluated on the IR show most clauses alive and not
    // universal; Z3 is asked only about the rest.
    const r = seeded(20261201);
    const alive = new Set<ClauseRef>();
    const notAll = new Set<ClauseRef>();
    const open = p.clauses.filter((c) => c.option === undefined);
    for (let i = 0; i < 2000; i++) {
      const a = randomAssignment(p.t, r, p.constants);
      const memo = new Map();
      for (const c of open) {
        if (alive.has(c) && notAll.has(c)) continue;
        if (c.pop && !truthyJs(evalIR(c.pop, a, memo).v)) continue;
        (truthyJs(evalIR(c.when, a, memo).v) ? alive : notAll).add(c);
      }
    }
    for (const c of open) {
      const q0 = performance.now();
      const pop = c.pop ? s.holds(c.pop) : undefined;
      const w = s.holds(c.when);
      const pv = pop ? [pop.v] : [];
      // dead: no completion of any patient makes population and condition true
      if (!alive.has(c) && (await s.check([...pv, w.v])).status === 'unsat') { report.dead.push({ clause: c.key, chapter: c.chapter, ms: Math.round(performance.now() - q0) }); continue; }
      // everyone: the condition holds for every completion inside the population
      const literalTrue = c.rule.clauses[c.index].when === true;
      if (!notAll.has(c) && (await s.check([...pv, Z.Not(w.v)])).status === 'unsat') report.everyone.push({ clause: c.key, chapter: c.chapter, ms: Math.round(performance.now() - q0), note: literalTrue ? 'when is true: applies to the whole population by construction' : 'the condition holds for everyone in the population' });
      // undecidable by design: no assignment decides it (with every fact known the IR is decided
      // unless presence is read, so Z3 is asked only then)
      const reads = slotsOf(c.when);
      if ([...reads].some((x) => p.presence.has(x)) && (await s.check([w.k])).status === 'unsat') report.undecidable.push({ clause: c.key, chapter: c.chapter, ms: Math.round(performance.now() - q0) });
    }
    lap('clauses', start);
  }

  if (parts.has('gaps')) {
    const start = performance.now();
    for (const ch of g.manifest.chapters) {
      if (!ch.population) continue;
      const members = p.clauses.filter((c) => c.chapter === ch.id && c.rule.kind === 'recommendation' && c.action !== 'information' && c.option === undefined);
      if (!members.length) continue;
      const q0 = performance.now();
      const pop = s.holds(p.t.definition(ch.population));
      // a complete patient (every fact known) in the population for whom no recommendation applies
      const none = members.map((c) => Z.Not(s.holds(appliesIR(c)).v));
      const r = await s.check([s.allKnown(), pop.v, ...none]);
      if (r.status !== 'sat') continue;
      const facts = s.facts(r.model);
      report.gaps.push({
        chapter: ch.id, population: ch.population, ms: Math.round(performance.now() - q0),
        witness: witness(facts, (f) => { const res = evaluate(g, f); return members.every((c) => res.rules[c.rule.id]?.clauses[c.index]?.status !== 'applies'); }),
      });
    }
    lap('gaps', start);
  }

  if (parts.has('boundaries')) {
    const start = performance.now();
    report.boundaries = await boundaries(g, p, s, !!options.suggest);
    lap('boundaries', start);
  }
  ms.total = Math.round(performance.now() - t0);
  return report;
}

/** Every comparison of an input or definition with a constant, and the cases at and on each side of it. */
async function boundaries(g: Guideline, p: Prepared, s: Session, suggest: boolean): Promise<AnalysisReport['boundaries']> {
  const Z = s.Z;
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const defs = new Map(g.nodes.filter((n) => n.kind === 'definition').map((n) => [n.id, n]));
  const points: BoundaryPoint[] = [];
  const seen = new Set<string>();
  for (const n of g.nodes) {
    const exprs: { logic: Logic; pointer: string }[] = [];
    if (n.kind === 'definition') exprs.push({ logic: n.expr, pointer: '/expr' });
    if (n.kind === 'recommendation' || n.kind === 'practice-point') n.clauses.forEach((c, i) => exprs.push({ logic: c.when, pointer: `/clauses/${i}/when` }));
    for (const e of exprs) {
      const found: { pointer: string; op: string; operand: string; threshold: number }[] = [];
      comparisons(e.logic, e.pointer, found);
      for (const f of found) {
        const input = inputs.get(f.operand);
        const def = defs.get(f.operand);
        if (!(input && input.type === 'number') && !(def && def.kind === 'definition' && def.type === 'number')) continue;
        if (f.op === '==' || f.op === '!=') { if (!input?.integer && !def) continue; }
        const key = `${f.operand} ${f.threshold}`;
        if (seen.has(key)) continue; // one threshold of one quantity is one boundary, wherever it is compared
        seen.add(key);
        let integer = input ? input.integer === true : false;
        if (def && Number.isInteger(f.threshold)) { try { integer = integral(p.t.definition(def.id), p.t); } catch { /* not translated */ } }
        const step = stepOf(integer, f.threshold);
        points.push({ node: n.id, pointer: f.pointer, operand: f.operand, op: f.op, threshold: f.threshold, step, at: [], below: [], above: [], covered: false });
      }
    }
  }
  // the cases' values of each operand
  // the definitions' values on each case, from the IR (decided in Kleene logic: the interpreter
  // decides at least that, with the same value)
  const defIR = new Map<string, IR | undefined>();
  for (const pt of points) if (!inputs.has(pt.operand) && !defIR.has(pt.operand)) { try { defIR.set(pt.operand, p.t.definition(pt.operand)); } catch { defIR.set(pt.operand, undefined); } }
  for (const c of g.cases) {
    let a;
    try { a = assignmentOf(p.t, c.facts as Record<string, JsonValue>); } catch { continue; }
    const memo = new Map();
    for (const pt of points) {
      let v: JsonValue | undefined;
      if (inputs.has(pt.operand)) v = c.facts[pt.operand];
      else { const ir = defIR.get(pt.operand); const x = ir ? evalIR(ir, a, memo) : undefined; v = x?.k ? x.v : undefined; }
      if (typeof v !== 'number') continue;
      const d = round(v - pt.threshold);
      if (d === 0) pt.at.push(c.id);
      else if (d === round(-pt.step)) pt.below.push(c.id);
      else if (d === round(pt.step)) pt.above.push(c.id);
    }
  }
  for (const pt of points) pt.covered = pt.at.length > 0 && pt.below.length > 0 && pt.above.length > 0;
  if (suggest) {
    for (const pt of points.filter((x) => !x.covered)) {
      let ir: IR;
      try { ir = inputs.has(pt.operand) ? { op: 'val', ty: 'num', slot: pt.operand } : p.t.definition(pt.operand); } catch { continue; }
      const e = s.em.emit(ir);
      pt.draft = {};
      for (const [side, value] of [['at', pt.threshold], ['below', pt.threshold - pt.step], ['above', pt.threshold + pt.step]] as const) {
        if ((pt[side] as string[]).length) continue;
        const r = await s.check([s.allKnown(), e.v.n.eq(real(Z, round(value)))]);
        if (r.status === 'sat') pt.draft[side] = s.facts(r.model);
      }
    }
  }
  const uncovered = points.filter((x) => !x.covered);
  return { total: points.length, covered: points.length - uncovered.length, uncovered, points };
}
