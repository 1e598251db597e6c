// `guideline audit <patients.(jsonl|csv|parquet)>`: the guideline as SQL over a population, on
// DuckDB embedded (default) or PostgreSQL (in process with PGlite: --db pglite; a server:
// --db postgres://..., through the `pg` package when it is installed). Per rule and clause the
// counts of each status, the facts most often missing where a rule stays undecided, and, with an
// `intervention_given` column, concordance.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { Guideline } from '../runtime/index.ts';
import { columnType, countsSql, prepareAudit, validationSql, type AuditCounts, type Dialect, type Query, perPatientSql, statusViewSql, STATUS_TABLE, type Prepared } from '../interop/index.ts';
import { renderAuditHtml } from './audit-html.ts';

export interface Database { dialect: Dialect; query: Query; close(): Promise<void> }

export async function openDuckdb(): Promise<Database> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  return {
    dialect: 'duckdb',
    query: async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    close: async () => { con.closeSync(); instance.closeSync(); },
  };
}

export async function openPglite(): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite();
  await db.waitReady;
  return {
    dialect: 'postgres',
    query: async (sql) => (await db.query(sql)).rows as Record<string, unknown>[],
    close: async () => { await db.close(); },
  };
}

export async function openPostgres(url: string): Promise<Database> {
  let pg: { Client: new (o: { connectionString: string }) => { connect(): Promise<void>; query(s: string): Promise<{ rows: Record<string, unknown>[] }>; end(): Promise<void> } };
  try {
    pg = (await import(/* @vite-ignore */ 'pg' as string)) as typeof pg;
  } catch {
    throw new AuditError('--db postgres://... needs the "pg" package (npm install pg); for PostgreSQL in process use --db pglite');
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { dialect: 'postgres', query: async (sql) => (await client.query(sql)).rows, close: () => client.end() };
}

export class AuditError extends Error {}

const SQL_NAME = /^[a-z_][a-z0-9_]*$/;

/** Load patients from a file into the table `patients` (DuckDB reads the file; PostgreSQL gets the rows DuckDB read). */
export async function loadPatients(db: Database, g: Guideline, file: string): Promise<string[]> {
  const path = resolve(file);
  if (!existsSync(path)) throw new AuditError(`${file}: no such file`);
  const ext = extname(path).toLowerCase();
  const duck = db.dialect === 'duckdb' ? db : await openDuckdb();
  try {
    const lit = `'${path.replace(/'/g, "''")}'`;
    const reader = ext === '.jsonl' || ext === '.ndjson' ? `read_json(${lit}, format = 'newline_delimited', records = true, sample_size = -1)`
      : ext === '.csv' ? `read_csv(${lit}, header = true, all_varchar = true)`
        : ext === '.parquet' ? `read_parquet(${lit})`
          : undefined;
    if (!reader) throw new AuditError(`${file}: expected .jsonl, .csv or .parquet`);
    let described: Record<string, unknown>[];
    try {
      described = await duck.query(`DESCRIBE SELECT * FROM ${reader}`);
    } catch (e) {
      throw new AuditError(`${file}: could not read: ${(e as Error).message.split('\n')[0]}`);
    }
    const present = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    const inputs = new Map(g.inputs.map((i) => [i.id, i]));
    const unknown = [...present.keys()].filter((c) => !inputs.has(c) && c !== 'intervention_given' && c !== 'patient_id');
    if (unknown.length) throw new AuditError(`${file}: column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the data dictionary (nor intervention_given)`);
    const columns = [...present.keys()].filter((c) => inputs.has(c) || c === 'intervention_given');
    for (const c of columns) if (!SQL_NAME.test(c)) throw new AuditError(`${file}: column "${c}" is not a plain name`);
    // typed, row by row: a value that does not convert names its row and field
    const typed = columns.map((c) => {
      const input = inputs.get(c);
      const raw = `src."${c}"`;
      if (!input) return `CAST(${raw} AS VARCHAR) AS "${c}"`;
      if (input.type === 'list') return /^(VARCHAR|JSON)$/.test(present.get(c) ?? '') ? `CAST(${raw} AS VARCHAR) AS "${c}"` : `CAST(to_json(${raw}) AS VARCHAR) AS "${c}"`;
      const t = columnType(input) === 'DOUBLE PRECISION' ? 'DOUBLE' : columnType(input);
      return `TRY_CAST(${ext === '.csv' ? `NULLIF(${raw}, '')` : raw} AS ${t}) AS "${c}"`;
    });
    // a column already of its type needs no check (Parquet's typed columns)
    const target = (c: string) => (columnType(inputs.get(c)!) === 'DOUBLE PRECISION' ? 'DOUBLE' : columnType(inputs.get(c)!));
    const typedAlready = (c: string) => ext === '.parquet' && (present.get(c) === target(c) || (target(c) === 'DOUBLE' && /^(DOUBLE|FLOAT|REAL|DECIMAL.*|(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?))$/.test(present.get(c) ?? '')));
    const badType = columns.filter((c) => inputs.get(c) && inputs.get(c)!.type !== 'list' && !typedAlready(c)).map((c) => {
      const raw = ext === '.csv' ? `NULLIF(src."${c}", '')` : `src."${c}"`;
      return `SELECT pid, '${c}' AS field, CAST(${raw} AS VARCHAR) AS value FROM src WHERE ${raw} IS NOT NULL AND TRY_CAST(${raw} AS ${target(c)}) IS NULL`;
    });
    // Parquet is read where it lies (twice at most: it is columnar and numbered in parallel by the
    // reader); JSON lines and CSV are parsed once into a numbered table
    const parquet = ext === '.parquet';
    const srcSql = parquet ? `SELECT file_row_number + 1 AS pid, * EXCLUDE (file_row_number) FROM read_parquet(${lit}, file_row_number = true)` : `SELECT row_number() OVER () AS pid, * FROM ${reader}`;
    const src = parquet ? `(${srcSql}) AS src` : 'src';
    try {
      if (!parquet) await duck.query(`CREATE OR REPLACE TABLE src AS ${srcSql}`);
    } catch (e) {
      throw new AuditError(`${file}: could not read: ${(e as Error).message.split('\n')[0]}`);
    }
    if (badType.length) {
      const bad = await duck.query(`${badType.map((b) => b.replace(/FROM src WHERE/, `FROM ${src} WHERE`)).join(' UNION ALL ')} ORDER BY pid LIMIT 1`);
      if (bad.length) throw new AuditError(`${file}: row ${bad[0].pid}, field "${bad[0].field}": ${JSON.stringify(bad[0].value)} is not a ${inputs.get(String(bad[0].field))!.type}`);
    }
    try {
      // On DuckDB a Parquet file stays where it lies, read through a view by the few queries that
      // follow (copying it into a table was a tenth of a million-patient audit); the other formats,
      // and the copy to PostgreSQL, need the table.
      const asView = parquet && duck === db;
      await dropPatients(duck);
      await duck.query(`CREATE ${asView ? 'VIEW' : 'TABLE'} patients AS SELECT pid, ${typed.join(', ')} FROM ${src}`);
    } catch (e) {
      if (!parquet) throw e;
      throw new AuditError(`${file}: could not read: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!parquet) await duck.query('DROP TABLE src');
    const invalid = await duck.query(validationSql(g, 'duckdb', columns));
    if (invalid.length) {
      const b = invalid[0];
      const input = inputs.get(String(b.field))!;
      const expect = input.type === 'enum' ? `one of ${input.values!.map((v) => v.value).join(', ')}` : input.type === 'number' ? `${input.integer ? 'an integer' : 'a number'} from ${input.minimum} to ${input.maximum}${input.unit ? ` ${input.unit}` : ''}` : `a JSON list of at most ${input.items?.maxItems ?? 100} items`;
      throw new AuditError(`${file}: row ${b.pid}, field "${b.field}": ${b.value} is not valid (expected ${expect})`);
    }
    if (duck !== db) await copyToPostgres(duck, db, g, columns);
    return columns;
  } finally {
    if (duck !== db) await duck.close();
  }
}

/** Drop `patients`, a table or a view (DuckDB refuses DROP TABLE of a view, and the other way round). */
async function dropPatients(duck: Database): Promise<void> {
  const kind = await duck.query(`SELECT table_type FROM information_schema.tables WHERE table_name = 'patients' AND table_schema = 'main'`);
  if (kind.length) await duck.query(`DROP ${String(kind[0].table_type) === 'VIEW' ? 'VIEW' : 'TABLE'} patients`);
}

async function copyToPostgres(duck: Database, db: Database, g: Guideline, columns: string[]): Promise<void> {
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  await db.query('DROP TABLE IF EXISTS patients');
  await db.query(`CREATE TABLE patients (pid BIGINT, ${columns.map((c) => `"${c}" ${inputs.get(c) ? columnType(inputs.get(c)!) : 'VARCHAR'}`).join(', ')})`);
  const rows = await duck.query(`SELECT pid, ${columns.map((c) => `"${c}"`).join(', ')} FROM patients ORDER BY pid`);
  await insertRows(db, columns, rows);
}

/** INSERT rows (objects keyed by column) into `patients`, in batches. */
export async function insertRows(db: Database, columns: string[], rows: Record<string, unknown>[]): Promise<void> {
  const lit = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    return `'${String(v).replace(/'/g, "''")}'`;
  };
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500).map((r) => `(${[r.pid, ...columns.map((c) => r[c])].map(lit).join(', ')})`);
    await db.query(`INSERT INTO patients (pid, ${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${batch.join(', ')}`);
  }
}

