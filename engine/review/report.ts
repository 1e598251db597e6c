// The review diff in four formats (terminal text, Markdown for a pull request, JSON, one
// self-contained HTML page) and the CHANGELOG draft. Pure: strings in, strings out.
import { canonicalJson } from '../runtime/canonical.ts';
import type { CaseChange } from '../authoring/compare.ts';
import type { EntityDiff, FieldChange, GuidelineDiff } from './diff.ts';
import { escapeHtml } from './render.ts';

export type DiffFormat = 'text' | 'markdown' | 'json' | 'html';
export const DIFF_FORMATS: readonly DiffFormat[] = ['text', 'markdown', 'json', 'html'];

export function formatDiff(d: GuidelineDiff, format: DiffFormat): string {
  switch (format) {
    case 'json': return canonicalJson(d, 2) + '\n';
    case 'markdown': return markdown(d);
    case 'html': return html(d);
    default: return text(d);
  }
}

const SIGN: Record<EntityDiff['status'], string> = { added: '+', removed: '-', changed: '~' };

function counts(d: GuidelineDiff): string {
  const n = (s: EntityDiff['status']) => d.entities.filter((e) => e.status === s).length;
  return `${n('added')} added, ${n('removed')} removed, ${n('changed')} changed`;
}

/** A value of the outcome diff in words: undecided values name the facts they need. */
export function formatValue(v: unknown): string {
  if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { undecided?: unknown }).undecided)) {
    return `undecided (needs ${(v as { undecided: string[] }).undecided.join(', ')})`;
  }
  return v === null ? 'absent' : typeof v === 'string' ? v : JSON.stringify(v);
}
const val = formatValue;

function statusLines(c: CaseChange): string[] {
  const out: string[] = [];
  const ev = (m: string | undefined) => (m === undefined ? 'evaluates' : `fails ("${m.split('\n')[0].replace(/[:.]$/, '')}")`);
  if (c.error) out.push(`evaluation: ${ev(c.error.before)} → ${ev(c.error.after)}`);
  for (const o of c.outcomes) out.push(`${o.key}: ${o.before} → ${o.after}`);
  for (const v of c.values) out.push(`${v.id} = ${val(v.before)} → ${val(v.after)}`);
  for (const x of c.grades ?? []) out.push(`${x.key} (${x.status}): grade ${x.before ?? 'ungraded'} → ${x.after ?? 'ungraded'}`);
  return out;
}

/** Reasons to show in a human format: at most REASONS_SHOWN per level, then a count. */
const REASONS_SHOWN = 40;
function shownReasons(d: GuidelineDiff): { level: string; text: string }[] {
  const out: { level: string; text: string }[] = [];
  for (const level of ['major', 'minor', 'patch']) {
    const all = d.bump.reasons.filter((r) => r.level === level);
    out.push(...all.slice(0, REASONS_SHOWN));
    if (all.length > REASONS_SHOWN) out.push({ level, text: `… and ${all.length - REASONS_SHOWN} more ${level} reason(s) (all are in --format json)` });
  }
  return out;
}

function title(d: GuidelineDiff): string {
  return `${d.head.id} ${d.base.version} → ${d.head.version}`;
}

// ---------------------------------------------------------------------------------------------

