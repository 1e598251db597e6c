// Running the generated SQL: the longest lists, the base table, the discovery rounds (the
// combinations of large tables that occur in the data, evaluated by the interpreter; each round a
// narrow table), then the status view and one pass over it for the counts (or pages of every
// patient's statuses). Database-agnostic: the caller passes `query`.
import type { Guideline, InputDef } from '../../runtime/index.ts';
import { SqlGenerator, STATUS_NAMES, type ResultLayout, type StatusName } from './generate.ts';
import { planGuideline, rootReads, type Plan } from './plan.ts';
import { quoteIdent, sqlString, type Dialect } from './translate.ts';

export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

export interface Prepared { generator: SqlGenerator; layout: ResultLayout; stages: string[][]; rounds: number }

const plans = new WeakMap<Guideline, Plan>();
/** The plan of a guideline (cached: classification and rewriting, no tables yet). */
export function planOf(g: Guideline): Plan {
  let p = plans.get(g);
  if (!p) { p = planGuideline(g); plans.set(g, p); }
  return p;
}

/**
 * Build `audit_base` from the table `table` (a `pid` column and one column per input present)
 * and resolve every table. After this, statusViewSql() gives the status view.
 */
export async function prepareAudit(g: Guideline, dialect: Dialect, columns: readonly string[], query: Query, table = 'patients', options: { unrollMax?: number } = {}): Promise<Prepared> {
  const generator = new SqlGenerator(planOf(g), dialect, columns);
  if (options.unrollMax !== undefined) generator.unrollMax = options.unrollMax;
  // the longest list of each list fact: short ones are read in fixed positions, their folds unrolled
  const lists = g.inputs.filter((i) => i.type === 'list' && columns.includes(i.id)).map((i) => i.id);
  if (lists.length) {
    const len = (c: string) => (dialect === 'duckdb' ? `json_array_length(${quoteIdent(c)})` : `jsonb_array_length(CAST(${quoteIdent(c)} AS jsonb))`);
    const [row] = await query(`SELECT ${lists.map((c, i) => `max(${len(c)}) AS n${i}`).join(', ')} FROM ${table}`);
    lists.forEach((c, i) => generator.listLengths.set(c, Number(row[`n${i}`] ?? 0)));
  }
  // the status view of an earlier audit reads the tables made again here (PostgreSQL refuses to drop them under it)
  await query(`DROP VIEW IF EXISTS ${STATUS_TABLE}`);
  await query('DROP TABLE IF EXISTS audit_base');
  await query(`CREATE TEMP TABLE audit_base AS ${generator.baseSql(table)}`);
  let rounds = 0;
  const step = async () => {
    const m = generator.materialize();
    await query(`DROP TABLE IF EXISTS ${m.table}`);
    await query(m.sql);
  };
  for (;;) {
    const d = generator.nextDiscovery();
    if (!d) break;
    // what is resolved so far is materialized first, so that each query binds only what is new
    await step();
    const again = generator.nextDiscovery()!;
    d.sql = again.sql;
    rounds++;
    generator.resolveDiscovered(d.exprs, await query(d.sql));
    for (const t of generator.pending.splice(0)) {
      await query(`DROP TABLE IF EXISTS ${t.table}`);
      // keys unique by construction (no index to maintain); the rows as two array constants, unnested
      // side by side: one string to cast rather than thousands of VALUES rows to parse
      await query(`CREATE TEMP TABLE ${t.table} (k BIGINT, v SMALLINT)`);
      const array = (xs: number[], type: string) => (dialect === 'duckdb' ? `CAST('[${xs.join(',')}]' AS ${type}[])` : `CAST('{${xs.join(',')}}' AS ${type}[])`);
      for (let i = 0; i < t.rows.length; i += 50000) {
        const rows = t.rows.slice(i, i + 50000);
        await query(`INSERT INTO ${t.table} SELECT unnest(${array(rows.map((r) => r[0]), 'BIGINT')}), unnest(${array(rows.map((r) => r[1]), 'SMALLINT')})`);
      }
    }
  }
  await step();
  const { stages, layout } = generator.statusColumns();
  return { generator, layout, stages, rounds };
}

/**
 * The view of every patient's statuses (counts and per-patient rows read it): never materialized,
 * since the counts are one pass over it (two on PostgreSQL) and a page of patients reads only
 * their rows (the pid filter reaches the tables' scans).
 */
