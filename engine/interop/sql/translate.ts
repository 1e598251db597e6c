// JSON-Logic to SQL for what SQL computes directly: comparisons over numbers without a finite
// domain (atoms), some/none/all over a list fact, and numeric or list-derived definitions
// (arithmetic, sqrt, max, reduce as an ordered fold). Each value is three SQL expressions: `n`
// (number), `s` (string) and `u` (unknown, never NULL). Anything outside the supported subset is
// an SqlTranslationError naming the node: the generator never emits an approximation.
import type { InputDef, JsonValue, Logic } from '../../runtime/index.ts';
import { SqlTranslationError } from './errors.ts';

export type Dialect = 'duckdb' | 'postgres';

export interface SqlValue { n: string; s: string; u: string }

/** What a variable name means where an expression is translated. */
export interface Scope {
  node: string;
  /** root variables: an infinite number fact's column or an SQL-valued definition's columns */
  root: (name: string) => SqlValue | undefined;
  /** inside a fold step or a list predicate: the item's fields ("current.x" or "x") and the accumulator */
  item?: (field: string) => SqlValue | undefined;
  accumulator?: SqlValue;
  /** a reduce needs its own fold CTE: returns the fold's result columns */
  fold?: (logic: Logic, ptr: string) => SqlValue;
}

const isObj = (x: JsonValue): x is Record<string, JsonValue> => typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
const argsOf = (v: JsonValue): JsonValue[] => (Array.isArray(v) ? v : [v]);
const NUMERIC_STRING = /^\s*[-+]?(\d|\.\d)|^\s*$|^\s*(Infinity|0x)/i;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
export function sqlNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  const t = String(x);
  return /[eE]/.test(t) ? `CAST(${sqlString(t)} AS DOUBLE PRECISION)` : `CAST(${t} AS DOUBLE PRECISION)`;
}

const NULLN = 'CAST(NULL AS DOUBLE PRECISION)';
const NULLS = 'CAST(NULL AS VARCHAR)';

function literal(v: JsonValue, node: string, ptr: string): SqlValue {
  if (typeof v === 'number') return { n: sqlNumber(v), s: NULLS, u: 'FALSE' };
  if (typeof v === 'string') {
    if (NUMERIC_STRING.test(v)) throw new SqlTranslationError(node, ptr, `the string "${v}" looks like a number; json-logic's loose equality would compare it as one, which the SQL generator does not reproduce`);
    return { n: NULLN, s: sqlString(v), u: 'FALSE' };
  }
  throw new SqlTranslationError(node, ptr, `the literal ${JSON.stringify(v)} is not supported in an SQL-computed expression (numbers and strings only)`);
}

function varOf(l: Record<string, JsonValue>, sc: Scope, ptr: string): SqlValue {
  const a = argsOf(l.var);
  if (a.length > 1 || typeof a[0] !== 'string') throw new SqlTranslationError(sc.node, ptr, '"var" with a default or a computed path is not supported in an SQL-computed expression');
  const path = a[0];
  if (sc.item) {
    if (path === 'accumulator' && sc.accumulator) return sc.accumulator;
    const field = path === 'current' ? '' : path.startsWith('current.') ? path.slice(8) : path;
    const v = sc.item(field);
    if (v) return v;
    throw new SqlTranslationError(sc.node, ptr, `"${path}" is not an item field here`);
  }
  const v = sc.root(path);
  if (!v) throw new SqlTranslationError(sc.node, ptr, `"${path}" is not a value SQL computes (a number fact or a computed definition)`);
  return v;
}

const or = (...xs: string[]) => (xs.length === 1 ? xs[0] : `(${xs.join(' OR ')})`);

