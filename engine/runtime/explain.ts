// The explanation layer: plain sentences built from an evaluation result and its trace, with
// the grade and the citation of every recommendation. Two modes, as OPA's --explain:
// "summary" (what applies, what is undecided and why, the key derived values) and "full"
// (also every recommendation that does not apply, with the condition that failed).
import { describe, nodeLabel, vocabularyOf, type Vocabulary } from './describe.ts';
import type { EvaluationResult } from './evaluate.ts';
import type { TraceEvent } from './logic.ts';
import type { Citation, DefinitionNode, Guideline, JsonValue, Logic, RuleNode } from './types.ts';

export type ExplainMode = 'summary' | 'full';

export function formatCitation(c: Citation): string {
  const parts = [c.section.join(' › ')];
  if (c.recommendation) parts.push(c.recommendation);
  if (c.table) parts.push(c.table);
  if (c.figure) parts.push(c.figure);
  if (c.references?.length) parts.push(`ref. ${compressRefs(c.references)}`);
  return parts.join('; ');
}

/** [239, 240, 241, 263] -> "239-241, 263" */
export function compressRefs(refs: number[]): string {
  const sorted = [...refs].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j > i + 1 ? `${sorted[i]}-${sorted[j]}` : j === i + 1 ? `${sorted[i]}, ${sorted[j]}` : String(sorted[i]));
    i = j;
  }
  return out.join(', ');
}