export const STATUS_TABLE = 'audit_status';

/**
 * The status view: pid, the r<i>/c<i>/o<i> codes, the absence words (mw<w>) and the treatment
 * given. Its select list is about 3 columns per rule plus a few, well below PostgreSQL's
 * 1,664-entry limit for this guideline (checked: a wider one is an error, not a silent truncation).
 */
export function statusViewSql(p: Prepared): string {
  const cols = ['pid', ...statusColumnNames(p), ...p.generator.absenceWords, ...(p.generator.hasTreatmentColumn ? ['intervention_given'] : [])];
  if (cols.length > SELECT_LIMIT) throw new Error(`the status view would have ${cols.length} columns (PostgreSQL allows ${SELECT_LIMIT})`);
  return `CREATE TEMP VIEW ${STATUS_TABLE} AS ${p.generator.statusSql(p.stages)}\nSELECT ${cols.join(', ')} FROM st`;
}

/** PostgreSQL's limit on the entries of one target list (DuckDB has none); every query stays below it. */
export const SELECT_LIMIT = 1664;
/** Aggregates per counts query on PostgreSQL: well below SELECT_LIMIT (DuckDB has them all in one pass). */
const AGGREGATES_PER_QUERY = 1000;

function statusColumnNames(p: Prepared): string[] {
  return p.layout.rules.flatMap((r) => [r.column, ...r.clauses.flatMap((c) => [c.column, ...c.options.map((o) => o.column)])]);
}

/**
 * Every patient's statuses from the status table: pid, the r<i>/c<i>/o<i> codes, and per rule
 * `f<i>`, the facts the rule reads (through its definitions) that are absent, as an array
 * (DuckDB LIST, PostgreSQL varchar[]) when the rule is undecided, NULL otherwise. `pids`: only
 * the patients numbered from..to (a page; a million rows at once do not fit in memory).
 */
export function perPatientSql(p: Prepared, pids?: { from: number; to: number }): string {
  const g = p.generator.plan.guideline;
  const inputIndex = new Map(g.inputs.map((i, k) => [i.id, k]));
  const ruleInputs = inputsOfRules(g);
  const arrays = p.layout.rules.map((r, i) => {
    const elems = (ruleInputs.get(r.id) ?? []).map((f) => `CASE WHEN ${p.generator.absent(inputIndex.get(f)!)} THEN ${sqlString(f)} END`);
    return `CASE WHEN ${r.column} = 2 THEN ${nonNullArray(p.generator.dialect, elems)} END AS f${i}`;
  });
  const cols = ['pid', ...statusColumnNames(p), ...arrays];
  return `SELECT ${cols.join(', ')} FROM ${STATUS_TABLE}${pids ? ` WHERE pid BETWEEN ${Math.trunc(pids.from)} AND ${Math.trunc(pids.to)}` : ''} ORDER BY pid`;
}

/** An array of the non-NULL values among `elems` (strings), in order; empty when there are none. */
function nonNullArray(dialect: Dialect, elems: string[]): string {
  if (dialect === 'duckdb') return elems.length ? `list_filter(CAST([${elems.join(', ')}] AS VARCHAR[]), lambda x: x IS NOT NULL)` : 'CAST([] AS VARCHAR[])';
  return elems.length ? `array_remove(CAST(ARRAY[${elems.join(', ')}] AS varchar[]), NULL)` : `CAST('{}' AS varchar[])`;
}

/** The inputs each rule reads, through its definitions. */
export function inputsOfRules(g: Guideline): Map<string, string[]> {
  const defs = new Map(g.nodes.flatMap((n) => (n.kind === 'definition' ? [[n.id, n] as const] : [])));
  const inputs = new Set(g.inputs.map((i) => i.id));
  const memo = new Map<string, Set<string>>();
  const closure = (names: Iterable<string>): Set<string> => {
    const out = new Set<string>();
    for (const n of names) {
      if (inputs.has(n)) out.add(n);
      const d = defs.get(n);
      if (d) {
        let s = memo.get(n);
        if (!s) { memo.set(n, new Set()); s = closure(rootReads(d.expr)); memo.set(n, s); }
        for (const x of s) out.add(x);
      }
    }
    return out;
  };
  const out = new Map<string, string[]>();
  for (const r of planOf(g).rules) {
    const names = new Set<string>(r.population ? [r.population] : []);
    for (const c of r.rule.clauses) { for (const x of rootReads(c.when)) names.add(x); for (const o of c.action.options ?? []) if (o.when !== undefined) for (const x of rootReads(o.when)) names.add(x); }
    out.set(r.rule.id, [...closure(names)].sort());
  }
  return out;
}

