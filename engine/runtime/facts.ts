// Patient facts are checked against the data dictionary before anything is evaluated:
// a wrong type, an unknown field or an implausible value (albumin 35 where g/dL is expected)
// is rejected with one error that lists every problem. null means "not known" and is dropped.
import { EngineError, type Problem } from './errors.ts';
import { measure, ownProperties } from './logic.ts';
import { suggester } from './names.ts';
import type { Field, InputDef, JsonValue } from './types.ts';

export const FACT_LIMITS = { maxEntries: 20000, maxDepth: 6, maxString: 200, maxListItems: 200 };

export type Facts = Record<string, JsonValue>;

export function validateFacts(inputs: readonly InputDef[], facts: unknown): Facts {
  const problems: Problem[] = [];
  if (typeof facts !== 'object' || facts === null || Array.isArray(facts)) {
    throw new EngineError('invalid-facts', 'Patient facts must be a JSON object such as {"albumin": 3.8, "ecog": 1}.', {
      problems: [{ field: '', code: 'not-an-object', message: 'facts must be a JSON object' }],
    });
  }
  const { depth, size } = measure(facts);
  if (depth > FACT_LIMITS.maxDepth || size > FACT_LIMITS.maxEntries) {
    throw new EngineError('facts-too-large', `Patient facts are too large or too deeply nested (depth ${depth}, ${size} values; limits ${FACT_LIMITS.maxDepth} and ${FACT_LIMITS.maxEntries}).`);
  }
  const byId = byIdOf(inputs);
  // "Did you mean" and messages are built only for what is wrong.
  let suggest: ReturnType<typeof suggester> | undefined;
  const didYouMean = (name: string, candidates: Iterable<string>) => (suggest ??= suggester())(name, candidates);
  // Collected, then made into one object at once: Object.fromEntries gives an object in V8's fast
  // property mode (keys added one by one to {} past ~100 turn it into a dictionary).
  const entries: [string, JsonValue][] = [];
  for (const key of Object.keys(facts).sort()) {
    const value = (facts as Record<string, JsonValue>)[key];
    const input = byId.get(key);
    if (!input) {
      problems.push({ field: key, code: 'unknown-fact', message: `${JSON.stringify(key.length > FACT_LIMITS.maxString ? `${key.slice(0, FACT_LIMITS.maxString)}…` : key)} is not a fact this guideline reads.${didYouMean(key, byId.keys())} Remove it or use a name from the data dictionary (inputs/).` });
      continue;
    }
    const v = checkValue(input, input.title, key, value, problems, didYouMean);
    if (v !== undefined) entries.push([key, v]);
  }
  if (problems.length) {
    const lines = problems.map((p) => `  - ${p.field || '(facts)'}: ${p.message}`).join('\n');
    throw new EngineError('invalid-facts', `The patient facts have ${problems.length} problem${problems.length > 1 ? 's' : ''}; nothing was evaluated:\n${lines}`, { problems });
  }
  return Object.fromEntries(entries) as Facts;
}

const byIdCache = new WeakMap<readonly InputDef[], Map<string, InputDef>>();
function byIdOf(inputs: readonly InputDef[]): Map<string, InputDef> {
  let m = byIdCache.get(inputs);
  if (!m) {
    m = new Map(inputs.map((i) => [i.id, i]));
    // only a frozen list can be cached: anything else may change between calls
    if (Object.isFrozen(inputs)) byIdCache.set(inputs, m);
  }
  return m;
}

function describeExpected(f: Field): string {
  switch (f.type) {
    case 'number': return `a number${f.unit ? ` in ${f.unit}` : ''}`;
    case 'boolean': return 'true or false';
    case 'enum': return `one of ${f.values!.map((v) => JSON.stringify(v.value)).join(', ')}`;
    case 'list': return 'a list of items';
  }
}

/** Returns the cleaned value, or undefined when it is not known (null) or wrong (problem recorded). */
function checkValue(spec: Field, title: string, path: string, value: JsonValue, problems: Problem[], didYouMean: (name: string, candidates: Iterable<string>) => string): JsonValue | undefined {
  // Own properties only: an `integer` or `maxItems` planted on Object.prototype changes nothing.
  const f = ownProperties(spec);
  if (value === null) return undefined;
  const wrong = (code: string, message: string) => { problems.push({ field: path, code, message }); return undefined; };
  const got = () => (typeof value === 'string' ? `the text ${JSON.stringify(value.slice(0, FACT_LIMITS.maxString))}` : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : String(value));
  switch (f.type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrong('wrong-type', `${title}: expected ${describeExpected(f)}, got ${got()}.`);
      if (f.integer && !Number.isInteger(value)) return wrong('not-integer', `${title}: expected a whole number, got ${value}.`);
      if (value < f.minimum! || value > f.maximum!) {
        const unit = f.unit ? ` ${f.unit}` : '';
        return wrong('out-of-range', `${title}: ${value}${unit} is outside the plausible range ${f.minimum}–${f.maximum}${unit}.${f.hint ? ` ${f.hint}` : ''}`);
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return wrong('wrong-type', `${title}: expected true or false, got ${got()}.`);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !f.values!.some((v) => v.value === value)) {
        const hint = typeof value === 'string' ? didYouMean(value, f.values!.map((v) => v.value)) : '';
        return wrong('not-allowed', `${title}: expected ${describeExpected(f)}, got ${got()}.${hint}`);
      }
      return value;
    case 'list': {
      if (!Array.isArray(value)) return wrong('wrong-type', `${title}: expected a list, got ${got()}.`);
      const itemSpec = ownProperties(f.items!);
      const max = itemSpec.maxItems ?? FACT_LIMITS.maxListItems;
      if (value.length > max) return wrong('too-many-items', `${title}: at most ${max} items, got ${value.length}.`);
      const fields = itemSpec.fields;
      const before = problems.length;
      const items = value.map((item, i) => {
        const itemPath = `${path}[${i}]`;
        if (typeof item !== 'object' || item === null || Array.isArray(item)) {
          problems.push({ field: itemPath, code: 'wrong-type', message: `${title}: each item must be an object with fields ${Object.keys(fields).join(', ')}.` });
          return null;
        }
        const out: Record<string, JsonValue> = {};
        for (const k of Object.keys(item).sort()) {
          const field = Object.prototype.hasOwnProperty.call(fields, k) ? fields[k] : undefined;
          if (!field) {
            problems.push({ field: `${itemPath}.${k}`, code: 'unknown-fact', message: `"${k}" is not a field of ${title}.${didYouMean(k, Object.keys(fields))} Fields: ${Object.keys(fields).join(', ')}.` });
            continue;
          }
          const v = checkValue(field, `${title} ${field.title}`, `${itemPath}.${k}`, item[k], problems, didYouMean);
          if (v !== undefined) out[k] = v;
        }
        return out;
      });
      return problems.length > before ? undefined : items;
    }
  }
}
