// Writing a document back to disk: the key order documents already use (kind, id, title, ...,
// then any other key in its present order), two-space JSON and a final newline, so that an edit
// saved by the editor shows in a review diff as the lines that changed and nothing else.
// Expressions (expr, when), facts and expectations keep their own key order.

const DOCUMENT_ORDER = [
  '$schema', 'kind', 'id', 'title', 'topic', 'subgroup', 'number', 'numberInText', 'description', 'type', 'unit',
  'minimum', 'maximum', 'integer', 'public', 'values', 'hint', 'items', 'statement', 'inTable2', 'applicability', 'population',
  'expr', 'when', 'forbid', 'require', 'reason', 'columns', 'rows', 'footnotes', 'clauses', 'source', 'facts', 'expect', 'citations', 'interpretations',
];
const CLAUSE_ORDER = ['id', 'text', 'grade', 'when', 'action'];
const ACTION_ORDER = ['type', 'intervention', 'label', 'role', 'options'];
const OPTION_ORDER = ['intervention', 'label', 'when'];
const TARGET_ORDER = ['intervention', 'actions', 'chapter'];
const CITATION_ORDER = ['section', 'recommendation', 'table', 'figure', 'references', 'quote'];
const INTERPRETATION_ORDER = ['about', 'category', 'text', 'reason'];
const ENUM_VALUE_ORDER = ['value', 'label'];
const FIELD_ORDER = ['title', 'description', 'type', 'unit', 'minimum', 'maximum', 'integer', 'values', 'hint', 'items'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (x: unknown): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);

function ordered(obj: Record<string, Json>, order: readonly string[], child: (key: string, v: Json) => Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of order) if (Object.prototype.hasOwnProperty.call(obj, k) && obj[k] !== undefined) out[k] = child(k, obj[k]);
  for (const k of Object.keys(obj)) if (!order.includes(k) && obj[k] !== undefined) out[k] = child(k, obj[k]);
  return out;
}

const list = (v: Json, f: (item: Json) => Json): Json => (Array.isArray(v) ? v.map(f) : v);
const obj = (order: readonly string[], inner: (k: string, v: Json) => Json = (_k, v) => v) => (v: Json): Json =>
  isObject(v) ? ordered(v, order, inner) : v;

const fieldChild = (k: string, v: Json): Json =>
  k === 'values' ? list(v, obj(ENUM_VALUE_ORDER))
  : k === 'items' && isObject(v) ? { ...v, ...(isObject(v.fields) ? { fields: Object.fromEntries(Object.entries(v.fields).map(([n, f]) => [n, obj(FIELD_ORDER, fieldChild)(f)])) } : {}) }
  : v;

function documentChild(k: string, v: Json): Json {
  switch (k) {
    case 'clauses': return list(v, obj(CLAUSE_ORDER, (ck, cv) => (ck === 'action' ? obj(ACTION_ORDER, (ak, av) => (ak === 'options' ? list(av, obj(OPTION_ORDER)) : av))(cv) : cv)));
    case 'forbid': case 'require': return list(v, obj(TARGET_ORDER));
    case 'citations': return list(v, obj(CITATION_ORDER));
    case 'interpretations': return list(v, obj(INTERPRETATION_ORDER));
    case 'values': case 'items': return fieldChild(k, v);
    default: return v;
  }
}

/** Reorder a guideline document's keys into the house order (a copy; the input is untouched). */
export function orderDocument<T>(doc: T): T {
  return (isObject(doc) ? ordered(doc as Record<string, Json>, DOCUMENT_ORDER, documentChild) : doc) as T;
}

/** The text of a document as it is stored: house key order, 2-space JSON, final newline. */
export function formatDocument(doc: unknown): string {
  return JSON.stringify(orderDocument(doc), null, 2) + '\n';
}
