// The IR emitted to Z3 (z3-solver, the WebAssembly build; imported lazily, so nothing else pays
// for it). Every slot is a pair of constants: known_<slot> (Bool) and its value (Bool for a
// boolean, Int code for an enum, Real for a number: in the dictionary's plausible range, integral
// where the dictionary says so); every list a known flag and a length 0..bound. Each IR node gives
// {k, v} with the same meaning as evalIR (ir.ts).
import type { Assignment, IR, Slot, Translation, Ty } from './ir.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Z = any;
type Expr = any;

export interface Z3Value { ty: Ty; b?: Expr; n?: Expr; s?: Expr; tag?: Expr }
export interface Z3Tri { k: Expr; v: Z3Value }

const TAG = { null: 0, bool: 1, num: 2, str: 3 } as const;

let loading: Promise<Z> | undefined;

/** The Z3 context, loaded once. Throws a clear error when z3-solver is not installed. */
export async function z3Context(): Promise<Z> {
  loading ??= (async () => {
    let mod: any;
    try {
      mod = await import('z3-solver');
    } catch {
      throw new Error('the analysis needs z3-solver, a devDependency of this package: run `npm install` (or `npm install --save-dev z3-solver@4.15.4`).');
    }
    const { Context } = await mod.init();
    return Context('analysis');
  })();
  return loading;
}

export class Emitter {
  readonly known = new Map<string, Expr>();
  readonly value = new Map<string, Expr>();
  readonly length = new Map<string, Expr>();
  /** the domain constraints of every slot */
  readonly domain: Expr[] = [];
  /** the domain constraints of each slot and list (the length), for a solver sliced to a cone */
  readonly domainOf = new Map<string, Expr[]>();
  /** every square root emitted: its constant r (r >= 0, r * r = arg, in the domain) and its operand */
  readonly sqrts: { r: Expr; arg: Expr; ir: IR }[] = [];
  private memo = new Map<IR, Z3Tri>();

  constructor(readonly Z: Z, readonly t: Translation) {
    for (const s of t.slots.values()) this.declare(s);
    for (const l of t.lists.values()) {
      this.known.set(l.id, Z.Bool.const(`known|${l.id}`));
      const len = Z.Int.const(`len|${l.id}`);
      this.length.set(l.id, len);
      this.domain.push(len.ge(0), len.le(l.bound));
      this.domainOf.set(l.id, [len.ge(0), len.le(l.bound)]);
    }
  }

  private declare(s: Slot): void {
    const before = this.domain.length;
    this.declareUnrecorded(s);
    this.domainOf.set(s.id, this.domain.slice(before));
  }

  private declareUnrecorded(s: Slot): void {
    const Z = this.Z;
    this.known.set(s.id, Z.Bool.const(`known|${s.id}`));
    if (s.type === 'bool') this.value.set(s.id, Z.Bool.const(`val|${s.id}`));
    else if (s.type === 'enum') {
      const x = Z.Int.const(`val|${s.id}`);
      this.value.set(s.id, x);
      this.domain.push(Z.Or(...s.values!.map((v) => x.eq(this.t.codes.get(v)!))));
    } else if (s.integer) {
      // integers as Int constants (read as reals through ToReal): no IsInt axioms for the solver
      const x = Z.Int.const(`val|${s.id}`);
      this.value.set(s.id, x);
      if (s.min !== undefined) this.domain.push(x.ge(Math.ceil(s.min)));
      if (s.max !== undefined) this.domain.push(x.le(Math.floor(s.max)));
    } else {
      const x = Z.Real.const(`val|${s.id}`);
      this.value.set(s.id, x);
      if (s.min !== undefined) this.domain.push(x.ge(real(Z, s.min)));
      if (s.max !== undefined) this.domain.push(x.le(real(Z, s.max)));
    }
  }

  slotKnown(slot: string): Expr {
    const k = this.known.get(slot)!;
    const l = slot.indexOf('[');
    return l > 0 ? this.Z.And(k, this.known.get(slot.slice(0, l))!) : k;
  }

  emit(ir: IR): Z3Tri {
    const hit = this.memo.get(ir);
    if (hit) return hit;
    const r = this.emitUncached(ir);
    this.memo.set(ir, r);
    return r;
  }

  truthy(x: Z3Value): Expr {
    const Z = this.Z;
    switch (x.ty) {
      case 'bool': return x.b;
      case 'num': return x.n.neq(0);
      case 'str': return x.s.neq(this.t.codes.get('')!);
      case 'null': return Z.Bool.val(false);
      case 'mix': return Z.Or(Z.And(x.tag.eq(TAG.bool), x.b), Z.And(x.tag.eq(TAG.num), x.n.neq(0)), Z.And(x.tag.eq(TAG.str), x.s.neq(this.t.codes.get('')!)));
    }
  }

