// A small UCUM parser of our own (the Unified Code for Units of Measure, unitsofmeasure.org):
// enough of the grammar (prefixes, atoms, integer exponents, '.', '/', parentheses, {annotations},
// the 10* power atom) and of the atom table to check the units of the data dictionary and to
// convert the laboratory units a hospital sends (g/L, umol/L, 10*9/L, 10*3/uL...) into the units
// the guideline expects. An atom outside the table is an error, never a guess.

/** Dimension vector over the base quantities this parser knows. */
type Dim = Record<string, number>;
export interface UcumUnit { /** factor to the base units */ factor: number; dim: Dim }

const BASE = (d: string): UcumUnit => ({ factor: 1, dim: { [d]: 1 } });
/** Atoms: metric ones may take a prefix. Values from the UCUM tables (base units m, g, s, mol, K). */
const ATOMS: Record<string, { unit: UcumUnit; metric: boolean }> = {
  m: { unit: BASE('m'), metric: true },
  g: { unit: BASE('g'), metric: true },
  s: { unit: BASE('s'), metric: true },
  mol: { unit: BASE('mol'), metric: true },
  K: { unit: BASE('K'), metric: true },
  L: { unit: { factor: 1e-3, dim: { m: 3 } }, metric: true },
  l: { unit: { factor: 1e-3, dim: { m: 3 } }, metric: true },
  U: { unit: { factor: 1e-6 / 60, dim: { mol: 1, s: -1 } }, metric: true },
  Gy: { unit: { factor: 1, dim: { m: 2, s: -2 } }, metric: true },
  min: { unit: { factor: 60, dim: { s: 1 } }, metric: false },
  h: { unit: { factor: 3600, dim: { s: 1 } }, metric: false },
  d: { unit: { factor: 86400, dim: { s: 1 } }, metric: false },
  wk: { unit: { factor: 7 * 86400, dim: { s: 1 } }, metric: false },
  mo: { unit: { factor: 30.4375 * 86400, dim: { s: 1 } }, metric: false },
  a: { unit: { factor: 365.25 * 86400, dim: { s: 1 } }, metric: false },
  '%': { unit: { factor: 0.01, dim: {} }, metric: false },
  '[IU]': { unit: BASE('[IU]'), metric: true },
  '[iU]': { unit: BASE('[IU]'), metric: true },
  'mm[Hg]': { unit: { factor: 133322, dim: { g: 1, m: -1, s: -2 } }, metric: true },
  '10*': { unit: { factor: 10, dim: {} }, metric: false },
  '10^': { unit: { factor: 10, dim: {} }, metric: false },
};
const PREFIXES: Record<string, number> = {
  Y: 1e24, Z: 1e21, E: 1e18, P: 1e15, T: 1e12, G: 1e9, M: 1e6, k: 1e3, h: 1e2, da: 1e1,
  d: 1e-1, c: 1e-2, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15, a: 1e-18, z: 1e-21, y: 1e-24,
};

export class UcumError extends Error {}

const mul = (a: UcumUnit, b: UcumUnit, sign = 1): UcumUnit => {
  const dim: Dim = { ...a.dim };
  for (const [k, v] of Object.entries(b.dim)) { dim[k] = (dim[k] ?? 0) + sign * v; if (dim[k] === 0) delete dim[k]; }
  return { factor: sign === 1 ? a.factor * b.factor : a.factor / b.factor, dim };
};
const pow = (u: UcumUnit, e: number): UcumUnit => ({ factor: u.factor ** e, dim: Object.fromEntries(Object.entries(u.dim).map(([k, v]) => [k, v * e])) });