export interface AuditResult extends AuditCounts { guideline: { id: string; version: string }; database: string; rounds: number; seconds: number }

/** Audit the table `patients` already loaded in `db`. */
export async function auditLoaded(db: Database, g: Guideline, columns: string[], options: { unrollMax?: number } = {}): Promise<{ counts: AuditCounts; prepared: Prepared }> {
  const prepared = await prepareAudit(g, db.dialect, columns, db.query, 'patients', options);
  await db.query(`DROP VIEW IF EXISTS ${STATUS_TABLE}`);
  await db.query(statusViewSql(prepared));
  const { sqls, read } = countsSql(g, prepared, columns.includes('intervention_given'));
  const row: Record<string, unknown> = {};
  for (const sql of sqls) Object.assign(row, (await db.query(sql))[0]);
  return { counts: read(row), prepared };
}

export async function perPatientStatuses(db: Database, prepared: Prepared, pids?: { from: number; to: number }): Promise<Record<string, unknown>[]> {
  return db.query(perPatientSql(prepared, pids));
}

export async function runAudit(g: Guideline, file: string, options: { db?: string; json?: boolean; html?: string; sql?: string }, io: { out(s: string): void }): Promise<number> {
  const t0 = performance.now();
  const target = options.db ?? 'duckdb';
  const db = target === 'duckdb' ? await openDuckdb() : target === 'pglite' ? await openPglite() : target.startsWith('postgres://') || target.startsWith('postgresql://') ? await openPostgres(target) : undefined;
  if (!db) throw new AuditError(`--db: expected duckdb, pglite or postgres://..., got ${target}`);
  try {
    const columns = await loadPatients(db, g, file);
    const { counts, prepared } = await auditLoaded(db, g, columns);
    const result: AuditResult = { guideline: { id: g.manifest.id, version: g.manifest.version }, database: target.startsWith('postgres') ? 'postgres' : target, rounds: prepared.rounds, seconds: Math.round((performance.now() - t0) / 10) / 100, ...counts };
    if (options.sql) writeFileSync(options.sql, `-- base table\nCREATE TEMP TABLE audit_base AS\n${prepared.generator.baseSql()};\n\n-- the lookups, one narrow table per discovery round (the discovered tables m_t* are created before each from the data's rows)\n${prepared.generator.roundSql.map((x) => `${x};\n`).join('')}\n-- statuses of every patient (a view)\n${statusViewSql(prepared)};\n${perPatientSql(prepared)};\n`);
    if (options.html) writeFileSync(options.html, renderAuditHtml(g, result));
    if (options.json) io.out(JSON.stringify(result, null, 2) + '\n');
    else io.out(formatAudit(g, result));
    return 0;
  } finally {
    await db.close();
  }
}