function show(v: JsonValue, unit?: string): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return unit && unit !== 'points' ? `${v} ${unit}` : unit === 'points' ? `${v} point${v === 1 ? '' : 's'}` : String(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function explain(g: Guideline, result: EvaluationResult, mode: ExplainMode = 'summary'): string {
  const vocab = vocabularyOf(g);
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const reads = readsByNode(result.trace ?? []);
  const lines: string[] = [];
  lines.push(`${g.manifest.title}`);
  lines.push(`Encoding ${g.manifest.id} v${g.manifest.version}${result.guideline.hash ? ` (${result.guideline.hash.slice(0, 19)}…)` : ''}`);
  lines.push('');

  const missingLabel = (name: string) => {
    const base = name.split(/[.[]/)[0];
    const i = inputs.get(base);
    return i ? `${name} (${i.title}${i.unit ? `, ${i.unit}` : ''})` : name;
  };

  // Derived values: public definitions, each with the chain of values it was computed from.
  lines.push('Derived values');
  const shown = new Set<string>();
  const explainValue = (id: string, indent: string, depth: number) => {
    const def = defs.get(id)!;
    const v = result.values[id];
    const head = v.missing
      ? `${def.title}: cannot be decided${v.possible ? ` (one of ${v.possible.map((p) => (typeof p === 'string' ? vocab.valueLabel(id, p) : show(p, def.unit))).join(', ')})` : ''}; missing ${v.missing.map(missingLabel).join(', ')}`
      : `${def.title} = ${typeof v.value === 'string' ? vocab.valueLabel(id, v.value) : show(v.value!, def.unit)}`;
    const cite = depth === 0 ? `  [${def.citations.map(formatCitation).join(' | ')}]` : '';
    lines.push(`${indent}${head}${cite}`);
    if (depth >= 3 || shown.has(id)) return;
    shown.add(id);
    const from = reads.get(id) ?? [];
    const facts = from.filter((e) => e.source === 'fact' && e.value !== undefined).map((e) => `${vocab.title(e.name!)} ${typeof e.value === 'string' ? vocab.valueLabel(e.name!, e.value) : show(e.value!, inputs.get(e.name!)?.unit)}`);
    if (facts.length) lines.push(`${indent}  from ${unique(facts).join('; ')}`);
    for (const dep of unique(from.filter((e) => e.source === 'definition').map((e) => e.name!))) explainValue(dep, `${indent}  `, depth + 1);
  };
  const publicDefs = [...defs.values()].filter((d) => d.public);
  for (const d of publicDefs) if (!shown.has(d.id)) explainValue(d.id, '  ', 0);
  if (!publicDefs.length) lines.push('  (none)');
  lines.push('');

  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const byStatus = (s: string) => rules.filter((r) => result.rules[r.id]?.status === s);

  const applies = byStatus('applies');
  lines.push(`Applies (${applies.length})`);
  for (const r of applies) {
    const rr = result.rules[r.id];
    r.clauses.forEach((c, i) => {
      if (rr.clauses[i].status !== 'applies') return;
      lines.push(`  ✔ ${nodeLabel(r)}${r.clauses.length > 1 ? ` (${c.id})` : ''} ${c.grade ? `[${c.grade}]` : '[ungraded]'} ${c.action.type}: ${c.action.label}`);
      lines.push(`      "${c.text}"`);
      lines.push(`      because ${describe(c.when, vocab)}`);
      lines.push(`      source: ${r.citations.map(formatCitation).join(' | ')}`);
    });
  }
  lines.push('');

  const undecided = byStatus('undecided');
  lines.push(`Cannot be decided yet (${undecided.length})`);
  for (const r of undecided) {
    const rr = result.rules[r.id];
    r.clauses.forEach((c, i) => {
      if (rr.clauses[i].status !== 'undecided') return;
      lines.push(`  ? ${nodeLabel(r)}${r.clauses.length > 1 ? ` (${c.id})` : ''} ${c.grade ? `[${c.grade}]` : '[ungraded]'} ${c.action.label}`);
      lines.push(`      needs ${rr.clauses[i].missing!.map(missingLabel).join(', ')}`);
      if (mode === 'full') lines.push(`      condition: ${describe(c.when, vocab)}`);
    });
  }
  lines.push('');

  const notApplies = byStatus('does-not-apply');
  lines.push(`Does not apply (${notApplies.length})`);
  if (mode === 'full') {
    const values = opValues(result.trace ?? []);
    for (const r of notApplies) {
      lines.push(`  ✘ ${nodeLabel(r)} ${r.clauses.map((c) => c.grade ?? 'ungraded').join(', ')}: ${r.clauses.map((c) => c.action.label).join('; ')}`);
      r.clauses.forEach((c, i) => {
        lines.push(`      condition: ${describe(c.when, vocab)}`);
        const failed = failedParts(c.when, `/clauses/${i}/when`, values.get(r.id));
        if (failed.length) lines.push(`      not met: ${failed.map((f) => describe(f, vocab)).join('; ')}`);
      });
    }
  } else if (notApplies.length) {
    lines.push(`  ${notApplies.map(nodeLabel).join(', ')}`);
    lines.push('  (use --explain=full for the conditions)');
  }
  // Rules whose population does not include the patient: never undecided, never listed one by one
  // in the summary.
  const outside = byStatus('not-in-population');
  if (outside.length) {
    lines.push('');
    const pops = [...new Set(outside.map((r) => result.rules[r.id].population!))].sort();
    lines.push(`Not for this patient (${outside.length}): outside the population of ${pops.map((p) => defs.get(p)?.title ?? p).join('; ')}`);
    if (mode === 'full') lines.push(`  ${outside.map(nodeLabel).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

/** Value of every traced sub-expression, by node and pointer. */
function opValues(trace: TraceEvent[]): Map<string, Map<string, TraceEvent>> {
  const m = new Map<string, Map<string, TraceEvent>>();
  for (const e of trace) {
    if ((e.type !== 'op' && e.type !== 'read') || e.scope) continue;
    let byPointer = m.get(e.node);
    if (!byPointer) m.set(e.node, (byPointer = new Map()));
    byPointer.set(e.pointer, e);
  }
  return m;
}

/** The operands of a top-level "and" that were known to be false: why a clause did not apply. */
function failedParts(when: Logic, pointer: string, values: Map<string, TraceEvent> | undefined): Logic[] {
  if (!values || when === null || typeof when !== 'object' || Array.isArray(when) || !('and' in when) || !Array.isArray(when.and)) {
    const own = values?.get(pointer);
    return own && own.missing === undefined && !own.value ? [when] : [];
  }
  return when.and.filter((_part, k) => {
    const e = values.get(`${pointer}/and/${k}`);
    return e !== undefined && e.missing === undefined && !e.value;
  });
}

function readsByNode(trace: TraceEvent[]): Map<string, TraceEvent[]> {
  const m = new Map<string, TraceEvent[]>();
  for (const e of trace) {
    if (e.type !== 'read') continue;
    const list = m.get(e.node) ?? [];
    list.push(e);
    m.set(e.node, list);
  }
  return m;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

export type { Vocabulary };
