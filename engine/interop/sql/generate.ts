// The SQL generator: builds, for one plan and one dialect, the base query (every fact's value
// index, atoms, SQL-valued definitions as ordered folds over list items) and the chain of
// lookups that gives every definition, clause, option and rule its status. Tables of at most
// STATIC_CAP combinations are computed by the interpreter here; larger ones are computed for the
// combinations that occur in the data (discover()), again by the interpreter. Statuses are
// codes: 0 applies, 1 does-not-apply, 2 undecided, 3 not-in-population.
import { evaluateLogic, Unknown, type InputDef, type JsonValue } from '../../runtime/index.ts';
import { SqlTranslationError } from './errors.ts';
import { truthiness } from '../../runtime/logic.ts';
import { emptyDomain, evaluateWith, intern, pseudoDomain, tabulate, type Domain, type Expr, type Plan } from './plan.ts';
import { condition, itemColumn, itemField, itemPredicate, itemText, quoteIdent, sqlNumber, sqlString, value, type Dialect, type Scope, type SqlValue, NULLN, NULLS } from './translate.ts';

export const STATUS_NAMES = ['applies', 'does-not-apply', 'undecided', 'not-in-population'] as const;
export type StatusName = typeof STATUS_NAMES[number];
/** Largest table computed when the SQL is generated; larger ones are computed for the data's combinations. */
export const STATIC_CAP = 2048;
/** Longest list read in fixed positions (folds unrolled); longer ones are unnested and folded by a recursive CTE. */
export const UNROLL_MAX = 12;
/** Inputs whose absence one BIGINT column holds (bits 0..52: exact as a double too). */
const ABSENT_BITS = 53;
/** Largest table of status codes looked up by a population's and a clause's values at once (see combined()). */
const COMBINED_CAP = 4096;

/** The status of a value: its truthiness, three-valued. */
const TRUTH = { '!!': { var: 'x' } };

/** A table for one expression: static (every combination) or discovered (the combinations in the data). */
interface Resolved { table?: number[]; map?: Map<number, number>; domain: Domain; strides: number[] }

export interface SqlColumn { id: string; column: string }

/** Rules, clauses and options as result columns. */
export interface ResultLayout {
  rules: { id: string; column: string; clauses: { id: string; column: string; options: { intervention: string; column: string }[] }[] }[];
}

const tableCache = new WeakMap<Plan, Map<string, { reads: Domain[]; table: number[]; domain: Domain }>>();

export class SqlGenerator {
  readonly dialect: Dialect;
  readonly plan: Plan;
  private readonly columns: Set<string>;
  private readonly resolved = new Map<string, Resolved>();
  private readonly readColumn = new Map<string, string>();
  private readonly exprs: Expr[];
  /** how many combinations the interpreter evaluated */
  interpreterCalls = 0;

  /** `columns`: the patient table's columns (facts absent from it are absent for everyone). */
  constructor(plan: Plan, dialect: Dialect, columns: readonly string[]) {
    this.plan = plan;
    this.dialect = dialect;
    this.columns = new Set(columns);
    this.exprs = [...plan.defs, ...plan.rules.flatMap((r) => r.clauses.flatMap((c) => [c.when, ...c.options.flatMap((o) => (o.when ? [o.when] : []))]))];
    let i = 0;
    for (const e of this.exprs) this.readColumn.set(e.id, `t${i++}`);
    for (const e of this.exprs) for (const r of e.reads) if (this.readColumn.has(r)) this.readByOthers.add(r);
  }

  /** expressions another expression reads (definitions) */
  private readonly readByOthers = new Set<string>();

  /**
   * Whether an expression is left to the status view rather than written by a round: a clause's or
   * an option's condition that nothing else reads and whose table is a constant. The status view
   * reads it once, so its lookup costs less there than writing it to a round's table and reading
   * it back (1M patients: about 1.5 s less in all). A discovered table (a join) stays in its round:
   * moved into the status view, its joins cost the counts pass more than the round saved.
   */
  private deferred(id: string): boolean { return !this.readByOthers.has(id) && !!this.resolved.get(id)?.table; }

  private domainOf(name: string): Domain | undefined {
    return this.plan.domains.get(name) ?? pseudoDomain(name) ?? this.resolved.get(name)?.domain;
  }

  /** Tabulate what can be tabulated now; the expressions that need the data's combinations. */
  private advance(): Expr[] {
    const t0 = performance.now();
    try { return this.advanceUntimed(); } finally { this.interpreterMs += performance.now() - t0; }
  }

  /** which table holds each materialized expression's column (audit_w<round>: pid and that round's columns only) */
  private readonly home = new Map<string, string>();
  private round = 0;

  /**
   * SQL that materializes the expressions resolved since the last round into a narrow table (pid
   * and their columns): a round rewrites only what is new, not the row of every column so far.
   */
  materialize(): { sql: string; table: string } {
    const table = `audit_w${++this.round}`;
    const fresh = [...this.resolved.keys()].filter((id) => !this.home.has(id) && !this.deferred(id));
    const sql = `CREATE TEMP TABLE ${table} AS ${this.chainSql(true)}\nSELECT pid${fresh.map((id) => `, ${this.readColumn.get(id)!}`).join('')} FROM lv`;
    for (const id of fresh) this.home.set(id, table);
    this.roundSql.push(`CREATE TEMP TABLE ${table} AS ${sql.slice(`CREATE TEMP TABLE ${table} AS `.length)}`);
    return { sql, table };
  }