  private mix(x: Z3Value): Z3Value {
    const Z = this.Z;
    if (x.ty === 'mix') return x;
    return {
      ty: 'mix',
      tag: Z.Int.val(TAG[x.ty as 'bool']),
      b: x.ty === 'bool' ? x.b : Z.Bool.val(false),
      n: x.ty === 'num' ? x.n : Z.Real.val(0),
      s: x.ty === 'str' ? x.s : Z.Int.val(0),
    };
  }

  /** Equal values (json-logic loose ==, on the types the guideline compares). */
  private eq(x: Z3Value, y: Z3Value): Expr {
    const Z = this.Z;
    if (x.ty === 'mix' || y.ty === 'mix' || x.ty !== y.ty) {
      if (x.ty !== 'mix' && y.ty !== 'mix') {
        // different static types: null == null only; a number and an enum code never (no enum value is numeric)
        if ((x.ty === 'bool' && y.ty === 'num') || (x.ty === 'num' && y.ty === 'bool')) {
          const [b, n] = x.ty === 'bool' ? [x, y] : [y, x];
          return n.n!.eq(Z.If(b.b, Z.Real.val(1), Z.Real.val(0)));
        }
        return Z.Bool.val(false);
      }
      const a = this.mix(x);
      const b = this.mix(y);
      return Z.And(a.tag.eq(b.tag), Z.Or(Z.And(a.tag.eq(TAG.null)), Z.And(a.tag.eq(TAG.bool), a.b.eq(b.b)), Z.And(a.tag.eq(TAG.num), a.n.eq(b.n)), Z.And(a.tag.eq(TAG.str), a.s.eq(b.s))));
    }
    switch (x.ty) {
      case 'bool': return x.b.eq(y.b);
      case 'num': return x.n.eq(y.n);
      case 'str': return x.s.eq(y.s);
      default: return Z.Bool.val(true);
    }
  }

  private ite(c: Expr, x: Z3Value, y: Z3Value, ty: Ty): Z3Value {
    const Z = this.Z;
    if (ty !== 'mix') {
      if (ty === 'bool') return { ty, b: Z.If(c, x.b, y.b) };
      if (ty === 'num') return { ty, n: Z.If(c, x.n, y.n) };
      if (ty === 'str') return { ty, s: Z.If(c, x.s, y.s) };
      return { ty };
    }
    const a = this.mix(x);
    const b = this.mix(y);
    return { ty: 'mix', tag: Z.If(c, a.tag, b.tag), b: Z.If(c, a.b, b.b), n: Z.If(c, a.n, b.n), s: Z.If(c, a.s, b.s) };
  }

  private emitUncached(ir: IR): Z3Tri {
    const Z = this.Z;
    const T = Z.Bool.val(true);
    switch (ir.op) {
      case 'const': {
        const v = ir.value;
        if (v === null) return { k: T, v: { ty: 'null' } };
        if (typeof v === 'boolean') return { k: T, v: { ty: 'bool', b: Z.Bool.val(v) } };
        if (typeof v === 'number') return { k: T, v: { ty: 'num', n: real(Z, v) } };
        return { k: T, v: { ty: 'str', s: Z.Int.val(this.t.codes.get(v)!) } };
      }
      case 'val': {
        const x = this.value.get(ir.slot)!;
        const slot = this.t.slots.get(ir.slot)!;
        const v: Z3Value = slot.type === 'bool' ? { ty: 'bool', b: x } : slot.type === 'num' ? { ty: 'num', n: slot.integer ? Z.ToReal(x) : x } : { ty: 'str', s: x };
        return { k: this.slotKnown(ir.slot), v };
      }
      case 'known': return { k: T, v: { ty: 'bool', b: this.known.get(ir.slot)! } };
      case 'inlist': return { k: this.known.get(ir.list)!, v: { ty: 'bool', b: this.length.get(ir.list)!.gt(ir.index) } };
      case 'not': { const x = this.emit(ir.a); return { k: x.k, v: { ty: 'bool', b: Z.Not(this.truthy(x.v)) } }; }
      case 'truthy': { const x = this.emit(ir.a); return { k: x.k, v: { ty: 'bool', b: this.truthy(x.v) } }; }
      case 'and': case 'or': {
        const xs = ir.args.map((a) => this.emit(a));
        const bs = xs.map((x) => x.v.b);
        const v = ir.op === 'and' ? Z.And(...bs) : Z.Or(...bs);
        const decisive = xs.map((x) => Z.And(x.k, ir.op === 'and' ? Z.Not(x.v.b) : x.v.b));
        return { k: Z.Or(Z.And(...xs.map((x) => x.k)), ...decisive), v: { ty: 'bool', b: v } };
      }
      case 'ite': {
        const c = this.emit(ir.c);
        const a = this.emit(ir.a);
        const b = this.emit(ir.b);
        const cv = c.v.b;
        const v = this.ite(cv, a.v, b.v, ir.ty);
        const k = Z.Or(Z.And(c.k, Z.If(cv, a.k, b.k)), Z.And(a.k, b.k, this.eq(a.v, b.v)));
        return { k, v };
      }
      case 'cmp': {
        const a = this.emit(ir.a);
        const b = this.emit(ir.b);
        let v: Expr;
        if (ir.k === '==') v = this.eq(a.v, b.v);
        else if (ir.k === '!=') v = Z.Not(this.eq(a.v, b.v));
        else {
          const x = a.v.n;
          const y = b.v.n;
          v = ir.k === '<' ? x.lt(y) : ir.k === '<=' ? x.le(y) : ir.k === '>' ? x.gt(y) : x.ge(y);
        }
        return { k: Z.And(a.k, b.k), v: { ty: 'bool', b: v } };
      }
      case 'arith': {
        const xs = ir.args.map((a) => this.emit(a));
        const n = xs.map((x) => x.v.n);
        let v: Expr;
        switch (ir.k) {
          case '+': v = n.reduce((s: Expr, x: Expr) => s.add(x)); break;
          case '*': v = n.reduce((s: Expr, x: Expr) => s.mul(x)); break;
          case '-': v = n[0].sub(n[1]); break;
          case '/': v = n[0].div(n[1]); break;
          case 'max': v = n.reduce((s: Expr, x: Expr) => Z.If(s.ge(x), s, x)); break;
          case 'min': v = n.reduce((s: Expr, x: Expr) => Z.If(s.le(x), s, x)); break;
          case 'neg': v = n[0].neg(); break;
          case 'sqrt': {
            // the non-negative root, as a fresh constant r: r >= 0, r * r = x (x >= 0 by the domain)
            const r = Z.Real.const(`sqrt|${this.memo.size}`);
            this.domain.push(r.ge(0), r.mul(r).eq(n[0]));
            this.sqrts.push({ r, arg: n[0], ir: (ir as { args: IR[] }).args[0] });
            v = r;
            break;
          }
        }
        return { k: Z.And(...xs.map((x) => x.k)), v: { ty: 'num', n: v } };
      }
      case 'in': {
        const x = this.emit(ir.a);
        const alts = ir.set.map((s) => this.eq(x.v, typeof s === 'number' ? { ty: 'num', n: real(Z, s) } : { ty: 'str', s: Z.Int.val(this.t.codes.get(s)!) }));
        return { k: x.k, v: { ty: 'bool', b: Z.Or(...alts) } };
      }
    }
  }

