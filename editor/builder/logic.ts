// The condition builder's reading of JSON-Logic: which shapes the form can show and edit, the
// dictionary it picks facts from, and edits of a document at a JSON pointer. Everything the form
// cannot represent is "unsupported": shown read-only and left exactly as written.
import type { Guideline, JsonValue, Logic } from '../../engine/runtime/index.ts';

export interface Entry {
  id: string;
  kind: 'fact' | 'definition';
  title: string;
  type: 'number' | 'boolean' | 'enum' | 'list';
  unit?: string;
  minimum?: number;
  maximum?: number;
  values?: { value: string; label: string }[];
}
export type Dict = Map<string, Entry>;

export function dictOf(g: Guideline): Dict {
  const out: Dict = new Map();
  for (const i of g.inputs) out.set(i.id, { id: i.id, kind: 'fact', title: i.title, type: i.type, unit: i.unit, minimum: i.minimum, maximum: i.maximum, values: i.values });
  for (const n of g.nodes) if (n.kind === 'definition') out.set(n.id, { id: n.id, kind: 'definition', title: n.title ?? n.id, type: n.type, unit: n.unit, values: n.values });
  return out;
}

export const COMPARE_OPS = ['==', '!=', '<', '<=', '>', '>=', '===', '!=='] as const;
export const OP_WORDS: Record<string, string> = { '==': 'is', '===': 'is (strictly)', '!=': 'is not', '!==': 'is not (strictly)', '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

type Obj = { [k: string]: JsonValue };
const isObj = (l: unknown): l is Obj => !!l && typeof l === 'object' && !Array.isArray(l);
const single = (l: unknown): [string, JsonValue] | undefined => {
  if (!isObj(l)) return undefined;
  const keys = Object.keys(l);
  return keys.length === 1 ? [keys[0], l[keys[0]]] : undefined;
};
const isLiteral = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** A plain read of a fact or definition by name ({"var": "albumin"}), without a default. */
export function varName(l: unknown, dict: Dict): string | undefined {
  const s = single(l);
  if (!s || s[0] !== 'var') return undefined;
  const raw = Array.isArray(s[1]) ? (s[1].length === 1 ? s[1][0] : undefined) : s[1];
  return typeof raw === 'string' && dict.has(raw) ? raw : undefined;
}

export type Shape =
  | { kind: 'group'; op: 'and' | 'or'; args: JsonValue[] }
  | { kind: 'not'; inner: JsonValue; key: string }
  | { kind: 'fact'; name: string }
  | { kind: 'compare'; op: string; name: string; varIndex: 0 | 1; value: string | number | boolean }
  | { kind: 'between'; op: '<' | '<='; name: string; low: number; high: number }
  | { kind: 'in'; name: string; values: string[] }
  | { kind: 'if'; args: JsonValue[] }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'unsupported' };

export function shapeOf(l: Logic, dict: Dict): Shape {
  if (isLiteral(l)) return { kind: 'literal', value: l };
  const s = single(l);
  if (!s) return { kind: 'unsupported' };
  const [op, raw] = s;
  if ((op === 'and' || op === 'or') && Array.isArray(raw) && raw.length > 0) return { kind: 'group', op, args: raw };
  if (op === '!') {
    if (Array.isArray(raw)) return raw.length === 1 ? { kind: 'not', inner: raw[0], key: '!/0' } : { kind: 'unsupported' };
    return { kind: 'not', inner: raw, key: '!' };
  }
  if (op === 'var') { const name = varName(l, dict); return name ? { kind: 'fact', name } : { kind: 'unsupported' }; }
  if (op === 'if' && Array.isArray(raw) && raw.length >= 3 && raw.length % 2 === 1) return { kind: 'if', args: raw };
  if ((COMPARE_OPS as readonly string[]).includes(op) && Array.isArray(raw) && raw.length === 2) {
    const a = varName(raw[0], dict);
    const b = varName(raw[1], dict);
    if (a && isLiteral(raw[1])) return { kind: 'compare', op, name: a, varIndex: 0, value: raw[1] };
    if (b && isLiteral(raw[0])) return { kind: 'compare', op, name: b, varIndex: 1, value: raw[0] };
  }
  if ((op === '<' || op === '<=') && Array.isArray(raw) && raw.length === 3) {
    const name = varName(raw[1], dict);
    if (name && typeof raw[0] === 'number' && typeof raw[2] === 'number') return { kind: 'between', op, name, low: raw[0], high: raw[2] };
  }
  if (op === 'in' && Array.isArray(raw) && raw.length === 2) {
    const name = varName(raw[0], dict);
    if (name && Array.isArray(raw[1]) && raw[1].every((x) => typeof x === 'string')) return { kind: 'in', name, values: raw[1] as string[] };
  }
  return { kind: 'unsupported' };
}

const escapeSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const child = (pointer: string, ...segs: (string | number)[]) => `${pointer}${segs.map((s) => `/${escapeSegment(String(s))}`).join('')}`;

/**
 * The stable selector of a number field holding a threshold (a comparison's constant): the JSON
 * pointer of that constant in the document with every "/" replaced by "~", e.g. the albumin
 * threshold of child_pugh_albumin_points, /expr/if/0/>/1, is data-testid="threshold-~expr~if~0~>~1".
 */
export const thresholdTestId = (pointer: string) => `threshold-${pointer.replace(/\//g, '~')}`;

/** A copy of the document with the value at a pointer replaced (undefined: the member removed). */
export function setAt<T>(doc: T, pointer: string, value: JsonValue | undefined): T {
  if (!pointer) return value as T;
  const copy = structuredClone(doc) as unknown as JsonValue;
  const segs = pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur = copy as Obj | JsonValue[];
  for (const seg of segs.slice(0, -1)) cur = (cur as Obj)[seg] as Obj;
  const last = segs[segs.length - 1];
  if (Array.isArray(cur)) {
    if (value === undefined) cur.splice(Number(last), 1); else cur[Number(last)] = value;
  } else if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy as unknown as T;
}

/** A fresh condition on a name: a comparison that fits its type. */
export function conditionOn(e: Entry): JsonValue {
  if (e.type === 'boolean') return { var: e.id };
  if (e.type === 'enum') return { '==': [{ var: e.id }, e.values?.[0]?.value ?? ''] };
  if (e.type === 'number') return { '>=': [{ var: e.id }, e.minimum ?? 0] };
  return { var: e.id };
}

/** The comparison's value kept or reset when the fact changes type. */
export function valueFor(e: Entry, old: string | number | boolean): string | number | boolean {
  if (e.type === 'number') return typeof old === 'number' ? old : e.minimum ?? 0;
  if (e.type === 'boolean') return typeof old === 'boolean' ? old : true;
  if (e.type === 'enum') return typeof old === 'string' && e.values?.some((v) => v.value === old) ? old : e.values?.[0]?.value ?? '';
  return old;
}

export function rangeText(e: Entry): string {
  if (e.type === 'number') {
    const r = e.minimum !== undefined || e.maximum !== undefined ? `${e.minimum ?? '…'}–${e.maximum ?? '…'}` : '';
    return [e.unit, r ? `plausible ${r}` : ''].filter(Boolean).join('; ');
  }
  if (e.type === 'enum') return `${e.values?.length ?? 0} values`;
  return e.type === 'boolean' ? 'yes / no' : e.type;
}