  /** the statements materialize() gave, in order (for --sql) */
  readonly roundSql: string[] = [];

  /** every table materialize() has created (the caller drops them when the statuses are in) */
  get roundTables(): string[] { return Array.from({ length: this.round }, (_, i) => `audit_w${i + 1}`); }

  /** discovered tables the caller must create (k BIGINT, v SMALLINT) before the next query */
  pending: { table: string; rows: [number, number][] }[] = [];

  /** milliseconds spent in the interpreter (tables and discovered combinations) */
  interpreterMs = 0;

  private advanceUntimed(): Expr[] {
    const need: Expr[] = [];
    for (const e of this.exprs) {
      if (this.resolved.has(e.id)) continue;
      const ds = e.reads.map((r) => this.domainOf(r));
      if (ds.some((d) => !d)) continue;
      const strides = stridesOf(ds as Domain[]);
      const size = strides.length ? strides[0] * ds[0]!.vals.length : 1;
      if (size <= STATIC_CAP) {
        // the same expression over the same domains (another audit of this guideline) is tabulated once
        let cache = tableCache.get(this.plan);
        if (!cache) { cache = new Map(); tableCache.set(this.plan, cache); }
        let hit = cache.get(e.id);
        if (!hit || hit.reads.length !== ds.length || hit.reads.some((d, k) => d !== ds[k])) {
          hit = { reads: ds as Domain[], ...tabulate(e, ds as Domain[]) };
          cache.set(e.id, hit);
          this.interpreterCalls += size;
        }
        const { table, domain } = hit;
        this.resolved.set(e.id, { table, domain, strides });
      } else need.push(e);
    }
    // only those whose reads are all resolved can be discovered now (they all are: advance resolves in order)
    return need;
  }

  /** the columns holding each input's absence, ABSENT_BITS inputs to a word */
  get absenceWords(): string[] {
    return Array.from({ length: Math.ceil(this.plan.guideline.inputs.length / ABSENT_BITS) }, (_, w) => `mw${w}`);
  }

  /** whether the k-th input (in the guideline's order) is absent: a test of its bit */
  absent(k: number): string {
    return `((mw${Math.floor(k / ABSENT_BITS)} & CAST(${2 ** (k % ABSENT_BITS)} AS BIGINT)) <> 0)`;
  }

  /** the word and bit of the k-th input's absence */
  absentBit(k: number): { word: number; bit: number } {
    return { word: Math.floor(k / ABSENT_BITS), bit: k % ABSENT_BITS };
  }

  /** whether the patient table has the treatment given (`intervention_given`) */
  get hasTreatmentColumn(): boolean { return this.columns.has('intervention_given'); }

  get done(): boolean { return this.exprs.every((e) => this.resolved.has(e.id)); }

  /** The next discovery query (distinct key combinations of the expressions that need them), or undefined when every table is known. */
  nextDiscovery(): { sql: string; exprs: Expr[] } | undefined {
    const need = this.advance();
    if (!need.length) return undefined;
    const keys = need.map((e) => this.keyOf(e, stridesOf(e.reads.map((r) => this.domainOf(r)!))));
    // one row: per expression the list of its distinct keys (GROUPING SETS gave a row per key,
    // every other expression's column NULL: most of the cells, and of the time, to read them back)
    const agg = this.dialect === 'duckdb' ? 'list' : 'array_agg';
    const sql = `${this.chainSql(true, need.flatMap((e) => e.reads.map((r) => this.colOf(r))))}\nSELECT ${keys.map((k, i) => `${agg}(DISTINCT ${k}) AS k${i}`).join(', ')} FROM lv`;
    return { sql, exprs: need };
  }

  /** Record the combinations a discovery query found: evaluate each with the interpreter. */
  resolveDiscovered(exprs: Expr[], rows: Record<string, unknown>[]): void {
    const t0 = performance.now();
    exprs.forEach((e, i) => {
      const ds = e.reads.map((r) => this.domainOf(r)!);
      const strides = stridesOf(ds);
      const domain = emptyDomain();
      const map = new Map<number, number>();
      for (const raw of keysOf(rows, `k${i}`)) {
        if (raw === null || raw === undefined) continue;
        const key = Number(raw);
        if (map.has(key)) continue;
        const vals = ds.map((d, k) => d.vals[Math.floor(key / strides[k]) % d.vals.length]);
        map.set(key, intern(domain, evaluateWith(e, vals)));
        this.interpreterCalls++;
      }
      this.resolved.set(e.id, { map, domain, strides });
      this.pending.push({ table: `m_${this.readColumn.get(e.id)!}`, rows: [...map.entries()] });
    });
    this.interpreterMs += performance.now() - t0;
  }

  private keyOf(e: Expr, strides: number[]): string {
    if (!e.reads.length) return '0';
    return `(${e.reads.map((r, k) => `CAST(${this.colOf(r)} AS BIGINT) * ${strides[k]}`).join(' + ')})`;
  }

  private colOf(name: string): string {
    const c = this.readColumn.get(name) ?? this.leafColumn.get(name);
    if (!c) throw new SqlTranslationError(name, '', 'no column for this read');
    return c;
  }

