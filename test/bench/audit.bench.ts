// npm run bench:audit: 1,000,000 generated patients (AUDIT_BENCH_PATIENTS) audited on DuckDB.
// Prints the generation time and the audit time (load + SQL + the interpreter's tables) separately.
import { loadGuideline } from '../../engine/node/load.ts';
import { auditLoaded, loadPatients, openDuckdb, writeJsonl } from '../../engine/node/audit-command.ts';
import { patients } from '../generate.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const N = Number(process.env.AUDIT_BENCH_PATIENTS ?? 1_000_000);
const { guideline } = loadGuideline(GUIDELINE_DIR);
let t = performance.now();
const { file, cleanup } = writeJsonl(patients(guideline, N, 5, 0.1));
const generation = (performance.now() - t) / 1000;
const db = await openDuckdb();
try {
  t = performance.now();
  const columns = await loadPatients(db, guideline, file);
  const loaded = (performance.now() - t) / 1000;
  const { counts, prepared } = await auditLoaded(db, guideline, columns);
  const total = (performance.now() - t) / 1000;
  console.log(`audit bench: ${N} patients; generation ${generation.toFixed(1)} s (not counted); load ${loaded.toFixed(1)} s; audit incl. load ${total.toFixed(1)} s (goal < 30 s); ${prepared.rounds} discovery rounds; interpreter ${(prepared.generator.interpreterMs / 1000).toFixed(1)} s for ${prepared.generator.interpreterCalls} combinations; ${Object.keys(counts.rules).length} rules`);
} finally {
  await db.close();
  cleanup();
}