export interface AuditCounts {
  patients: number;
  rules: Record<string, Record<StatusName, number> & { clauses: Record<string, Record<StatusName, number>>; missing: { fact: string; patients: number }[] }>;
  concordance?: { patients: number; recommended: number; none: number; notRecommended: number; other: number; notRecorded: number };
}

/** The counts queries (over the status table; read their rows merged into one): per rule, clause and status; missing facts among a rule's undecided patients; concordance. */
export function countsSql(g: Guideline, p: Prepared, withConcordance: boolean): { sqls: string[]; read: (row: Record<string, unknown>) => AuditCounts } {
  const inputIndex = new Map(g.inputs.map((i, k) => [i.id, k]));
  const ruleInputs = inputsOfRules(g);
  const aggs: string[] = ['count(*) AS n'];
  // per rule and absence word, that word where the rule is undecided (0 elsewhere): its bits count the missing facts
  const masked: string[] = [];
  const readers: ((row: Record<string, unknown>, out: AuditCounts) => void)[] = [];
  const num = (x: unknown) => Number(x ?? 0);
  let k = 0;
  for (const r of p.layout.rules) {
    // a status column's four counts from three sums of powers of its code (0-3) and the patient
    // count: plain integer sums, cheaper than one CASE per status and column
    const counts = (col: string) => [1, 2, 3].map((e) => { const a = `q${k++}`; aggs.push(`sum(${Array(e).fill(col).join(' * ')}) AS ${a}`); return a; });
    const ra = counts(r.column);
    const ca = r.clauses.map((c) => ({ id: c.id, a: counts(c.column) }));
    const words = new Map<number, string>();
    const ma = (ruleInputs.get(r.id) ?? []).map((f) => {
      const bit = p.generator.absentBit(inputIndex.get(f)!);
      let w = words.get(bit.word);
      if (!w) { w = `u_${r.column}_${bit.word}`; words.set(bit.word, w); masked.push(`CASE WHEN ${r.column} = 2 THEN mw${bit.word} ELSE CAST(0 AS BIGINT) END AS ${w}`); }
      const a = `q${k++}`;
      aggs.push(`sum((${w} >> ${bit.bit}) & 1) AS ${a}`);
      return { f, a };
    });
    readers.push((row, out) => {
      const n = num(row.n);
      const of = (as: string[]) => {
        const [s1, s2, s3] = as.map((a) => num(row[a]));
        const n3 = (s3 - 3 * s2 + 2 * s1) / 6;
        const n2 = (s2 - s1 - 6 * n3) / 2;
        const n1 = s1 - 2 * n2 - 3 * n3;
        return { [STATUS_NAMES[0]]: n - n1 - n2 - n3, [STATUS_NAMES[1]]: n1, [STATUS_NAMES[2]]: n2, [STATUS_NAMES[3]]: n3 } as Record<StatusName, number>;
      };
      out.rules[r.id] = { ...of(ra), clauses: Object.fromEntries(ca.map((c) => [c.id, of(c.a)])), missing: ma.map((m) => ({ fact: m.f, patients: num(row[m.a]) })).filter((m) => m.patients > 0).sort((a, b) => b.patients - a.patients || (a.fact < b.fact ? -1 : 1)).slice(0, 5) };
    });
  }
  if (withConcordance) {
    const rec = new Map<string, string[]>();
    const notRec = new Map<string, string[]>();
    const ruleById = new Map(g.nodes.map((n) => [n.id, n]));
    for (const r of p.layout.rules) {
      const node = ruleById.get(r.id);
      if (!node || (node.kind !== 'recommendation' && node.kind !== 'practice-point')) continue;
      r.clauses.forEach((c, i) => {
        const action = node.clauses[i].action;
        const into = action.type === 'not-recommended' ? notRec : action.type === 'recommend' || action.type === 'consider' ? rec : undefined;
        if (!into) return;
        const add = (code: string, col: string) => { if (!into.has(code)) into.set(code, []); into.get(code)!.push(col); };
        if (c.options.length) for (const o of c.options) add(o.intervention, o.column); else add(action.intervention, c.column);
      });
    }
    const given = (m: Map<string, string[]>) => [...m].map(([code, cols]) => `(intervention_given = ${sqlString(code)} AND (${cols.map((c) => `${c} = 0`).join(' OR ')}))`).join(' OR ') || 'FALSE';
    const recommended = given(rec);
    const notRecommended = given(notRec);
    const none = `(lower(intervention_given) IN ('', 'none'))`;
    aggs.push(`sum(CASE WHEN intervention_given IS NULL THEN 1 ELSE 0 END) AS cc_nr`);
    aggs.push(`sum(CASE WHEN intervention_given IS NOT NULL AND ${none} THEN 1 ELSE 0 END) AS cc_none`);
    aggs.push(`sum(CASE WHEN intervention_given IS NOT NULL AND NOT ${none} AND (${notRecommended}) THEN 1 ELSE 0 END) AS cc_not`);
    aggs.push(`sum(CASE WHEN intervention_given IS NOT NULL AND NOT ${none} AND NOT (${notRecommended}) AND (${recommended}) THEN 1 ELSE 0 END) AS cc_rec`);
  }
  // on PostgreSQL several narrower passes over the status view rather than one select list wider than it allows
  const sqls: string[] = [];
  const per = p.generator.dialect === 'duckdb' ? aggs.length : AGGREGATES_PER_QUERY;
  const from = `(SELECT ${[`${STATUS_TABLE}.*`, ...masked].join(', ')} FROM ${STATUS_TABLE}) AS s`;
  for (let i = 0; i < aggs.length; i += per) sqls.push(`SELECT ${aggs.slice(i, i + per).join(', ')} FROM ${from}`);
  return {
    sqls,
    read: (row) => {
      const out: AuditCounts = { patients: num(row.n), rules: {} };
      for (const r of readers) r(row, out);
      if (withConcordance) {
        const recd = num(row.cc_rec); const none = num(row.cc_none); const not = num(row.cc_not); const nr = num(row.cc_nr);
        out.concordance = { patients: out.patients - nr, recommended: recd, none, notRecommended: not, other: out.patients - nr - recd - none - not, notRecorded: nr };
      }
      return out;
    },
  };
}

