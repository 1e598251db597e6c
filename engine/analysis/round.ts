// Witness patients in the input's precision (issue 13). The solver's model may give a bilirubin of
// 1.99999 or 59.55 s where the dictionary records one decimal: a witness a person can type into a
// case has each number rounded to its input's precision, and must still reproduce. The precision
// of a number: an integer input whole numbers; any other as many decimals as its range ends and
// the constants the guideline compares it with use, at least one (the step stepOf gives the
// boundaries). The rounded witness is re-checked with the interpreter; when rounding breaks it,
// each changed number in turn is moved a few steps either way from its rounded value (inside the
// range) until the witness reproduces; failing that the exact witness is kept.
import type { JsonValue } from '../runtime/index.ts';
import { slotId, type Slot, type Translation } from './ir.ts';

type Facts = Record<string, JsonValue>;

const decimals = (x: number) => (Number.isInteger(x) ? 0 : (String(x).split('.')[1] ?? '').replace(/e.*$/i, '').length);

/** Decimals of a number slot: 0 for an integer, else the most its range ends and its compared constants use (at least 1). */
export function precisionOf(s: Slot, constants: Set<number> | undefined): number {
  if (s.integer) return 0;
  let d = 1;
  for (const x of [s.min, s.max, ...(constants ?? [])]) if (typeof x === 'number') d = Math.max(d, decimals(x));
  return Math.min(d, 6);
}

interface NumberAt { get: (f: Facts) => number; set: (f: Facts, v: number) => void; slot: Slot; decimals: number }

/** Every number of a facts object with its slot (scalars and list item fields). */
function numbersOf(t: Translation, facts: Facts, constants: Map<string, Set<number>>): NumberAt[] {
  const out: NumberAt[] = [];
  for (const [id, v] of Object.entries(facts)) {
    const s = t.slots.get(id);
    if (s && s.type === 'num' && typeof v === 'number') {
      out.push({ slot: s, decimals: precisionOf(s, constants.get(id)), get: (f) => f[id] as number, set: (f, x) => { f[id] = x; } });
      continue;
    }
    const list = t.lists.get(id);
    if (!list || !Array.isArray(v)) continue;
    v.forEach((item, i) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) return;
      for (const [field, x] of Object.entries(item)) {
        const s2 = t.slots.get(slotId(id, Math.min(i, list.bound - 1), field));
        if (!s2 || s2.type !== 'num' || typeof x !== 'number') continue;
        const cs = constants.get(slotId(id, i, field));
        out.push({ slot: s2, decimals: precisionOf(s2, cs), get: (f) => ((f[id] as Facts[])[i][field] as number), set: (f, y) => { (f[id] as Facts[])[i][field] = y; } });
      }
    });
  }
  return out;
}

const roundTo = (x: number, d: number) => Number((Math.round(x * 10 ** d) / 10 ** d).toFixed(d));
const clamp = (x: number, s: Slot) => Math.min(s.max ?? Infinity, Math.max(s.min ?? -Infinity, x));

/**
 * The witness with every number in its input's precision, if it still passes `check` (the
 * interpreter reproduces the finding); undefined when no nearby rounded witness does (or nothing
 * needed rounding: then the facts are returned as they are).
 */
export function roundWitness(t: Translation, facts: Facts, constants: Map<string, Set<number>>, check: (f: Facts) => boolean, reach = 3): Facts | undefined {
  const nums = numbersOf(t, facts, constants);
  const rounded = structuredClone(facts);
  const changed: NumberAt[] = [];
  for (const n of nums) {
    const x = n.get(facts);
    const r = clamp(roundTo(x, n.decimals), n.slot);
    if (r !== x) { n.set(rounded, r); changed.push(n); }
  }
  if (!changed.length) return facts;
  if (check(rounded)) return rounded;
  for (const n of changed) {
    const base = n.get(rounded);
    const step = 10 ** -n.decimals;
    for (let k = 1; k <= reach; k++) {
      for (const v of [base + k * step, base - k * step].map((y) => roundTo(y, n.decimals))) {
        if (v < (n.slot.min ?? -Infinity) || v > (n.slot.max ?? Infinity)) continue;
        const trial = structuredClone(rounded);
        n.set(trial, v);
        if (check(trial)) return trial;
      }
    }
  }
  return undefined;
}