/** A value expression (numbers and strings). */
export function value(l: Logic, sc: Scope, ptr: string): SqlValue {
  if (!isObj(l)) return literal(l, sc.node, ptr);
  const op = Object.keys(l)[0];
  const raw = l[op];
  const args = argsOf(raw);
  const at = (i: number) => (Array.isArray(raw) ? `${ptr}/${op}/${i}` : `${ptr}/${op}`);
  const num = (i: number) => {
    const v = value(args[i], sc, at(i));
    if (v.n === NULLN) throw new SqlTranslationError(sc.node, at(i), `"${op}" needs a number here`);
    return v;
  };
  switch (op) {
    case 'var': return varOf(l, sc, ptr);
    case '+': case '*': {
      const vs = args.map((_, i) => num(i));
      return { n: `(${vs.map((v) => v.n).join(` ${op} `)})`, s: NULLS, u: or(...vs.map((v) => v.u)) };
    }
    case '-': {
      const vs = args.map((_, i) => num(i));
      return { n: vs.length === 1 ? `(- ${vs[0].n})` : `(${vs[0].n} - ${vs[1].n})`, s: NULLS, u: or(...vs.map((v) => v.u)) };
    }
    case '/': {
      const [a, b] = [num(0), num(1)];
      // a zero divisor gives Infinity or NaN in json-logic, which is not JSON: treated as unknown (null)
      return { n: `(${a.n} / NULLIF(${b.n}, 0))`, s: NULLS, u: or(a.u, b.u, `(${b.n} = 0)`) };
    }
    case 'max': case 'min': {
      const vs = args.map((_, i) => num(i));
      if (vs.length === 1) return vs[0];
      return { n: `${op === 'max' ? 'GREATEST' : 'LEAST'}(${vs.map((v) => v.n).join(', ')})`, s: NULLS, u: or(...vs.map((v) => v.u)) };
    }
    case 'sqrt': {
      const a = num(0);
      return { n: `SQRT(${a.n})`, s: NULLS, u: a.u };
    }
    case 'if': case '?:': {
      // if [c1, t1, c2, t2, ..., else] is if [c1, t1, if [c2, t2, ..., else]] (json-logic's chain)
      if (args.length < 3 || args.length % 2 === 0) throw new SqlTranslationError(sc.node, ptr, '"if" in an SQL-computed expression needs condition, then pairs and an else');
      const chain = (i: number): SqlValue => {
        if (i === args.length - 1) return value(args[i], sc, at(i));
        const c = condition(args[i], sc, at(i));
        const t = value(args[i + 1], sc, at(i + 1));
        const e = chain(i + 2);
        const same = `(NOT ${t.u} AND NOT ${e.u} AND ${t.n} IS NOT DISTINCT FROM ${e.n} AND ${t.s} IS NOT DISTINCT FROM ${e.s})`;
        return {
          n: `(CASE WHEN ${c} THEN ${t.n} WHEN NOT ${c} THEN ${e.n} ELSE ${t.n} END)`,
          s: `(CASE WHEN ${c} THEN ${t.s} WHEN NOT ${c} THEN ${e.s} ELSE ${t.s} END)`,
          u: `(CASE WHEN ${c} THEN ${t.u} WHEN NOT ${c} THEN ${e.u} ELSE NOT ${same} END)`,
        };
      };
      return chain(0);
    }
    case 'reduce': {
      if (!sc.fold) throw new SqlTranslationError(sc.node, ptr, '"reduce" inside a list predicate is not supported');
      return sc.fold(l, ptr);
    }
    default:
      throw new SqlTranslationError(sc.node, ptr, `operator "${op}" is not supported in an SQL-computed value`);
  }
}

/** Loose equality of two SQL values (numbers with numbers, strings with strings; never mixed). */
function equal(a: SqlValue, b: SqlValue): string {
  return `(COALESCE(${a.n} = ${b.n}, FALSE) OR COALESCE(${a.s} = ${b.s}, FALSE))`;
}

/**
 * A condition: an SQL boolean, NULL when its truthiness is unknown. Kleene's three-valued AND,
 * OR and NOT are exactly the interpreter's truthiness of and/or/! (`and(unknown, false)` is falsy).
 */