export function formatAudit(g: Guideline, r: AuditResult): string {
  const lines = [`${g.manifest.id} v${g.manifest.version}: ${r.patients} patients audited on ${r.database} in ${r.seconds} s`, ''];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  lines.push(`${'rule'.padEnd(58)}${pad('applies', 9)}${pad('not', 9)}${pad('undecided', 11)}${pad('not-in-pop', 12)}  most often missing when undecided`);
  for (const [id, c] of Object.entries(r.rules)) {
    lines.push(`${id.padEnd(58)}${pad(c.applies, 9)}${pad(c['does-not-apply'], 9)}${pad(c.undecided, 11)}${pad(c['not-in-population'], 12)}  ${c.missing.map((m) => `${m.fact} (${m.patients})`).join(', ')}`);
    for (const [cid, cc] of Object.entries(c.clauses)) lines.push(`  ${cid.padEnd(56)}${pad(cc.applies, 9)}${pad(cc['does-not-apply'], 9)}${pad(cc.undecided, 11)}${pad(cc['not-in-population'], 12)}`);
  }
  if (r.concordance) {
    const k = r.concordance;
    lines.push('', `concordance (${k.patients} patients with intervention_given): given a recommended option ${k.recommended}, given none ${k.none}, given a not-recommended one ${k.notRecommended}, other ${k.other}`);
  }
  return lines.join('\n') + '\n';
}

/** For tests and the benchmark: write patients as JSON lines to a temporary file. */
export function writeJsonl(rows: Iterable<Record<string, unknown>>): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const file = join(dir, 'patients.jsonl');
  const parts: string[] = [];
  for (const r of rows) parts.push(JSON.stringify(r));
  writeFileSync(file, parts.join('\n') + '\n');
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