function text(d: GuidelineDiff): string {
  const L: string[] = [];
  L.push(`Guideline diff: ${title(d)}`);
  if (d.base.hash || d.head.hash) L.push(`  base ${d.base.hash ?? '(source)'}\n  head ${d.head.hash ?? '(source)'}`);
  L.push('');
  L.push(`Required bump: ${d.bump.required.toUpperCase()}`);
  L.push(`  ${d.bump.satisfied ? 'OK' : 'FAIL'}: ${d.bump.message}`);
  L.push('');
  L.push(`Nodes: ${counts(d)}`);
  for (const e of d.entities) {
    L.push(`${SIGN[e.status]} ${e.id}  (${e.kind}: ${e.label})${e.file ? `  ${e.file}` : ''}`);
    for (const c of e.changes) {
      L.push(`    [${c.category}${c.direction ? ` ${c.direction}` : ''}] ${c.summary}`);
      if (c.category === 'logic' || c.category === 'statement') {
        if (c.beforeText !== undefined && e.status === 'changed') L.push(`        before: ${c.beforeText}`);
        if (c.afterText !== undefined && e.status === 'changed') L.push(`        after:  ${c.afterText}`);
      }
    }
  }
  L.push('');
  L.push(`Outcomes: ${d.outcomes.changed.length} of ${d.outcomes.casesCompared} regression cases change`);
  for (const c of d.outcomes.changed) {
    L.push(`  ${c.id}`);
    L.push(`    ${c.title}`);
    for (const s of statusLines(c)) L.push(`      ${s}`);
  }
  if (d.cases.length) {
    L.push('');
    L.push(`Case corpus: ${d.cases.length} case(s) added, removed or edited`);
    for (const c of d.cases) L.push(`  ${SIGN[c.status]} ${c.id}`);
  }
  L.push('');
  L.push('Why this bump:');
  for (const r of shownReasons(d)) L.push(`  ${r.level.padEnd(5)}  ${r.text}`);
  if (!d.bump.reasons.length) L.push('  no change');
  return L.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function markdown(d: GuidelineDiff): string {
  const L: string[] = [];
  L.push(`## Guideline diff: ${title(d)}`);
  L.push('');
  L.push(`**Required bump: ${d.bump.required}** — ${d.bump.satisfied ? '✅' : '❌'} ${d.bump.message}`);
  L.push('');
  L.push(`### Nodes (${counts(d)})`);
  L.push('');
  for (const e of d.entities) {
    L.push(`#### ${SIGN[e.status]} ${code(e.id)} — ${e.kind}: ${mdCell(e.label)} (${e.status})`);
    L.push('');
    for (const c of e.changes) {
      L.push(`- **${c.category}${c.direction ? ` (${c.direction})` : ''}**: ${mdCell(c.summary)}`);
      if ((c.category === 'logic' || c.category === 'statement') && e.status === 'changed') {
        if (c.beforeText !== undefined) L.push(`  - before: ${mdCell(c.beforeText)}`);
        if (c.afterText !== undefined) L.push(`  - after: ${mdCell(c.afterText)}`);
      }
    }
    L.push('');
  }
  L.push(`### Outcomes (${d.outcomes.changed.length} of ${d.outcomes.casesCompared} cases change)`);
  L.push('');
  if (d.outcomes.changed.length) {
    L.push('| case | what moved |');
    L.push('|---|---|');
    for (const c of d.outcomes.changed) L.push(`| ${code(c.id)}<br>${mdCell(c.title)} | ${statusLines(c).map(mdCell).join('<br>')} |`);
    L.push('');
  }
  if (d.cases.length) {
    L.push(`### Case corpus`);
    L.push('');
    for (const c of d.cases) L.push(`- ${c.status} ${code(c.id)}: ${mdCell(c.title)}`);
    L.push('');
  }
  L.push('### Why this bump');
  L.push('');
  for (const r of shownReasons(d)) L.push(`- **${r.level}**: ${mdCell(r.text)}`);
  if (!d.bump.reasons.length) L.push('- no change');
  return L.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccd}
.verdict{padding:.6rem 1rem;border-radius:6px}.ok{background:#e5f5e8}.fail{background:#fbe4e4}
.entity{border:1px solid #dde;border-radius:6px;margin:.8rem 0;padding:.4rem .8rem}
.added{border-left:5px solid #2a8a3e}.removed{border-left:5px solid #b3261e}.changed{border-left:5px solid #c98a00}
.cat{display:inline-block;min-width:6.5rem;font-size:.8rem;font-weight:600;text-transform:uppercase;color:#556}
.before{background:#fdecec;padding:0 .3rem}.after{background:#e8f6ea;padding:0 .3rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #dde;padding:.3rem .5rem;vertical-align:top;text-align:left;overflow-wrap:anywhere}
li{overflow-wrap:anywhere}
code{font-size:.9em;background:#f2f3f6;padding:0 .2rem;border-radius:3px}
.lvl-major{color:#b3261e;font-weight:700}.lvl-minor{color:#8a5a00;font-weight:700}.lvl-patch{color:#2a6a8a;font-weight:700}
`;

function html(d: GuidelineDiff): string {
  const e = escapeHtml;
  const H: string[] = [];
  H.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`);
  H.push(`<title>${e(`Guideline diff: ${title(d)}`)}</title><style>${STYLE}</style></head><body>`);
  H.push(`<h1>${e(`Guideline diff: ${title(d)}`)}</h1>`);
  H.push(`<p class="verdict ${d.bump.satisfied ? 'ok' : 'fail'}"><strong>Required bump: ${e(d.bump.required)}</strong> — ${e(d.bump.message)}</p>`);
  H.push(`<h2>Nodes (${e(counts(d))})</h2>`);
  for (const en of d.entities) {
    H.push(`<section class="entity ${en.status}" id="node-${e(en.id)}"><h3>${e(SIGN[en.status])} <code>${e(en.id)}</code> ${e(en.kind)}: ${e(en.label)} <small>(${e(en.status)}${en.file ? `, ${e(en.file)}` : ''})</small></h3><ul>`);
    for (const c of en.changes) H.push(`<li>${changeHtml(c, en.status === 'changed')}</li>`);
    H.push('</ul></section>');
  }
  H.push(`<h2>Outcomes (${d.outcomes.changed.length} of ${d.outcomes.casesCompared} cases change)</h2>`);
  if (d.outcomes.changed.length) {
    H.push('<table><thead><tr><th>case</th><th>what moved</th></tr></thead><tbody>');
    for (const c of d.outcomes.changed) H.push(`<tr><td><code>${e(c.id)}</code><br>${e(c.title)}</td><td>${statusLines(c).map(e).join('<br>')}</td></tr>`);
    H.push('</tbody></table>');
  }
  if (d.cases.length) {
    H.push('<h2>Case corpus</h2><ul>');
    for (const c of d.cases) H.push(`<li>${e(c.status)} <code>${e(c.id)}</code>: ${e(c.title)}</li>`);
    H.push('</ul>');
  }
  H.push('<h2>Why this bump</h2><ul>');
  for (const r of shownReasons(d)) H.push(`<li><span class="lvl-${e(r.level)}">${e(r.level)}</span> ${e(r.text)}</li>`);
  if (!d.bump.reasons.length) H.push('<li>no change</li>');
  H.push('</ul></body></html>');
  return H.join('\n') + '\n';
}

function changeHtml(c: FieldChange, showTexts: boolean): string {
  const e = escapeHtml;
  let s = `<span class="cat">${e(c.category)}${c.direction ? ` ${e(c.direction)}` : ''}</span> ${e(c.summary)}`;
  if (showTexts && (c.category === 'logic' || c.category === 'statement')) {
    if (c.beforeText !== undefined) s += `<br><span class="before">before: ${e(c.beforeText)}</span>`;
    if (c.afterText !== undefined) s += `<br><span class="after">after: ${e(c.afterText)}</span>`;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------

/**
 * A CHANGELOG entry (Keep a Changelog style) for the committee to edit: the nodes that changed,
 * grouped, and the regression cases that move. `date` is passed in (no clock here).
 */
export function formatChangelog(d: GuidelineDiff, date: string): string {
  const L: string[] = [];
  L.push(`## [${d.head.version}] - ${date}`);
  L.push('');
  L.push(`<!-- Draft by "guideline changelog" from ${d.base.version}. Required bump: ${d.bump.required}. ${d.bump.message}. Edit the wording; keep the node and case ids. -->`);
  L.push('');
  const group = (heading: string, items: string[]) => {
    if (!items.length) return;
    L.push(`### ${heading}`);
    L.push('');
    L.push(...items);
    L.push('');
  };
  const line = (en: EntityDiff, extra?: string) => `- ${en.kind} ${code(en.id)} (${mdCell(en.label)})${extra ? `: ${extra}` : ''}`;
  group('Added', d.entities.filter((x) => x.status === 'added').map((x) => line(x, firstStatement(x))));
  group('Removed', d.entities.filter((x) => x.status === 'removed').map((x) => line(x)));
  const changed = d.entities.filter((x) => x.status === 'changed');
  const isPatchOnly = (c: FieldChange) => ['statement', 'wording', 'citation', 'interpretation', 'metadata', 'table'].includes(c.category);
  group('Changed', changed.filter((x) => x.changes.some((c) => !isPatchOnly(c))).map((x) => line(x, x.changes.filter((c) => !isPatchOnly(c)).map((c) => mdCell(c.summary)).join('; '))));
  group('Wording, citations and notes', changed.filter((x) => x.changes.every(isPatchOnly)).map((x) => line(x, x.changes.map((c) => mdCell(c.summary)).join('; '))));
  group(`Regression cases that move (${d.outcomes.changed.length} of ${d.outcomes.casesCompared})`, d.outcomes.changed.map((c) => `- ${code(c.id)}: ${statusLines(c).map(mdCell).join('; ')}`));
  group('Case corpus', d.cases.map((c) => `- ${c.status} ${code(c.id)}`));
  if (!d.entities.length && !d.outcomes.changed.length && !d.cases.length) L.push('- No change in content.', '');
  return L.join('\n');
}

function firstStatement(e: EntityDiff): string | undefined {
  const s = e.changes.find((c) => c.category === 'statement')?.afterText;
  return s ? mdCell(s) : undefined;
}

