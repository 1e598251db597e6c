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
import { roundWitness } from './round.ts';

/** rounded: the numbers were rounded to their inputs' precision (round.ts) and the interpreter still reproduces it; false: rounding broke it, the exact model is kept */
export interface Witness { facts: Record<string, JsonValue>; reproduced: boolean; rounded?: boolean }
export interface InvariantFinding { id: string; title: string; status: 'proved' | 'refuted' | 'unknown'; ms: number; witness?: Witness; clause?: string; reason?: string; method: 'z3' | 'enumeration'; /** proved by the quantified (every completion) query */ quantified?: boolean }
export interface ConflictFinding {
  intervention: string;
  a: { clause: string; action: string };
  b: { clause: string; action: string; /** primary-vs-switch: the switch-away intervention */ intervention?: string };
  witness: Witness;
  ms: number;
  /** recommend-vs-not-recommended: a recommends or considers it, b says not to; primary-vs-switch:
   * a offers it as the primary choice (role primary), b says to switch away from it (b.intervention) */
  kind: 'recommend-vs-not-recommended' | 'primary-vs-switch';
}
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

  /**
   * A query on a fresh solver that holds only the domain of the slots `irs` read (and the square
   * roots over them): the incremental solver carries every slot's domain and runs without the
   * preprocessing a fresh one applies, which the quantified queries need. Its model fixes only
   * the cone; every other slot evaluates to its default (not known), so a witness stays small.
   */
  async sliced(constraints: Z[], irs: IR[], timeoutMs: number): Promise<{ status: 'sat' | 'unsat' | 'unknown'; model?: Z }> {
    const cone = new Set<string>();
    for (const ir of irs) slotsOf(ir, cone);
    for (const id of [...cone]) { const l = id.indexOf('['); if (l > 0) cone.add(id.slice(0, l)); }
    const s = new this.Z.Solver();
    s.set('timeout', timeoutMs);
    for (const id of cone) for (const d of this.em.domainOf.get(id) ?? []) s.add(d);
    for (const q of this.em.sqrts) if ([...slotsOf(q.ir)].some((x) => cone.has(x))) s.add(q.r.ge(0), q.r.mul(q.r).eq(q.arg));
    for (const c of constraints) s.add(c);
    const r = await s.check();
    return r === 'sat' ? { status: 'sat', model: s.model() } : { status: r };
  }

  facts(model: Z): Record<string, JsonValue> {
    return factsOf(this.p.t, this.em.assignment(model));
  }

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

  /**
   * F at chosen completions at once, each a quantifier-free instance of forallUnknown (so implied
   * by it, and as sound): a slot of the cone that is not known takes the probe's value, a known
   * one keeps its own. Two global probes move every absent slot at once: "low" (booleans false,
   * enums their first value, lists empty, numbers their minimum, or one below it for a number
   * without a finite domain, since the interpreter ignores its range) and "high" (the other
   * ends); then each absent slot alone takes each of its probe values (booleans both, enums every
   * value, numbers their ends and every constant they are compared with, one step each side),
   * the others keeping the patient's. A slot under a square root keeps its value (its root
   * stays the patient's). A probe that breaks F for every patient closes the query without a
   * quantifier, where the solver would search instance by instance.
   */
  forallProbes(f: Z, irs: IR[]): Z {
    const Z = this.Z;
    const cone = new Set<string>();
    for (const ir of irs) slotsOf(ir, cone);
    const underSqrt = new Set<string>();
    for (const q of this.em.sqrts) slotsOf(q.ir, underSqrt);
    const probes: { x: Z; known: Z; values: Z[] }[] = [];
    for (const id of cone) {
      if (underSqrt.has(id)) continue;
      const list = this.p.t.lists.get(id);
      if (list) { probes.push({ x: this.em.length.get(id)!, known: this.em.known.get(id)!, values: [Z.Int.val(0), Z.Int.val(list.bound)] }); continue; }
      const slot = this.p.t.slots.get(id)!;
      let values: Z[];
      if (slot.type === 'bool') values = [Z.Bool.val(false), Z.Bool.val(true)];
      else if (slot.type === 'enum') values = slot.values!.map((v) => Z.Int.val(this.p.t.codes.get(v)!));
      else {
        const wide = !finiteDomain(slot);
        const lo = (slot.min ?? 0) - (wide ? 1 : 0);
        const hi = (slot.max ?? 0) + (wide ? 1 : 0);
        const step = slot.integer ? 1 : 0.1;
        const pts = new Set<number>();
        for (const c of this.p.constants.get(id) ?? []) for (const d of [c - step, c, c + step]) if (wide || (d >= lo && d <= hi)) pts.add(round(d));
        const inner = [...pts].filter((d) => !slot.integer || Number.isInteger(d)).sort((x, y) => x - y);
        values = [slot.integer ? Math.floor(lo) : lo, ...inner, slot.integer ? Math.ceil(hi) : hi].map((d) => (slot.integer ? Z.Int.val(d) : real(Z, d)));
      }
      probes.push({ x: this.em.value.get(id)!, known: this.em.slotKnown(id), values });
    }
    if (!probes.length) return f;
    const out: Z[] = [];
    for (const end of [0, 1]) out.push(Z.substitute(f, ...probes.map((q) => [q.x, Z.If(q.known, q.x, q.values[end ? q.values.length - 1 : 0])] as [Z, Z])));
    for (const q of probes) for (const v of q.values) out.push(Z.substitute(f, [q.x, Z.If(q.known, q.x, v)]));
    return Z.And(...out);
  }

  /**
   * F for every completion: for every value of each slot in the cone of `irs` that is not known
   * (and every length of a list that is not known), F holds. What the interpreter needs to decide
   * F (it is sound: a decided value is the value of every completion; presence stays as it is).
   * A quantified query (one alternation), asked only when the quantifier-free one is satisfiable.
   */
  forallUnknown(f: Z, irs: IR[], maxCopies = EXPAND_COPIES): Z {
    const Z = this.Z;
    const cone = new Set<string>();
    for (const ir of irs) slotsOf(ir, cone);
    // The quantifier costs the solver seconds even over a handful of slots: first eliminate it
    // exactly where a slot has a few representative values (booleans, enums, list lengths, small
    // integer ranges, numbers compared only with constants: a point in each interval the
    // constants cut), as a conjunction of copies of F, one per value, while the copies stay few;
    // only the slots left over are quantified.
    const points = representatives(this.p, irs, cone, this.em.sqrts);
    const order = [...cone].filter((id) => points.has(id)).sort((a, b) => points.get(a)!.length - points.get(b)!.length || (a < b ? -1 : 1));
    let copies = 1;
    let g = f;
    const expanded = new Set<string>();
    for (const id of order) {
      const vs = points.get(id)!;
      if (copies * vs.length > maxCopies) break;
      copies *= vs.length;
      expanded.add(id);
      const list = this.p.t.lists.get(id);
      const x = list ? this.em.length.get(id)! : this.em.value.get(id)!;
      const known = list ? this.em.known.get(id)! : this.em.slotKnown(id);
      const slot = this.p.t.slots.get(id);
      const val = (v: number | boolean | string): Z => (typeof v === 'boolean' ? Z.Bool.val(v) : typeof v === 'string' ? Z.Int.val(this.p.t.codes.get(v)!) : list || slot!.type === 'enum' || slot!.integer ? Z.Int.val(v) : real(Z, v));
      const cur = g;
      g = vs.length === 1 ? Z.substitute(cur, [x, Z.If(known, x, val(vs[0]))]) : Z.And(...vs.map((v) => Z.substitute(cur, [x, Z.If(known, x, val(v))])));
    }
    const ys: Z[] = [];
    const pairs: [Z, Z][] = [];
    const hyp: Z[] = [];
    for (const id of cone) {
      if (expanded.has(id)) continue;
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
      // A number without a finite domain (not a small integer range) is, while absent, an unknown
      // the interpreter knows nothing about: it never reads the plausible range, so what it decides
      // holds for every number, and the completion may range over all of them. That is much
      // tighter: "size >= 0.1" holds for every size in the range 0.1..30, but the interpreter
      // does not decide it while the size is absent, and neither does this query now.
      if (slot.type === 'num' && finiteDomain(slot)) {
        if (slot.min !== undefined) hyp.push(slot.integer ? y.ge(Math.ceil(slot.min)) : y.ge(real(Z, slot.min)));
        if (slot.max !== undefined) hyp.push(slot.integer ? y.le(Math.floor(slot.max)) : y.le(real(Z, slot.max)));
      }
      hyp.push(Z.Implies(this.em.slotKnown(id), y.eq(x)));
    }
    if (!ys.length) return g;
    // a square root over a completed operand is the completion's root: a fresh bound r' with
    // r' >= 0 and r' * r' = the substituted operand (not the root of the patient's own value)
    for (const q of this.em.sqrts) {
      if (![...slotsOf(q.ir)].some((x) => cone.has(x))) continue;
      const r = Z.Real.const(`all|sqrt|${ys.length}`);
      ys.push(r);
      hyp.push(r.ge(0), r.mul(r).eq(Z.substitute(q.arg, ...pairs)));
      pairs.push([q.r, r]);
    }
    return Z.ForAll(ys, Z.Implies(Z.And(...hyp), Z.substitute(g, ...pairs)));
  }

  allKnown(): Z {
    return this.Z.And(...[...this.em.known.values()]);
  }
}

