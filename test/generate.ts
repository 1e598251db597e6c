// Patients generated from the data dictionary for property tests: seeded, deterministic. Every
// number is drawn from both sides of each threshold the guideline compares it with (and the
// threshold itself), plus its plausible range; every enum value and boolean occurs; a share of
// facts is left out (missing is not false), and list facts get 0-3 items.
import { collectVars } from '../engine/runtime/graph.ts';
import { expressionsOf } from '../engine/runtime/graph.ts';
import type { Field, Guideline, JsonValue, Logic } from '../engine/runtime/index.ts';
import { seeded as rng } from '../engine/analysis/ir.ts';

const COMPARE = new Set(['<', '<=', '>', '>=', '==', '===', '!=', '!==']);

/** Numbers each variable (input or list-item field, by name) is compared with anywhere. */
export function thresholds(g: Guideline): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const visit = (l: Logic) => {
    if (Array.isArray(l)) { l.forEach(visit); return; }
    if (l === null || typeof l !== 'object') return;
    const [op] = Object.keys(l);
    const args = (l as Record<string, JsonValue>)[op];
    if (COMPARE.has(op) && Array.isArray(args)) {
      const names = args.filter((a): a is { var: JsonValue } => !!a && typeof a === 'object' && !Array.isArray(a) && 'var' in a).map((a) => (Array.isArray(a.var) ? a.var[0] : a.var)).filter((n): n is string => typeof n === 'string');
      const nums = args.filter((a): a is number => typeof a === 'number');
      for (const n of names) for (const x of nums) { if (!out.has(n)) out.set(n, new Set()); out.get(n)!.add(x); }
    }
    visit(args as Logic);
  };
  for (const n of g.nodes) for (const e of expressionsOf(n)) visit(e.logic);
  void collectVars;
  return out;
}

function numberCandidates(f: Field, ts: Set<number> | undefined): number[] {
  const min = f.minimum ?? 0;
  const max = f.maximum ?? 100;
  const step = f.integer ? 1 : 0.1;
  const c = new Set<number>([min, max]);
  for (const t of ts ?? []) for (const x of [t - step, t, t + step]) if (x >= min && x <= max) c.add(f.integer ? Math.round(x) : Math.round(x * 10) / 10);
  return [...c];
}

function value(f: Field, name: string, ts: Map<string, Set<number>>, r: () => number): JsonValue {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  switch (f.type) {
    case 'boolean': return r() < 0.5;
    case 'enum': return pick(f.values!.map((v) => v.value));
    case 'number': {
      // mostly a threshold neighbour, sometimes anywhere in range
      if (r() < 0.8) return pick(numberCandidates(f, ts.get(name)));
      const x = (f.minimum ?? 0) + r() * ((f.maximum ?? 100) - (f.minimum ?? 0));
      return f.integer ? Math.round(x) : Math.round(x * 10) / 10;
    }
    case 'list': {
      const n = Math.floor(r() * 4);
      const items: JsonValue[] = [];
      for (let i = 0; i < n; i++) {
        const item: Record<string, JsonValue> = {};
        for (const [k, sub] of Object.entries(f.items!.fields)) if (r() < 0.92) item[k] = value(sub, k, ts, r);
        if ('line' in f.items!.fields) item.line = i + 1;
        items.push(item);
      }
      return items;
    }
  }
}

/** `count` patients, deterministic for a seed; about `missing` of facts left out. */
export function* patients(g: Guideline, count: number, seed = 1, missing = 0.1): Generator<Record<string, JsonValue>> {
  const r = rng(seed);
  const ts = thresholds(g);
  for (let i = 0; i < count; i++) {
    const facts: Record<string, JsonValue> = {};
    for (const input of g.inputs) {
      if (r() < missing) continue;
      if (input.id === 'hcc_diagnosed') { facts[input.id] = r() < 0.85; continue; }
      facts[input.id] = value(input, input.id, ts, r);
    }
    yield facts;
  }
}
