// `guideline analyze [--dir d] [--json] [--suggest] [--drafts dir]`: the analysis of
// engine/analysis (invariants proved or refuted with a witness, conflicts, dead clauses, gaps,
// undecidable clauses, boundary coverage). Exit 1 on a refuted invariant or a conflict.
// --suggest writes draft cases (facts and the outcomes the engine computes, for a person to check)
// for the uncovered boundaries and for every witness, into the drafts folder.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze, type AnalysisReport } from '../analysis/index.ts';
import { canonicalJson, evaluate, type Guideline, type JsonValue } from '../runtime/index.ts';
import { writeAtomic } from './files.ts';

interface Io { out: (s: string) => void; err: (s: string) => void }

export async function runAnalyze(g: Guideline, values: { json?: boolean; suggest?: boolean; drafts?: string }, io: Io): Promise<number> {
  let report: AnalysisReport;
  try {
    report = await analyze(g, { suggest: !!values.suggest });
  } catch (e) {
    const m = (e as Error).message;
    if (/z3-solver/.test(m)) { io.err(`${m}\n`); return 2; }
    throw e;
  }
  let drafts: string[] = [];
  if (values.suggest) drafts = writeDrafts(g, report, resolve(values.drafts ?? 'analysis-drafts'));
  if (values.json) io.out(canonicalJson({ ...report, ...(values.suggest ? { drafts } : {}) }, 2) + '\n');
  else io.out(formatReport(report) + (drafts.length ? `\n${drafts.length} draft case(s) written (check them before moving them into cases/):\n${drafts.map((d) => `  ${d}`).join('\n')}\n` : ''));
  const refuted = report.invariants.some((i) => i.status === 'refuted');
  return refuted || report.conflicts.length ? 1 : 0;
}

export function formatReport(r: AnalysisReport): string {
  const lines: string[] = [];
  const facts = (f: Record<string, JsonValue>) => { const t = JSON.stringify(f); return t.length > 400 ? `${t.slice(0, 400)}… (${Object.keys(f).length} facts; --json or --suggest for all)` : t; };
  lines.push(`Analysis of ${r.guideline} v${r.version}: ${r.domain.slots} slots (${r.domain.note}); ${r.ms.total} ms (solver load ${r.ms.z3Load} ms)`);
  const proved = r.invariants.filter((i) => i.status === 'proved').length;
  lines.push('', `Invariants: ${proved} proved, ${r.invariants.filter((i) => i.status === 'refuted').length} refuted, ${r.invariants.filter((i) => i.status === 'unknown').length} unknown (${r.ms.invariants} ms)`);
  for (const i of r.invariants) {
    lines.push(`  ${i.status.padEnd(8)} ${String(i.ms).padStart(6)} ms  ${i.id}${i.quantified ? ' (every completion)' : ''}${i.clause ? `  by ${i.clause}` : ''}${i.reason ? `  [${i.reason}]` : ''}`);
    if (i.witness) lines.push(`           witness${i.witness.reproduced ? '' : ' (not reproduced)'}: ${facts(i.witness.facts)}`);
  }
  lines.push('', `Conflicts: ${r.conflicts.length} (${r.ms.conflicts} ms)`);
  for (const c of r.conflicts) lines.push(`  ${c.intervention}: ${c.a.clause} ${c.a.action}${c.kind === 'primary-vs-switch' ? ' (primary)' : ''} / ${c.b.clause} ${c.b.action}${c.b.intervention ? ` ${c.b.intervention}` : ''}${c.witness.reproduced ? '' : ' (not reproduced)'}`, `    witness: ${facts(c.witness.facts)}`);
  lines.push('', `Dead clauses (no patient satisfies them): ${r.dead.length}`);
  for (const d of r.dead) lines.push(`  ${d.clause}`);
  lines.push('', `Clauses that apply to everyone in their population: ${r.everyone.length}`);
  for (const d of r.everyone) lines.push(`  ${d.clause}${d.note ? `  (${d.note})` : ''}`);
  lines.push('', `Undecidable by design (no facts decide them): ${r.undecidable.length}`);
  for (const d of r.undecidable) lines.push(`  ${d.clause}`);
  lines.push('', `Gaps (a complete patient in the chapter's population for whom no recommendation of the chapter applies): ${r.gaps.length} chapter(s)`);
  for (const gap of r.gaps) lines.push(`  ${gap.chapter} (${gap.population}): ${facts(gap.witness.facts)}`);
  const b = r.boundaries;
  lines.push('', `Boundary coverage: ${b.covered} of ${b.total} thresholds have cases at, just below and just above them`);
  for (const pt of b.uncovered) {
    const miss = [pt.at.length ? '' : 'at', pt.below.length ? '' : 'below', pt.above.length ? '' : 'above'].filter(Boolean).join(', ');
    lines.push(`  ${pt.operand} ${pt.op} ${pt.threshold} (${pt.node}, step ${pt.step}): no case ${miss}`);
  }
  if (r.untranslatable.length) {
    lines.push('', `Not translated (fell back to nothing: analyse by cases): ${r.untranslatable.length}`);
    for (const u of r.untranslatable) lines.push(`  ${u.node}: ${u.reason}`);
  }
  return lines.join('\n') + '\n';
}