/** A reproduced witness rounded to the inputs' precision when the rounded one still reproduces (else the exact one, rounded: false). */
function rounded(p: Prepared, facts: Record<string, JsonValue>, check: (f: Record<string, JsonValue>) => boolean): Witness {
  const r = roundWitness(p.t, facts, p.constants, check);
  return r ? { facts: r, reproduced: true, ...(r !== facts ? { rounded: true } : {}) } : { facts, reproduced: true, rounded: false };
}

/** Most copies of a formula the exact elimination of a quantifier makes (forallUnknown). */
const EXPAND_COPIES = 256;

/**
 * For each slot of the cone whose every value behaves like one of a few (the quantifier over it
 * can be replaced by a conjunction over them, exactly): booleans both values, enums every value,
 * a list's length 0..bound, a small integer range every value, and a number that the cone only
 * compares with constants (or tests with \`in\` against numbers) a point in each interval the
 * constants cut, the constants themselves included; for a number without a finite domain over
 * the whole line (forallUnknown: the interpreter ignores its range). A slot under a square root,
 * or read any other way (arithmetic, compared with another quantity), is left out: it stays
 * quantified.
 */
function representatives(p: Prepared, irs: IR[], cone: Set<string>, sqrts: { ir: IR }[]): Map<string, (number | boolean | string)[]> {
  const constants = new Map<string, Set<number>>();
  const other = new Set<string>();
  for (const q of sqrts) slotsOf(q.ir, other);
  const seen = new Set<IR>();
  const walk = (ir: IR): void => {
    if (seen.has(ir)) return;
    seen.add(ir);
    const numVal = (x: IR) => x.op === 'val' && p.t.slots.get(x.slot)?.type === 'num';
    const note = (slot: string, cs: number[]) => { if (!constants.has(slot)) constants.set(slot, new Set()); for (const c of cs) constants.get(slot)!.add(c); };
    if (ir.op === 'cmp' && (numVal(ir.a) || numVal(ir.b))) {
      const [x, y] = numVal(ir.a) ? [ir.a, ir.b] : [ir.b, ir.a];
      if (y.op === 'const' && typeof y.value === 'number') { note((x as { slot: string }).slot, [y.value]); return; }
    }
    if (ir.op === 'in' && numVal(ir.a) && ir.set.every((v) => typeof v === 'number')) { note((ir.a as { slot: string }).slot, ir.set as number[]); return; }
    if (ir.op === 'val' && p.t.slots.get(ir.slot)?.type === 'num') other.add(ir.slot);
    for (const c of children(ir)) walk(c);
  };
  for (const ir of irs) walk(ir);
  const out = new Map<string, (number | boolean | string)[]>();
  for (const id of cone) {
    if (other.has(id)) continue;
    const list = p.t.lists.get(id);
    if (list) { out.set(id, Array.from({ length: list.bound + 1 }, (_, i) => i)); continue; }
    const slot = p.t.slots.get(id);
    if (!slot) continue;
    if (slot.type === 'bool') { out.set(id, [false, true]); continue; }
    if (slot.type === 'enum') { out.set(id, [...slot.values!]); continue; }
    if (finiteDomain(slot)) { out.set(id, Array.from({ length: slot.max! - slot.min! + 1 }, (_, i) => slot.min! + i)); continue; }
    const cs = [...(constants.get(id) ?? [])].sort((a, b) => a - b);
    if (!cs.length) { out.set(id, [0]); continue; }
    const pts = new Set<number>();
    if (slot.integer) for (const c of cs) for (const d of [Math.floor(c) - 1, Math.floor(c), Math.ceil(c), Math.ceil(c) + 1]) pts.add(d);
    else {
      pts.add(cs[0] - 1);
      pts.add(cs[cs.length - 1] + 1);
      cs.forEach((c, i) => { pts.add(c); if (i + 1 < cs.length) pts.add((c + cs[i + 1]) / 2); });
    }
    out.set(id, [...pts].sort((a, b) => a - b));
  }
  return out;
}