export function condition(l: Logic, sc: Scope, ptr: string): string {
  if (l === true) return 'TRUE';
  if (l === false) return 'FALSE';
  if (!isObj(l)) throw new SqlTranslationError(sc.node, ptr, `the literal ${JSON.stringify(l)} is not supported as a condition`);
  const op = Object.keys(l)[0];
  const raw = l[op];
  const args = argsOf(raw);
  const at = (i: number) => (Array.isArray(raw) ? `${ptr}/${op}/${i}` : `${ptr}/${op}`);
  const known = (vs: SqlValue[], sql: string) => `(CASE WHEN ${or(...vs.map((v) => v.u))} THEN NULL ELSE ${sql} END)`;
  switch (op) {
    case 'and': case 'or': return `(${args.map((a, i) => condition(a, sc, at(i))).join(op === 'and' ? ' AND ' : ' OR ')})`;
    case '!': return `(NOT ${condition(args[0], sc, at(0))})`;
    case '!!': return condition(args[0], sc, at(0));
    case '==': case '===': case '!=': case '!==': {
      const [a, b] = [value(args[0], sc, at(0)), value(args[1], sc, at(1))];
      const eq = equal(a, b);
      return known([a, b], op.startsWith('!') ? `(NOT ${eq})` : eq);
    }
    case '<': case '<=': case '>': case '>=': {
      const vs = args.map((a, i) => value(a, sc, at(i)));
      if (vs.some((v) => v.n === NULLN)) throw new SqlTranslationError(sc.node, ptr, `"${op}" on strings is not supported by the SQL generator`);
      const cmp = vs.slice(1).map((v, i) => `(${vs[i].n} ${op} ${v.n})`).join(' AND ');
      return known(vs, `COALESCE(${cmp}, FALSE)`);
    }
    case 'in': {
      const a = value(args[0], sc, at(0));
      const list = args[1];
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'number' || typeof x === 'string')) throw new SqlTranslationError(sc.node, ptr, '"in" needs a literal list of numbers or strings in an SQL-computed expression');
      const nums = list.filter((x): x is number => typeof x === 'number').map(sqlNumber);
      const strs = list.filter((x): x is string => typeof x === 'string').map(sqlString);
      const parts = [nums.length ? `COALESCE(${a.n} IN (${nums.join(', ')}), FALSE)` : '', strs.length ? `COALESCE(${a.s} IN (${strs.join(', ')}), FALSE)` : ''].filter(Boolean);
      return known([a], parts.length ? `(${parts.join(' OR ')})` : 'FALSE');
    }
    case 'var': case '+': case '-': case '*': case '/': case 'max': case 'min': case 'sqrt': case 'if': case 'reduce': {
      const v = value(l, sc, ptr);
      // truthiness of a value: a number other than 0, a string other than ""
      return known([v], `(COALESCE(${v.n} <> 0, FALSE) OR COALESCE(${v.s} <> '', FALSE))`);
    }
    default:
      throw new SqlTranslationError(sc.node, ptr, `operator "${op}" is not supported in an SQL-computed condition`);
  }
}

/**
 * A list item's predicate as some/none/all see it: the interpreter counts an item as decided only
 * when every operand it evaluated was known (`and(unknown, false)` is an unknown item), so this is
 * left-sequential: NULL as soon as an evaluated operand is unknown.
 */
export function itemPredicate(l: Logic, sc: Scope, ptr: string): string {
  if (l === true) return 'TRUE';
  if (l === false) return 'FALSE';
  if (!isObj(l)) throw new SqlTranslationError(sc.node, ptr, `the literal ${JSON.stringify(l)} is not supported as a list predicate`);
  const op = Object.keys(l)[0];
  const raw = l[op];
  const args = argsOf(raw);
  const at = (i: number) => (Array.isArray(raw) ? `${ptr}/${op}/${i}` : `${ptr}/${op}`);
  switch (op) {
    case 'and': case 'or': {
      const parts = args.map((a, i) => itemPredicate(a, sc, at(i)));
      // Kleene's AND and OR, as in condition(): an item whose agent is absent but whose line is 3
      // fails "agent is sorafenib and line is 1" whatever its agent (the interpreter says so too)
      return `(${parts.join(op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case '==': case '===': case '!=': case '!==': case '<': case '<=': case '>': case '>=': case 'in':
      return condition(l, sc, ptr);
    case '!': case '!!': {
      const inner = args[0];
      if (isObj(inner) && ['and', 'or', '!', '!!'].includes(Object.keys(inner)[0])) throw new SqlTranslationError(sc.node, ptr, `"${op}" over "${Object.keys(inner)[0]}" in a list predicate is not supported by the SQL generator`);
      return condition(l, sc, ptr);
    }
    default:
      throw new SqlTranslationError(sc.node, ptr, `operator "${op}" is not supported in a list predicate`);
  }
}

/** How an item field is read from a JSON item, typed (once per item, in the items table). */
export function itemText(dialect: Dialect, item: string, name: string, f: { type: string }): string {
  const text = dialect === 'duckdb' ? `json_extract_string(${item}, ${sqlString(`$.${name}`)})` : `(${item} ->> ${sqlString(name)})`;
  return f.type === 'number' ? `CAST(${text} AS DOUBLE PRECISION)` : text;
}

/** An item field as an SQL value: the typed column f_<name> of the items table aliased `alias`. */
export function itemField(alias: string, name: string, f: { type: string }): SqlValue {
  return itemColumn(`${alias}.${quoteIdent(`f_${name}`)}`, name, f);
}

/** An item field held in the column `c` (a typed column: number or enum). */
export function itemColumn(c: string, name: string, f: { type: string }): SqlValue {
  if (f.type === 'number') return { n: c, s: NULLS, u: `(${c} IS NULL)` };
  if (f.type === 'enum') return { n: NULLN, s: c, u: `(${c} IS NULL)` };
  throw new SqlTranslationError(name, '', `list item field of type ${f.type} is not supported by the SQL generator`);
}

export { NULLN, NULLS };
export type { InputDef };