  private leafColumn = new Map<string, string>();

  /**
   * The longest list of each list fact in the data (set by the caller before baseSql): a list no
   * longer than UNROLL_MAX is read item by item in fixed positions, its folds unrolled.
   */
  listLengths = new Map<string, number>();
  /** longest list read in fixed positions (UNROLL_MAX; 0 unnests every list, as for long lists) */
  unrollMax = UNROLL_MAX;

  /** Whether a list is read in fixed positions (its folds unrolled, its list atoms a few CASEs), and how many. */
  private unrolled(list: string): number | undefined {
    const n = this.listLengths.get(list);
    return n !== undefined && n <= this.unrollMax ? n : undefined;
  }

  /** The base query: one row per patient with every read's value index (and each input's absence). */
  baseSql(table = 'patients'): string {
    const d = this.dialect;
    const g = this.plan.guideline;
    const inputs = new Map(g.inputs.map((i) => [i.id, i]));
    const ctes: string[] = [];
    const col = (id: string) => (this.columns.has(id) ? `${quoteIdent(id)}` : `CAST(NULL AS ${sqlType(inputs.get(id)!)})`);
    ctes.push(`p AS (SELECT "pid", ${g.inputs.map((i) => `${col(i.id)} AS ${quoteIdent(i.id)}`).join(', ')}${this.columns.has('intervention_given') ? ', "intervention_given"' : ''} FROM ${table})`);
    const lists = g.inputs.filter((i) => i.type === 'list');
    const typedFields = (l: InputDef) => Object.entries(l.items?.fields ?? {}).filter(([, f]) => f.type === 'number' || f.type === 'enum');
    let prev = 'p';
    // short lists: the length and every item's fields in fixed positions, read from JSON once per row
    const fixed = lists.filter((l) => this.unrolled(l.id) !== undefined);
    if (fixed.length) {
      const parsed = fixed.map((l) => {
        const c = quoteIdent(l.id);
        const n = this.unrolled(l.id)!;
        const paths = Array.from({ length: n }, (_, j) => typedFields(l).map(([f]) => sqlString(`$[${j}].${f}`))).flat();
        return d === 'duckdb'
          ? `CAST(json_array_length(${c}) AS INTEGER) AS ${quoteIdent(`n_${l.id}`)}${paths.length ? `, json_extract_string(${c}, [${paths.join(', ')}]) AS ${quoteIdent(`j_${l.id}`)}` : ''}`
          : `CAST(jsonb_array_length(CAST(${c} AS jsonb)) AS INTEGER) AS ${quoteIdent(`n_${l.id}`)}, CAST(${c} AS jsonb) AS ${quoteIdent(`j_${l.id}`)}`;
      });
      ctes.push(`pl AS (SELECT p.*, ${parsed.join(', ')} FROM p)`);
      const items = fixed.flatMap((l) => {
        const fields = typedFields(l);
        return Array.from({ length: this.unrolled(l.id)! }, (_, j) => fields.map(([name, f], k) => {
          const j_ = quoteIdent(`j_${l.id}`);
          const text = d === 'duckdb' ? `${j_}[${j * fields.length + k + 1}]` : `(${j_} -> ${j} ->> ${sqlString(name)})`;
          return `${f.type === 'number' ? `CAST(${text} AS DOUBLE PRECISION)` : text} AS ${quoteIdent(`i${j + 1}_${l.id}_${name}`)}`;
        })).flat();
      });
      ctes.push(`pi AS (SELECT pl.*${items.map((x) => `, ${x}`).join('')} FROM pl)`);
      prev = 'pi';
    }
    for (const l of lists.filter((x) => this.unrolled(x.id) === undefined)) {
      const c = quoteIdent(l.id);
      // each item's fields read from JSON once, into typed columns (f_<field>) every fold and list atom reads
      const typed = typedFields(l).map(([name, f]) => `${itemText(d, 'item', name, f)} AS ${quoteIdent(`f_${name}`)}`);
      ctes.push(d === 'duckdb'
        ? `items_${l.id} AS (SELECT pid, ord${typed.map((t) => `, ${t}`).join('')} FROM (SELECT pid, unnest(js) AS item, unnest(range(1, len(js) + 1)) AS ord FROM (SELECT pid, json_extract(${c}, '$[*]') AS js FROM p WHERE ${c} IS NOT NULL) AS x) AS y)`
        : `items_${l.id} AS (SELECT p.pid, e.ord${typed.map((t) => `, ${t}`).join('')} FROM p CROSS JOIN LATERAL jsonb_array_elements(CAST(p.${c} AS jsonb)) WITH ORDINALITY AS e(item, ord))`);
    }
    // the position-j item of a fixed-position list as an item scope
    const itemAt = (l: InputDef, j: number) => (f: string) => {
      const field = l.items!.fields[f];
      return field ? itemColumn(quoteIdent(`i${j}_${l.id}_${f}`), f, field) : undefined;
    };
    // a projection on the chain; PostgreSQL would substitute a projection's expressions into the next
    // one (an unrolled fold reads its accumulator several times per step), so there each is a fence
    const fence = d === 'postgres' ? ' MATERIALIZED' : '';
    // SQL-valued definitions, each a column triple on a chain sq0, sq1, ...
    const sqCols = new Map<string, SqlValue>();
    let foldN = 0;
    const rootScope = (node: string, joins: string[], from: () => string): Scope => ({
      node,
      root: (name) => {
        const v = sqCols.get(name);
        if (v) return v;
        const input = inputs.get(name);
        if (input && input.type === 'number') return { n: `CAST(${quoteIdent(name)} AS DOUBLE PRECISION)`, s: NULLS, u: `(${quoteIdent(name)} IS NULL)` };
        return undefined;
      },
      fold: (l, ptr) => {
        const op = Object.keys(l as object)[0];
        const args = (l as Record<string, JsonValue[]>)[op];
        const listName = typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]) && 'var' in args[0] ? (args[0] as { var: string }).var : undefined;
        const list = listName ? inputs.get(listName) : undefined;
        if (!list || list.type !== 'list') throw new SqlTranslationError(node, ptr, '"reduce" over something other than a list fact is not supported by the SQL generator');
        const k = foldN++;
        const init = args.length > 2 ? value(args[2], rootScope(node, joins, from), `${ptr}/reduce/2`) : { n: NULLN, s: NULLS, u: 'TRUE' };
        const fields = list.items!.fields;
        const n = this.unrolled(list.id);
        if (n !== undefined) {
          // unrolled: step j runs when the accumulator is known and the list has a j-th item (the
          // recursive fold's rows, one column triple per step, in one row per patient)
          const acc = (j: number): SqlValue => ({ n: `fd${k}_${j}n`, s: `fd${k}_${j}s`, u: `fd${k}_${j}u` });
          const at = (j: number, v: SqlValue) => `CAST(${v.n} AS DOUBLE PRECISION) AS ${acc(j).n}, CAST(${v.s} AS VARCHAR) AS ${acc(j).s}, ${v.u} AS ${acc(j).u}`;
          const start = from();
          ctes.push(`fd${k}_0 AS${fence} (SELECT ${start}.*, ${at(0, { ...init, u: `(${init.u} OR ${quoteIdent(list.id)} IS NULL)` })} FROM ${start})`);
          for (let j = 1; j <= n; j++) {
            const step = value(args[1], { node, root: () => undefined, item: itemAt(list, j), accumulator: { n: acc(j - 1).n, s: acc(j - 1).s, u: 'FALSE' } }, `${ptr}/reduce/1`);
            const run = `(NOT ${acc(j - 1).u} AND ${quoteIdent(`n_${list.id}`)} >= ${j})`;
            const pick = (a: string, b: string) => `(CASE WHEN ${run} THEN ${a} ELSE ${b} END)`;
            ctes.push(`fd${k}_${j} AS${fence} (SELECT fd${k}_${j - 1}.*, ${at(j, { n: pick(step.n, acc(j - 1).n), s: pick(step.s, acc(j - 1).s), u: pick(step.u, acc(j - 1).u) })} FROM fd${k}_${j - 1})`);
          }
          tail = `fd${k}_${n}`;
          return acc(n);
        }
        const step = value(args[1], {
          node,
          root: () => undefined,
          item: (f) => (fields[f] ? itemField('it', f, fields[f]) : undefined),
          accumulator: { n: 'f.n', s: 'f.s', u: 'FALSE' },
        }, `${ptr}/reduce/1`);
        const src = from();
        ctes.push(`fold${k}(pid, i, n, s, u) AS (SELECT pid, 0, CAST(${init.n} AS DOUBLE PRECISION), CAST(${init.s} AS VARCHAR), (${init.u} OR ${quoteIdent(list.id)} IS NULL) FROM ${src} UNION ALL SELECT f.pid, f.i + 1, CAST(${step.n} AS DOUBLE PRECISION), CAST(${step.s} AS VARCHAR), ${step.u} FROM fold${k} AS f JOIN items_${list.id} AS it ON it.pid = f.pid AND it.ord = f.i + 1 WHERE NOT f.u)`);
        ctes.push(`fres${k} AS (SELECT DISTINCT ON (pid) pid, n, s, u FROM fold${k} ORDER BY pid, i DESC)`);
        joins.push(`fres${k}`);
        return { n: `fres${k}.n`, s: `fres${k}.s`, u: `COALESCE(fres${k}.u, TRUE)` };
      },
    });
    let sqN = 0;
    let tail = prev;
    for (const sd of this.plan.sqlDefs) {
      const joins: string[] = [];
      tail = prev;
      const v = value(sd.def.expr, rootScope(sd.def.id, joins, () => tail), '/expr');
      const name = `sq${sqN++}`;
      const c = `v${sqN}`;
      ctes.push(`${name} AS${fence} (SELECT ${tail}.*, ${v.n} AS ${c}n, ${v.s} AS ${c}s, ${v.u} AS ${c}u FROM ${tail}${joins.map((f) => ` LEFT JOIN ${f} ON ${f}.pid = ${tail}.pid`).join('')})`);
      sqCols.set(sd.def.id, { n: `${c}n`, s: `${c}s`, u: `${c}u` });
      prev = name;
    }
    // every value index and atom code of the base table is below 256 (a domain has at most 65
    // values; checked below): one byte a cell on DuckDB (UTINYINT) instead of four, for the
    // table written once and read by every round
    const narrow = (x: string) => (d === 'duckdb' ? `CAST(${x} AS UTINYINT)` : x);
    // list atoms: aggregates over the items (or, for a fixed-position list, over its positions)
    const cols: string[] = [`${prev}.pid AS pid`];
    const joins: string[] = [];
    let la = 0;
    const listGroups = new Map<string, string[]>();
    for (const atom of this.plan.atoms) {
      const c = `a_${atom.id}`;
      if (atom.kind === 'compare') {
        const cond = condition(atom.logic, rootScope(atom.node, [], () => prev), atom.pointer);
        // true 1, false 0, unknown (NULL) 2: the condition written once (a CASE testing it for NULL
        // and then for truth wrote, and computed, it twice)
        cols.push(`${narrow(`COALESCE(CAST(${cond} AS INTEGER), 2)`)} AS ${c}`);
      } else {
        const op = Object.keys(atom.logic as object)[0];
        const args = (atom.logic as Record<string, JsonValue[]>)[op];
        const list = inputs.get((args[0] as { var: string }).var)!;
        const fields = list.items!.fields;
        const missing = `${prev}.${quoteIdent(list.id)} IS NULL`;
        const n = this.unrolled(list.id);
        let v: string;
        if (n !== undefined) {
          // The item predicate once per position, folded by SQL's own Kleene logic (one pass, each
          // predicate written once; three "is there a true / unknown / false item" ORs wrote it
          // three times, the longest columns of the base query). "some": OR over the items that
          // exist (true if one is true, else unknown if one is unknown); "all": AND of "absent or
          // true" (false if one is false); "none" is not "some". NULL is 2 (undecided).
          const preds = Array.from({ length: n }, (_, j) => ({ has: `${quoteIdent(`n_${list.id}`)} >= ${j + 1}`, pred: itemPredicate(args[1], { node: atom.node, root: () => undefined, item: itemAt(list, j + 1) }, `${atom.pointer}/${op}/1`) }));
          const some = preds.length ? `(${preds.map((x) => `(${x.has} AND ${x.pred})`).join(' OR ')})` : 'FALSE';
          const every = preds.length ? `(${preds.map((x) => `(NOT (${x.has}) OR ${x.pred})`).join(' AND ')})` : 'TRUE';
          const code = (b: string) => `COALESCE(CAST(${b} AS INTEGER), 2)`;
          v = op === 'some'
            ? `CASE WHEN ${missing} THEN 2 ELSE ${code(some)} END`
            : op === 'none'
              ? `CASE WHEN ${missing} THEN 2 ELSE ${code(`NOT ${some}`)} END`
              : `CASE WHEN ${missing} THEN 2 WHEN ${quoteIdent(`n_${list.id}`)} = 0 THEN 0 ELSE ${code(every)} END`;
        } else {
          const pred = itemPredicate(args[1], { node: atom.node, root: () => undefined, item: (x) => (fields[x] ? itemField('it', x, fields[x]) : undefined) }, `${atom.pointer}/${op}/1`);
          // every list atom over one list is one aggregate of one GROUP BY (one join, not one per atom)
          const k = la++;
          let group = listGroups.get(list.id);
          if (!group) { group = []; listGroups.set(list.id, group); }
          group.push(`bool_or(${pred} IS TRUE) AS t${k}, bool_or(${pred} IS NULL) AS u${k}, bool_or(${pred} IS FALSE) AS f${k}`);
          const g = `la_${list.id}`;
          const [t, u, f, empty] = [`${g}.t${k}`, `${g}.u${k}`, `${g}.f${k}`, `${g}.pid IS NULL`];
          v = op === 'some'
            ? `CASE WHEN ${missing} THEN 2 WHEN ${empty} THEN 0 WHEN ${t} THEN 1 WHEN ${u} THEN 2 ELSE 0 END`
            : op === 'none'
              ? `CASE WHEN ${missing} THEN 2 WHEN ${empty} THEN 1 WHEN ${t} THEN 0 WHEN ${u} THEN 2 ELSE 1 END`
              : `CASE WHEN ${missing} THEN 2 WHEN ${empty} THEN 0 WHEN ${f} THEN 0 WHEN ${u} THEN 2 ELSE 1 END`;
        }
        cols.push(`${narrow(`(${v})`)} AS ${c}`, `${narrow(`(CASE WHEN ${missing} THEN 0 ELSE 1 END)`)} AS ${c}_lk`);
        this.leafColumn.set(`__atom__${atom.id}__listknown`, `${c}_lk`);
      }
      this.leafColumn.set(`__atom__${atom.id}`, c);
    }
    for (const [id, aggs] of listGroups) {
      ctes.push(`la_${id} AS (SELECT it.pid, ${aggs.join(', ')} FROM items_${id} AS it GROUP BY it.pid)`);
      joins.push(`LEFT JOIN la_${id} ON la_${id}.pid = ${prev}.pid`);
    }
    // finite facts and SQL-valued definitions with few values: their index in the domain
    for (const [name, dom] of this.plan.domains) {
      if (dom.vals.length > 255) throw new SqlTranslationError(name, '', `${dom.vals.length} values: more than a one-byte value index holds`);
      const c = `x_${this.leafColumn.size}`;
      const input = inputs.get(name);
      const v: SqlValue = input ? { n: input.type === 'number' ? `${prev}.${quoteIdent(name)}` : NULLN, s: input.type === 'enum' ? `${prev}.${quoteIdent(name)}` : NULLS, u: `(${prev}.${quoteIdent(name)} IS NULL)` } : sqCols.get(name)!;
      const direct = input ? directIndex(input, dom, `${prev}.${quoteIdent(name)}`) : undefined;
      if (direct) {
        cols.push(`${narrow(direct)} AS ${c}`);
        this.leafColumn.set(name, c);
        continue;
      }
      const whens = dom.vals.map((x, i) => {
        if (x instanceof Unknown) return `WHEN ${v.u} THEN ${i}`;
        if (input?.type === 'boolean') return `WHEN ${prev}.${quoteIdent(name)} = ${x ? 'TRUE' : 'FALSE'} THEN ${i}`;
        if (typeof x === 'number') return `WHEN ${v.n} = ${sqlNumber(x)} THEN ${i}`;
        if (typeof x === 'string') return `WHEN ${v.s} = ${sqlString(x)} THEN ${i}`;
        throw new SqlTranslationError(name, '', `value ${JSON.stringify(x)} cannot be indexed in SQL`);
      });
      // an unknown first: a NULL never matches the value tests
      const unknownFirst = [...whens.filter((w) => w.includes(' IS NULL)') || w.startsWith(`WHEN ${v.u}`)), ...whens.filter((w) => !(w.includes(' IS NULL)') || w.startsWith(`WHEN ${v.u}`)))];
      cols.push(`${narrow(`(CASE ${unknownFirst.join(' ')} END)`)} AS ${c}`);
      this.leafColumn.set(name, c);
    }
    for (const n of this.plan.presence) {
      const c = `x_${this.leafColumn.size}`;
      cols.push(`${narrow(`(CASE WHEN ${prev}.${quoteIdent(n)} IS NULL THEN 1 ELSE 0 END)`)} AS ${c}`);
      this.leafColumn.set(`__present__${n}`, c);
    }
    // absence of every input (for the most frequent missing facts) and the treatment given
    // packed ABSENT_BITS to a BIGINT word: a few columns to write and read instead of one per input
    for (let w = 0; w * ABSENT_BITS < g.inputs.length; w++) {
      const bits = g.inputs.slice(w * ABSENT_BITS, (w + 1) * ABSENT_BITS).map((i, b) => `(CASE WHEN ${prev}.${quoteIdent(i.id)} IS NULL THEN CAST(${2 ** b} AS BIGINT) ELSE CAST(0 AS BIGINT) END)`);
      cols.push(`(${bits.join(' + ')}) AS mw${w}`);
    }
    if (this.columns.has('intervention_given')) cols.push(`${prev}."intervention_given" AS intervention_given`);
    return `WITH RECURSIVE ${ctes.join(',\n')}\nSELECT ${cols.join(', ')} FROM ${prev} ${joins.join(' ')}`;
  }

  /** The table holding a column: audit_base for the leaves, a round's table for a materialized expression. */
  private tableOf(column: string): string {
    return this.homeByColumn.get(column) ?? 'audit_base';
  }

  private get homeByColumn(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [id, t] of this.home) m.set(this.readColumn.get(id)!, t);
    return m;
  }

  /**
   * The lookups, level by level, of the expressions not materialized yet: `WITH src AS (...), ...
   * lv AS (...)` (open, for a final SELECT). `src` reads only the columns these lookups and `keep`
   * need, from audit_base and the round tables that hold them (joined on pid).
   */
  chainSql(onlyResolved = false, keep: readonly string[] = []): string {
    const levels = new Map<string, number>();
    const byLevel: string[][] = [];
    const joinsByLevel: string[][] = [];
    const computed = new Set<string>();
    const external = new Set<string>(keep);
    for (const e of this.exprs) {
      if (this.home.has(e.id)) continue;
      // a deferred condition waits for the status view (see deferred())
      if (onlyResolved && this.deferred(e.id)) continue;
      const r = this.resolved.get(e.id);
      if (!r) { if (onlyResolved) continue; throw new Error(`${e.id} is not resolved`); }
      for (const x of e.reads) if (!computed.has(x)) external.add(this.colOf(x));
      computed.add(e.id);
      const lv = 1 + Math.max(0, ...e.reads.map((x) => levels.get(x) ?? 0));
      levels.set(e.id, lv);
      (byLevel[lv] ??= []).push(e.id);
      const key = this.keyOf(e, r.strides);
      const c = this.readColumn.get(e.id)!;
      if (r.table) {
        (joinsByLevel[lv] ??= []);
        byLevel[lv][byLevel[lv].length - 1] = `${this.lookup(r.table, key)} AS ${c}`;
      } else {
        const m = `m_${c}`;
        (joinsByLevel[lv] ??= []).push(`LEFT JOIN ${m} ON ${m}.k = ${key}`);
        byLevel[lv][byLevel[lv].length - 1] = `${m}.v AS ${c}`;
      }
    }
    external.delete('pid');
    for (const id of computed) external.delete(this.readColumn.get(id)!);
    const tables = [...new Set([...external].map((c) => this.tableOf(c)))].filter((t) => t !== 'audit_base');
    const from = ['audit_base', ...tables.map((t) => `JOIN ${t} ON ${t}.pid = audit_base.pid`)].join(' ');
    const ctes: string[] = [`src AS (SELECT audit_base.pid AS pid${[...external].map((c) => `, ${this.tableOf(c)}.${c} AS ${c}`).join('')} FROM ${from})`];
    let prev = 'src';
    for (let lv = 1; lv < byLevel.length; lv++) {
      if (!byLevel[lv]?.length) continue;
      const name = `l${lv}`;
      const joins = joinsByLevel[lv] ?? [];
      if (!joins.length) {
        ctes.push(`${name} AS (SELECT ${prev}.*, ${byLevel[lv].join(', ')} FROM ${prev})`);
      } else {
        // the lookups of discovered tables joined on a narrow row (pid and the key columns), then
        // one join back: chaining the joins on the wide row copied every column once per join
        const looked = byLevel[lv].filter((x) => / AS t\d+$/.test(x) && x.startsWith('m_t'));
        const rest = byLevel[lv].filter((x) => !looked.includes(x));
        ctes.push(`${name}j AS (SELECT q.pid AS pid, ${looked.join(', ')} FROM ${prev} AS q ${joins.join(' ')})`);
        ctes.push(`${name} AS (SELECT ${prev}.*, ${[...rest, ...looked.map((x) => `${name}j.${x.split(' AS ')[1]}`)].join(', ')} FROM ${prev} JOIN ${name}j ON ${name}j.pid = ${prev}.pid)`);
      }
      prev = name;
    }
    ctes.push(`lv AS (SELECT * FROM ${prev})`);
    return `WITH ${ctes.join(',\n')}`;
  }

  private lookup(table: number[], key: string): string {
    if (table.every((x) => x === table[0])) return `${table[0]}`;
    return this.list(table, key);
  }

  /** A constant list indexed by a key: one string constant (cheap to bind), cast once. */
  private list(values: number[], key: string): string {
    return this.dialect === 'duckdb' ? `(CAST('[${values.join(',')}]' AS SMALLINT[]))[${key} + 1]` : `(CAST('{${values.join(',')}}' AS smallint[]))[${key} + 1]`;
  }

  /** Status code of each value of an expression (or population): applies 0, does-not-apply 1, undecided 2. */
  private statusCodes(id: string): number[] {
    let codes = this.codes.get(id);
    if (!codes) this.codes.set(id, (codes = this.statusCodesUncached(id)));
    return codes;
  }

  private readonly codes = new Map<string, number[]>();

  private statusCodesUncached(id: string): number[] {
    return this.resolved.get(id)!.domain.vals.map((v) => {
      // `!!` of a value whose truthiness is known is that truthiness (applyThree): the interpreter
      // runs only for the others (a case split may still decide them), tens of thousands of values
      // in a large audit
      const known = truthiness(v);
      const t = known !== undefined ? known : evaluateLogic(TRUTH, { mode: 'unknown', node: id, data: null, resolveRoot: () => v });
      return t instanceof Unknown ? 2 : t ? 0 : 1;
    });
  }

  private statusOf(id: string): string {
    const codes = this.statusCodes(id);
    const c = this.readColumn.get(id)!;
    if (codes.every((x) => x === codes[0])) return `${codes[0]}`;
    return this.list(codes, c);
  }

  /**
   * A status code as one constant-table lookup keyed by the value indexes of several expressions
   * (the first most significant): `code` gets their status codes (statusCodes). Undefined when the
   * table would have more than COMBINED_CAP entries.
   */
  private combined(ids: string[], code: (codes: number[]) => number): string | undefined {
    const codes = ids.map((id) => this.statusCodes(id));
    const sizes = codes.map((c) => c.length);
    const size = sizes.reduce((a, b) => a * b, 1);
    if (size > COMBINED_CAP) return undefined;
    const table: number[] = [];
    const digits = sizes.map(() => 0);
    for (let n = 0; n < size; n++) {
      table.push(code(digits.map((d, k) => codes[k][d])));
      for (let k = digits.length - 1; k >= 0 && ++digits[k] === sizes[k]; k--) digits[k] = 0;
    }
    let stride = 1;
    const terms: string[] = [];
    for (let k = ids.length - 1; k >= 0; k--) {
      const c = this.readColumn.get(ids[k])!;
      terms.unshift(stride === 1 ? `CAST(${c} AS INTEGER)` : `CAST(${c} AS INTEGER) * ${stride}`);
      stride *= sizes[k];
    }
    return this.lookup(table, terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`);
  }

  /** Status columns of every rule, clause and option, in three stages (populations, clauses and options, rules), and their layout. */
  statusColumns(): { stages: string[][]; layout: ResultLayout } {
    const pops: string[] = [];
    const clausesSql: string[] = [];
    const rulesSql: string[] = [];
    const layout: ResultLayout = { rules: [] };
    const popCol = new Map<string, string>();
    let n = 0;
    const and2 = (a: string, b: string) => `(CASE WHEN ${a} = 1 OR ${b} = 1 THEN 1 WHEN ${a} = 0 AND ${b} = 0 THEN 0 ELSE 2 END)`;
    const and = (a: number, b: number) => (a === 1 || b === 1 ? 1 : a === 0 && b === 0 ? 0 : 2);
    for (const r of this.plan.rules) {
      let pop = '0';
      if (r.population) {
        if (!popCol.has(r.population)) { const c = `ps${popCol.size}`; popCol.set(r.population, c); pops.push(`${this.statusOf(r.population)} AS ${c}`); }
        pop = popCol.get(r.population)!;
      }
      const rc = `r${n++}`;
      const clauses = r.clauses.map((c) => {
        const cc = `c${n++}`;
        const own = and2(pop, this.statusOf(c.when.id));
        // One lookup by the value indexes of the population and the condition(s) together, when
        // that table is small: the CASE over two lookups per clause was most of the counts pass.
        const ids = (o?: string) => [...(r.population ? [r.population] : []), c.when.id, ...(o ? [o] : [])];
        const status = (p: number, w: number, o?: number) => (p === 1 ? 3 : o === undefined ? and(p, w) : and(and(p, w), o));
        const clauseCode = this.combined(ids(), (x) => (r.population ? status(x[0], x[1]) : status(0, x[0])));
        clausesSql.push(`${clauseCode ?? `(CASE WHEN ${pop} = 1 THEN 3 ELSE ${own} END)`} AS ${cc}`);
        const options = c.options.map((o) => {
          const oc = `o${n++}`;
          if (!o.when) clausesSql.push(`${clauseCode ?? `(CASE WHEN ${pop} = 1 THEN 3 ELSE ${own} END)`} AS ${oc}`);
          else {
            const code = this.combined(ids(o.when.id), (x) => (r.population ? status(x[0], x[1], x[2]) : status(0, x[0], x[1])));
            clausesSql.push(`${code ?? `(CASE WHEN ${pop} = 1 THEN 3 ELSE ${and2(own, this.statusOf(o.when.id))} END)`} AS ${oc}`);
          }
          return { intervention: o.intervention, column: oc };
        });
        return { id: c.id, column: cc, options };
      });
      const any0 = clauses.map((c) => `${c.column} = 0`).join(' OR ');
      const all1 = clauses.map((c) => `${c.column} = 1`).join(' AND ');
      rulesSql.push(`(CASE WHEN ${pop} = 1 THEN 3 WHEN ${any0 || 'FALSE'} THEN 0 WHEN ${all1 || 'TRUE'} THEN 1 ELSE 2 END) AS ${rc}`);
      layout.rules.push({ id: r.rule.id, column: rc, clauses });
    }
    return { stages: [pops.length ? pops : ['0 AS ps_none'], clausesSql, rulesSql], layout };
  }

  /** The chain and the CTEs sa, sb, st: the status columns (st has pid, each input's absence, the treatment given and what the statuses read too). */
  statusSql(stages: string[][]): string {
    // only what the statuses and counts read (PostgreSQL allows at most 1664 columns in a select list)
    const used = new Set<string>();
    for (const r of this.plan.rules) { if (r.population) used.add(this.readColumn.get(r.population)!); for (const c of r.clauses) { used.add(this.readColumn.get(c.when.id)!); for (const o of c.options) if (o.when) used.add(this.readColumn.get(o.when.id)!); } }
    const keep = ['pid', ...this.absenceWords, ...(this.columns.has('intervention_given') ? ['intervention_given'] : []), ...used];
    return `${this.chainSql(false, keep)},\nsa AS (SELECT ${keep.map((c) => `lv.${c}`).join(', ')}, ${stages[0].join(', ')} FROM lv),\nsb AS (SELECT sa.*, ${stages[1].join(', ')} FROM sa),\nst AS (SELECT sb.*, ${stages[2].join(', ')} FROM sb)`;
  }
}

/**
 * A boolean's or a small integer range's index in its domain by arithmetic, when the domain is its
 * values in order and then the unknown: false 0, true 1; minimum 0, minimum + 1 1, ...; a missing
 * fact (NULL) the last index. The facts were validated (an integer within the range), so the
 * result is the one the CASE over every value gives, in one expression.
 */
function directIndex(input: InputDef, dom: Domain, column: string): string | undefined {
  const n = dom.vals.length - 1;
  if (!(dom.vals[n] instanceof Unknown)) return undefined;
  const vals = dom.vals.slice(0, n);
  if (input.type === 'boolean' && n === 2 && vals[0] === false && vals[1] === true) return `COALESCE(CAST(${column} AS INTEGER), 2)`;
  const min = input.minimum;
  if (input.type === 'number' && input.integer === true && typeof min === 'number' && Number.isInteger(min) && vals.every((v, i) => v === min + i)) {
    return `COALESCE(CAST(${column} - ${sqlNumber(min)} AS INTEGER), ${n})`;
  }
  return undefined;
}

/** The distinct keys a discovery query found for one expression: a list per row (one row; any for an empty table). */
function keysOf(rows: Record<string, unknown>[], column: string): unknown[] {
  const out: unknown[] = [];
  for (const row of rows) {
    const v = row[column];
    if (Array.isArray(v)) for (const x of v) out.push(x);
    else if (v !== null && v !== undefined) throw new Error(`discovery column ${column} is not a list`);
  }
  return out;
}

function stridesOf(ds: Domain[]): number[] {
  const strides: number[] = [];
  let s = 1;
  for (let k = ds.length - 1; k >= 0; k--) { strides[k] = s; s *= ds[k].vals.length; }
  if (s > 2 ** 52) throw new Error('key space too large');
  return strides;
}

export function sqlType(i: InputDef): string {
  switch (i.type) {
    case 'number': return 'DOUBLE PRECISION';
    case 'boolean': return 'BOOLEAN';
    default: return 'VARCHAR';
  }
}

export type { JsonValue };