const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').toLowerCase().slice(0, 90);

/** Draft cases: facts and the engine's outcomes for the rule concerned (a person checks them). */
function writeDrafts(g: Guideline, r: AnalysisReport, dir: string): string[] {
  const out: string[] = [];
  const rulesOf = new Map<string, string>();
  for (const n of g.nodes) if (n.kind === 'recommendation' || n.kind === 'practice-point') rulesOf.set(n.id, n.id);
  const write = (name: string, title: string, facts: Record<string, JsonValue>, rules: string[], values: string[] = []) => {
    const res = evaluate(g, facts);
    const outcomes: Record<string, string> = {};
    for (const id of rules) if (res.rules[id]) outcomes[id] = res.rules[id].status;
    const vals: Record<string, JsonValue> = {};
    for (const v of values) if (res.values[v] && res.values[v].value !== undefined) vals[v] = res.values[v].value!;
    const doc = { id: name, title, source: 'drafted by guideline analyze --suggest: check the facts and the outcomes against the text before moving it into cases/', facts, expect: { ...(Object.keys(vals).length ? { values: vals } : {}), ...(Object.keys(outcomes).length ? { outcomes } : {}) } };
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.json`);
    writeAtomic(file, JSON.stringify(doc, null, 2) + '\n');
    out.push(file);
  };
  for (const pt of r.boundaries.uncovered) {
    const rule = rulesOf.get(pt.node);
    for (const side of ['at', 'below', 'above'] as const) {
      const facts = pt.draft?.[side];
      if (!facts) continue;
      const value = side === 'at' ? pt.threshold : side === 'below' ? pt.threshold - pt.step : pt.threshold + pt.step;
      const v = Math.round(value * 1e9) / 1e9;
      write(slug(`${pt.operand}_${v}_${side}_${pt.op}_${pt.threshold}`), `${pt.operand} ${v} (${side} the threshold ${pt.op} ${pt.threshold} of ${pt.node})`, facts, rule ? [rule] : [], rule ? [] : [pt.node]);
    }
  }
  for (const i of r.invariants) if (i.witness) write(slug(`witness_${i.id}`), `A patient the analysis found for invariant ${i.id} (${i.status})`, i.witness.facts, i.clause ? [i.clause.split('.')[0]] : []);
  for (const c of r.conflicts) write(slug(`conflict_${c.a.clause}_${c.b.clause}`), `${c.a.clause} (${c.a.action}) and ${c.b.clause} (${c.b.action}) both apply to this patient`, c.witness.facts, [c.a.clause.split('.')[0], c.b.clause.split('.')[0]]);
  for (const gap of r.gaps) write(slug(`gap_${gap.chapter}`), `A patient of ${gap.chapter} for whom no recommendation of the chapter applies`, gap.witness.facts, []);
  return out;
}
