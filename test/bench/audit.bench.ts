// npm run bench:audit: 1,000,000 generated patients (AUDIT_BENCH_PATIENTS) audited on DuckDB.
// The patients are generated once into a cache folder outside the repository (AUDIT_BENCH_DIR,
// default <tmpdir>/guideline-audit-bench; the file name carries the count, the seed and a hash of
// the guideline, so a changed dictionary makes a new file), as JSON lines and, converted once by
// DuckDB, as Parquet. The timed audit reads the Parquet file (AUDIT_BENCH_FORMAT=jsonl reads the
// JSON lines instead) and reports each phase: load (read, type, validate), compute (base table,
// discovery rounds with the interpreter's tables, the status view) and aggregate (the counts: the
// pass over the status view, which computes the statuses as it goes).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGuideline } from '../../engine/node/load.ts';
import { loadPatients, openDuckdb } from '../../engine/node/audit-command.ts';
import { countsSql, prepareAudit, STATUS_TABLE, statusViewSql } from '../../engine/interop/index.ts';
import { patients } from '../generate.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const N = Number(process.env.AUDIT_BENCH_PATIENTS ?? 1_000_000);
const FORMAT = process.env.AUDIT_BENCH_FORMAT === 'jsonl' ? 'jsonl' : 'parquet';
const SEED = 5;
const MISSING = 0.1;
const { guideline } = loadGuideline(GUIDELINE_DIR);
const dir = process.env.AUDIT_BENCH_DIR ?? join(tmpdir(), 'guideline-audit-bench');
mkdirSync(dir, { recursive: true });
const tag = createHash('sha256').update(JSON.stringify({ g: guideline.inputs, n: guideline.nodes })).digest('hex').slice(0, 12);
const base = join(dir, `patients-${N}-s${SEED}-m${MISSING}-${tag}`);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// generated once (streamed: a million patients do not fit in one string)
if (!existsSync(`${base}.jsonl`)) {
  const t = performance.now();
  const part = `${base}.jsonl.part`;
  const fd = openSync(part, 'w');
  let buf: string[] = [];
  for (const p of patients(guideline, N, SEED, MISSING)) {
    buf.push(JSON.stringify(p));
    if (buf.length === 5000) { writeSync(fd, buf.join('\n') + '\n'); buf = []; }
  }
  if (buf.length) writeSync(fd, buf.join('\n') + '\n');
  closeSync(fd);
  renameSync(part, `${base}.jsonl`);
  console.log(`generated ${N} patients in ${s(performance.now() - t)} (once, not counted): ${base}.jsonl`);
}
if (FORMAT === 'parquet' && !existsSync(`${base}.parquet`)) {
  const t = performance.now();
  const db = await openDuckdb();
  try {
    await db.query(`COPY (SELECT * FROM read_json('${base}.jsonl', format = 'newline_delimited', records = true, sample_size = -1)) TO '${base}.parquet.part' (FORMAT parquet)`);
  } finally { await db.close(); }
  renameSync(`${base}.parquet.part`, `${base}.parquet`);
  console.log(`converted to Parquet in ${s(performance.now() - t)} (once, not counted)`);
}

const file = `${base}.${FORMAT}`;
const before = loadavg()[0];
const db = await openDuckdb();
try {
  const t0 = performance.now();
  const columns = await loadPatients(db, guideline, file);
  const t1 = performance.now();
  const prepared = await prepareAudit(guideline, db.dialect, columns, db.query);
  await db.query(`DROP VIEW IF EXISTS ${STATUS_TABLE}`);
  await db.query(statusViewSql(prepared));
  const t2 = performance.now();
  const { sqls, read } = countsSql(guideline, prepared, columns.includes('intervention_given'));
  const row: Record<string, unknown> = {};
  for (const sql of sqls) Object.assign(row, (await db.query(sql))[0]);
  const counts = read(row);
  const t3 = performance.now();
  if (counts.patients !== N) throw new Error(`audited ${counts.patients} patients, expected ${N}`);
  console.log(`audit bench (DuckDB, ${FORMAT}, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB): ${N} patients audited in ${s(t3 - t0)} (goal < 30 s) = load ${s(t1 - t0)} + compute ${s(t2 - t1)} (${prepared.rounds} discovery rounds; interpreter ${s(prepared.generator.interpreterMs)} for ${prepared.generator.interpreterCalls} combinations) + aggregate ${s(t3 - t2)} (${sqls.length} counts queries); ${Object.keys(counts.rules).length} rules; ${cpus().length} cores, load average ${before.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
} finally {
  await db.close();
}
