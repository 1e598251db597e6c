// Canonical JSON: object keys sorted, no insignificant whitespace. Used for hashes and goldens,
// so that the same content always gives the same bytes.
//
// Without indent this is the JSON Canonicalization Scheme, RFC 8785 (JCS), for JSON data: keys
// sorted by UTF-16 code units (JavaScript's default sort), numbers and strings serialised as
// ECMAScript's JSON.stringify does (which RFC 8785 adopts), no whitespace. Verifiers in other
// languages can recompute a bundle's hash with any stock JCS library. (Members whose value is
// `undefined` are left out, as JSON.stringify does; parsed JSON never has them.)
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // A member named "__proto__" needs a prototype-less object, to be kept as data (and so hashed)
    // rather than taken for the prototype; any other object stays a plain one, which
    // JSON.stringify writes faster (a prototype-less object is a dictionary to V8).
    const keys = Object.keys(value).sort();
    const out: Record<string, unknown> = keys.includes('__proto__') ? Object.create(null) : {};
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