  /** Constraints fixing every slot to an assignment (for checking Z3 against evalIR). */
  fix(a: Assignment): Expr[] {
    const Z = this.Z;
    const out: Expr[] = [];
    for (const [id, k] of this.known) out.push(k.eq(Z.Bool.val(a.known.get(id) ?? false)));
    for (const [id, len] of this.length) out.push(len.eq(a.length.get(id) ?? 0));
    for (const [id, x] of this.value) {
      const s = this.t.slots.get(id)!;
      const v = a.value.get(id);
      if (s.type === 'bool') out.push(x.eq(Z.Bool.val(v === true)));
      else if (s.type === 'enum') out.push(x.eq(this.t.codes.get(String(v))!));
      else if (s.integer) out.push(x.eq(Math.round(Number(v))));
      else out.push(x.eq(real(Z, Number(v))));
    }
    return out;
  }

  /** The assignment of a model. */
  assignment(model: Expr): Assignment {
    const value = new Map<string, import('../runtime/index.ts').JsonValue>();
    const known = new Map<string, boolean>();
    const length = new Map<string, number>();
    const decode = new Map([...this.t.codes].map(([s, c]) => [c, s]));
    for (const [id, k] of this.known) known.set(id, isTrue(model.eval(k, true)));
    for (const [id, len] of this.length) length.set(id, Number(model.eval(len, true).value()));
    for (const [id, x] of this.value) {
      const s = this.t.slots.get(id)!;
      const m = model.eval(x, true);
      if (s.type === 'bool') value.set(id, isTrue(m));
      else if (s.type === 'enum') value.set(id, decode.get(Number(m.value())) ?? s.values![0]);
      else if (s.integer) value.set(id, Number(m.value()));
      else value.set(id, numberOf(m));
    }
    return { value, known, length };
  }
}

function isTrue(e: Expr): boolean { return e.sexpr() === 'true'; }

/** A model's number: exact rationals as JS numbers (rounded to 12 significant digits), algebraic ones by decimal. */
function numberOf(m: Expr): number {
  if (typeof m.value === 'function') {
    const { numerator, denominator } = m.value();
    return Number(numerator) / Number(denominator);
  }
  return Number.parseFloat(m.asDecimal ? m.asDecimal(12).replace('?', '') : m.sexpr());
}

export function real(Z: Z, x: number): Expr {
  if (Number.isInteger(x)) return Z.Real.val(x);
  // exact decimal: 3.5 -> 35/10
  const s = String(x);
  if (/e/i.test(s)) return Z.Real.val(x);
  const [i, f] = s.split('.');
  const den = 10n ** BigInt(f.length);
  return Z.Real.val(`${BigInt(i + f)}/${den}`);
}