/** The interpreter's finite domain of a number (engine/runtime/logic.ts): an integer range of fewer than 12 steps. */
function finiteDomain(s: { integer?: boolean; min?: number; max?: number }): boolean {
  return s.integer === true && Number.isInteger(s.min) && Number.isInteger(s.max) && s.max! >= s.min! && s.max! - s.min! < 12;
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
  const done = (f: Omit<InvariantFinding, 'id' | 'title' | 'ms' | 'method'>): InvariantFinding => {
    // a reproduced witness in the inputs' precision, re-checked with the interpreter
    if (f.witness?.reproduced) f = { ...f, witness: rounded(p, f.witness.facts, (x) => broken(x).length > 0) };
    return { id: inv.id, title: inv.title, ms: Math.round(performance.now() - t0), method: 'z3', ...f };
  };
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
      // No Kleene-decided violation: tighten, one forbidden clause at a time. The interpreter
      // breaks the invariant only when `when` and one clause are each decided true, i.e. true for
      // every completion of the missing facts: "for all completions (when and c)" for one c. The
      // disjunction over the clauses asked at once ("for all completions, when and some clause")
      // is much weaker (a nodule under 1 cm applies one clause, one of 1 cm or more another) and
      // the quantified solver gives up on it. Per clause, the query also reads only that clause's
      // cone of inputs. First over the absent facts whose presence is seen, then (quantified)
      // over every completion.
      for (let i = 0; i < forbidden.length; i++) {
        const one = Z.And(w.v, applies[i].v);
        if ((await s.check([one])).status === 'unsat') continue;
        const irs = [when, appliesIR(forbidden[i])];
        const absent = await s.check([s.forallAbsent(one, irs)]);
        if (absent.status === 'unsat') { quantifiedProof = true; continue; }
        if ((await s.check([s.forallProbes(one, irs)])).status === 'unsat') { quantifiedProof = true; continue; }
        const exact = await s.sliced([s.forallUnknown(one, irs)], irs, s.quantifiedTimeoutMs);
        if (exact.status === 'unsat') { quantifiedProof = true; continue; }
        const facts = exact.model ? s.facts(exact.model) : undefined;
        const b = facts ? broken(facts) : [];
        return done({ status: b.length ? 'refuted' : 'unknown', clause: forbidden[i].key, ...(facts ? { witness: { facts, reproduced: b.length > 0 } } : {}), ...(b.length ? {} : { reason: exact.status === 'unknown' ? 'the solver gave up on the quantified query' : 'a patient every completion of whom breaks it exists, but the interpreter does not decide it' }) });
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
        // `none` reads Kleene decidedness only, which the completion of the absent facts does not
        // change (k reads a value only under a k of its own): it stays outside the quantifier, and
        // the quantified part is `when` alone, over its own cone of inputs.
        const irs = [when];
        const absent = await s.check([s.forallAbsent(w.v, irs), none]);
        const probed = absent.status === 'unsat' ? absent : await s.check([s.forallProbes(w.v, irs), none]);
        const exact = probed.status === 'unsat' ? probed : await s.sliced([s.forallUnknown(w.v, irs), none], [when, ...targets(p, t).map(appliesIR)], s.quantifiedTimeoutMs);
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

/**
 * What a "switch away" intervention switches away from: the code `switch_from_<x>` (the way the
 * guideline names them, e.g. switch_from_tace) names x, and x covers the interventions whose code
 * is x or has a part (between underscores) that ends with x: ctace, selective_ctace, deb_tace and
 * ctace_plus_ebrt for tace.
 */
export function switchedFrom(code: string): ((intervention: string) => boolean) | undefined {
  const m = /^switch_(?:away_)?from_(.+)$/.exec(code);
  if (!m) return undefined;
  const x = m[1];
  return (i) => i === x || i.split('_').some((part) => part.endsWith(x));
}

/** A clause that offers X as the primary choice (role primary) against one that says to switch away from X. */
function switchPairs(p: Prepared): [ClauseRef, ClauseRef][] {
  const offers = (c: ClauseRef) => c.action === 'recommend' || c.action === 'consider';
  const primary = p.clauses.filter((c) => offers(c) && c.option === undefined && c.rule.clauses[c.index].action.role === 'primary');
  const out: [ClauseRef, ClauseRef][] = [];
  for (const b of p.clauses) {
    const from = offers(b) ? switchedFrom(b.intervention) : undefined;
    if (!from) continue;
    for (const a of primary) if (from(a.intervention) && a.key !== b.key) out.push([a, b]);
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
  const witness = (facts: Record<string, JsonValue>, check: (f: Record<string, JsonValue>) => boolean): Witness => (check(facts) ? rounded(p, facts, check) : { facts, reproduced: false });
  const lap = (k: keyof typeof ms, start: number) => { ms[k] = Math.round(performance.now() - start); };

  if (parts.has('invariants')) {
    const start = performance.now();
    for (const inv of g.nodes.filter((n): n is InvariantNode => n.kind === 'invariant' && (!options.invariants || options.invariants(n.id)))) report.invariants.push(await analyzeInvariant(s, inv));
    lap('invariants', start);
  }

  if (parts.has('conflicts')) {
    const start = performance.now();
    const pairs = [...conflictPairs(p).map((x) => [...x, 'recommend-vs-not-recommended'] as const), ...switchPairs(p).map((x) => [...x, 'primary-vs-switch'] as const)];
    for (const [a, b, kind] of pairs) {
      const q0 = performance.now();
      const x = s.holds(appliesIR(a));
      const y = s.holds(appliesIR(b));
      const r = await s.check([x.v, x.k, y.v, y.k]);
      if (r.status !== 'sat') continue;
      const facts = s.facts(r.model);
      report.conflicts.push({
        intervention: a.intervention,
        a: { clause: a.key, action: a.action },
        b: { clause: b.key, action: b.action, ...(kind === 'primary-vs-switch' ? { intervention: b.intervention } : {}) },
        witness: witness(facts, (f) => statusOfClause(g, f, a) === 'applies' && statusOfClause(g, f, b) === 'applies'),
        ms: Math.round(performance.now() - q0),
        kind,
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