/** SQL type of an input column in the patients table (lists are JSON text). */
export function columnType(i: InputDef): string {
  return i.type === 'number' ? 'DOUBLE PRECISION' : i.type === 'boolean' ? 'BOOLEAN' : 'VARCHAR';
}

/**
 * A query that finds the first invalid value (type aside: the loader types the columns): an enum
 * value not in the dictionary, a number outside its plausible range or not an integer, a list
 * that is not an array. Returns rows (pid, field, value).
 */
export function validationSql(g: Guideline, dialect: Dialect, columns: readonly string[], table = 'patients'): string {
  const have = new Set(columns);
  const checks: string[] = [];
  for (const i of g.inputs) {
    if (!have.has(i.id)) continue;
    const c = quoteIdent(i.id);
    let bad: string | undefined;
    if (i.type === 'enum') bad = `${c} NOT IN (${i.values!.map((v) => sqlString(v.value)).join(', ')})`;
    else if (i.type === 'number') bad = [i.minimum !== undefined ? `${c} < ${i.minimum}` : '', i.maximum !== undefined ? `${c} > ${i.maximum}` : '', i.integer ? `${c} <> floor(${c})` : ''].filter(Boolean).join(' OR ') || undefined;
    else if (i.type === 'list') bad = dialect === 'duckdb' ? `json_type(CAST(${c} AS JSON)) <> 'ARRAY' OR json_array_length(${c}) > ${i.items?.maxItems ?? 100}` : `jsonb_typeof(CAST(${c} AS jsonb)) <> 'array' OR jsonb_array_length(CAST(${c} AS jsonb)) > ${i.items?.maxItems ?? 100}`;
    if (bad) checks.push(`SELECT pid, ${sqlString(i.id)} AS field, CAST(${c} AS VARCHAR) AS value FROM ${table} WHERE ${c} IS NOT NULL AND (${bad})`);
  }
  if (!checks.length) return `SELECT CAST(NULL AS BIGINT) AS pid, CAST(NULL AS VARCHAR) AS field, CAST(NULL AS VARCHAR) AS value WHERE FALSE`;
  return `SELECT * FROM (${checks.join(' UNION ALL ')}) AS bad ORDER BY pid, field LIMIT 5`;
}