/** Parse a UCUM expression (case-sensitive form). Throws UcumError with where it failed. */
export function parseUcum(expr: string): UcumUnit {
  if (typeof expr !== 'string' || !expr.length) throw new UcumError('empty unit');
  if (/\s/.test(expr)) throw new UcumError(`"${expr}": UCUM has no spaces`);
  let i = 0;
  const fail = (msg: string): never => { throw new UcumError(`"${expr}" at ${i}: ${msg}`); };
  function term(): UcumUnit {
    let u: UcumUnit;
    if (expr[i] === '/') { i++; u = mul({ factor: 1, dim: {} }, component(), -1); } else u = component();
    while (i < expr.length && (expr[i] === '.' || expr[i] === '/')) {
      const op = expr[i++];
      u = mul(u, component(), op === '.' ? 1 : -1);
    }
    return u;
  }
  function exponent(): number | undefined {
    const m = /^[+-]?\d+/.exec(expr.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  }
  function annotation(): void {
    const end = expr.indexOf('}', i);
    if (end < 0) fail('unclosed {annotation}');
    if (/[{]/.test(expr.slice(i + 1, end))) fail('nested {');
    i = end + 1;
  }
  function component(): UcumUnit {
    if (i >= expr.length) fail('a unit is missing');
    if (expr[i] === '(') {
      i++;
      const u = term();
      if (expr[i] !== ')') fail('")" expected');
      i++;
      return u;
    }
    if (expr[i] === '{') { annotation(); return { factor: 1, dim: {} }; }
    const num = /^\d+(?![\d*^])/.exec(expr.slice(i));
    if (num) { i += num[0].length; const u = { factor: Number(num[0]), dim: {} }; if (expr[i] === '{') annotation(); return u; }
    // the longest symbol up to an operator, a parenthesis, an annotation or the exponent digits
    const m = /^(\[[^\]]*\]|[^./(){}\[\]0-9+-])+(\[[^\]]*\])?/.exec(expr.slice(i));
    let sym = m ? m[0] : '';
    if (expr.startsWith('10*', i) || expr.startsWith('10^', i)) sym = expr.slice(i, i + 3);
    if (!sym) fail(`unexpected "${expr[i]}"`);
    const u = atomOf(sym) ?? fail(`unknown unit "${sym}"`);
    i += sym.length;
    const e = exponent();
    if (sym.startsWith('10') && e === undefined) fail('10* needs an exponent (10*9)');
    if (expr[i] === '{') annotation();
    return e === undefined ? u : pow(u, e);
  }
  const u = term();
  if (i !== expr.length) fail(`unexpected "${expr[i]}"`);
  return u;
}

function atomOf(sym: string): UcumUnit | undefined {
  if (ATOMS[sym]) return ATOMS[sym].unit;
  for (const p of ['da', ...Object.keys(PREFIXES)]) {
    if (sym.startsWith(p) && ATOMS[sym.slice(p.length)]?.metric) return { ...ATOMS[sym.slice(p.length)].unit, factor: PREFIXES[p] * ATOMS[sym.slice(p.length)].unit.factor };
  }
  return undefined;
}

/** Is `expr` valid UCUM (as far as this parser knows)? The reason when not. */
export function ucumProblem(expr: string): string | undefined {
  try { parseUcum(expr); return undefined; } catch (e) { return (e as Error).message; }
}

const sameDim = (a: Dim, b: Dim) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
};

/**
 * Convert `value` from one UCUM unit to another. `molarMass` (g/mol) lets an amount-of-substance
 * concentration become a mass concentration (bilirubin umol/L to mg/dL). Throws UcumError when the
 * units are not commensurable.
 */
export function convertUcum(value: number, from: string, to: string, molarMass?: number): number {
  let a = parseUcum(from);
  const b = parseUcum(to);
  if (!sameDim(a.dim, b.dim) && molarMass !== undefined) {
    const molDiff = (a.dim.mol ?? 0) - (b.dim.mol ?? 0);
    // mol -> g: multiply by the molar mass per mole converted
    a = mul(a, { factor: molarMass ** molDiff, dim: { g: molDiff, mol: -molDiff } });
  }
  if (!sameDim(a.dim, b.dim)) throw new UcumError(`"${from}" cannot be converted to "${to}"`);
  // round off binary noise (3.5000000000000004)
  return Number((value * a.factor / b.factor).toPrecision(12));
}
