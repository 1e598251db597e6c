// The guideline book: one self-contained HTML document of the whole guideline, built from the
// data alone (no scripts, no external assets). Chapters in the manifest's order; each
// recommendation with its verbatim statement, a GRADE badge per clause, its condition in words,
// the definitions it uses (with theirs), its citations and interpretation notes. Registers of all
// interpretations and cited references at the end. Pure: returns a string.
import { compressRefs, formatCitation } from '../runtime/explain.ts';
import { describe, vocabularyOf, type Vocabulary } from '../runtime/describe.ts';
import { rootNames } from '../runtime/graph.ts';
import { interpretationRegister } from '../authoring/interpretations.ts';
import type { RenderedFlow } from './flow-svg.ts';
import type {
  Chapter, Citation, DefinitionNode, Guideline, GuidelineNode, InputDef, Interpretation, InvariantNode, InvariantTarget, RuleNode, TableNode,
} from '../runtime/types.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const e = escapeHtml;
const anchor = (kind: string, id: string) => `${kind}-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

const STYLE = `
:root{--ink:#1d232a;--muted:#5b6470;--line:#d9dde3}
body{font:16px/1.55 Georgia,"Times New Roman",serif;color:var(--ink);max-width:54rem;margin:2rem auto;padding:0 1.2rem}
h1,h2,h3,h4,nav,.badge,.meta,table,.logic{font-family:system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.7rem;line-height:1.25}h2{font-size:1.35rem;margin-top:3rem;border-bottom:2px solid var(--ink)}
h3{font-size:1.1rem;margin:2rem 0 .4rem}h4{font-size:.95rem;margin:1rem 0 .3rem;color:var(--muted)}
blockquote{margin:.4rem 0;padding:.5rem 1rem;border-left:4px solid #7a8aa0;background:#f5f7fa}
.rule{border-top:1px solid var(--line);padding-top:.4rem}
.badge{display:inline-block;font-size:.8rem;font-weight:700;padding:.05rem .45rem;border-radius:4px;color:#fff;margin-right:.4rem}
.g-A{background:#1f6f3f}.g-B{background:#3c7fb1}.g-C{background:#b7791f}.g-D{background:#9b2c2c}.g-none{background:#6b7280}
.s-1::after{content:" strong"}.s-2::after{content:" weak"}
.clause{margin:.5rem 0 .5rem 0;padding:.3rem .6rem;border:1px solid var(--line);border-radius:6px}
.logic{font-size:.92rem;background:#f2f4f7;padding:.2rem .5rem;border-radius:4px;display:block;margin-top:.2rem}
.meta{font-size:.85rem;color:var(--muted)}
.interp{background:#fff8e6;border-left:4px solid #d69e2e;padding:.3rem .7rem;margin:.3rem 0;font-size:.93rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.5rem 0}td,th{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top}
nav ol{columns:2;font-size:.92rem}
details{margin:.3rem 0}summary{cursor:pointer}
figure.flow{margin:1.2rem 0;border:1px solid var(--line);border-radius:6px;padding:.5rem}figure.flow figcaption{font-family:system-ui,sans-serif;font-size:.92rem;margin-bottom:.4rem}
.flow-scroll{overflow-x:auto}.derived-mark{background:#fff3cd;border:1px solid #d69e2e;border-radius:4px;padding:0 .35rem;font-size:.8rem}
`;

export interface RenderOptions {
  /** shown in the header when given (a bundle's content hash) */
  hash?: string;
  /** each chapter's algorithm charts, drawn (bookFlows; layout is async, so the caller draws them) */
  flows?: Record<string, RenderedFlow[]>;
  /** each recommendation's and practice point's chart, drawn (bookRuleFlows): rule id -> SVG */
  ruleFlows?: Record<string, string>;
}

interface ChapterContent { chapter: Chapter; nodes: GuidelineNode[] }

/** Group nodes by chapter: by the folder they live in, else by topic; leftovers last. */
function chapters(g: Guideline): ChapterContent[] {
  const out: ChapterContent[] = g.manifest.chapters.map((c) => ({ chapter: c, nodes: [] }));
  const byId = new Map(out.map((c) => [c.chapter.id, c]));
  const byTopic = new Map(out.filter((c) => c.chapter.topic).map((c) => [c.chapter.topic!, c]));
  const other: ChapterContent = { chapter: { id: 'other', title: 'Other nodes' }, nodes: [] };
  for (const n of g.nodes) {
    const folder = g.origins[`node:${n.id}`]?.folder?.split('/')[0];
    const topic = 'topic' in n ? n.topic : undefined;
    const target = (folder && byId.get(folder)) || (topic && byTopic.get(topic)) || other;
    target.nodes.push(n);
  }
  if (other.nodes.length) out.push(other);
  const order = (n: GuidelineNode) => (n.kind === 'recommendation' ? 0 : n.kind === 'practice-point' ? 1 : n.kind === 'definition' ? 2 : 3);
  for (const c of out) {
    const subgroups = c.chapter.subgroups ?? [];
    c.nodes.sort((a, b) => order(a) - order(b)
      || (a.kind === 'recommendation' && b.kind === 'recommendation'
        ? subgroups.indexOf(a.subgroup ?? '') - subgroups.indexOf(b.subgroup ?? '') || a.number - b.number
        : 0)
      || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return out;
}

function invariant(n: InvariantNode, vocab: Vocabulary): string {
  const target = (t: InvariantTarget) => `${t.actions.join('/')} ${t.intervention === '*' ? 'any intervention' : t.intervention}${t.chapter ? ` in ${t.chapter}` : ''}`;
  return `<article id="${anchor('node', n.id)}"><h3>Safety invariant: ${e(n.title)}</h3><p class="meta"><code>${e(n.id)}</code></p>`
    + `<p>When ${e(describe(n.when, vocab))}: never ${e(n.forbid.map(target).join('; '))}${n.require?.length ? `; always ${e(n.require.map(target).join('; '))}` : ''}.</p>`
    + `<p>${e(n.reason)}</p></article>`;
}

export function renderBook(g: Guideline & { hash?: string }, options: RenderOptions = {}): string {
  const vocab = vocabularyOf(g);
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const hash = options.hash ?? g.hash;
  const parts = chapters(g);
  const H: string[] = [];
  const m = g.manifest;

  H.push('<!DOCTYPE html>');
  H.push('<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">');
  H.push(`<title>${e(m.title)} — v${e(m.version)}</title><style>${STYLE}</style></head><body>`);
  H.push(`<header><h1>${e(m.title)}</h1>`);
  H.push(`<p class="meta">Encoding <code>${e(m.id)}</code> version ${e(m.version)}${hash ? ` · content ${e(hash)}` : ''} · generated from the data by <code>guideline render</code></p>`);
  H.push(`<p>${e(m.source.citation)}</p>${m.source.note ? `<p class="meta">${e(m.source.note)}</p>` : ''}</header>`);

  H.push('<nav><h2>Contents</h2><ol>');
  for (const p of parts) H.push(`<li><a href="#${anchor('chapter', p.chapter.id)}">${e(p.chapter.title)}</a> <span class="meta">(${p.nodes.filter((n) => n.kind === 'recommendation').length} recommendations)</span></li>`);
  H.push(`<li><a href="#grading">Grading</a></li><li><a href="#inputs">Data dictionary</a></li><li><a href="#register">Register of interpretations</a></li><li><a href="#references">Cited references</a></li></ol></nav>`);

  H.push(grading(g));

  for (const p of parts) {
    H.push(`<section id="${anchor('chapter', p.chapter.id)}"><h2>${e(p.chapter.title)}</h2>`);
    if (p.chapter.section) H.push(`<p class="meta">Guideline section: ${e(p.chapter.section)}</p>`);
    for (const f of options.flows?.[p.chapter.id] ?? []) H.push(flowFigure(f));
    if (!p.nodes.length) H.push('<p class="meta">Not encoded yet.</p>');
    for (const n of p.nodes) {
      if (n.kind === 'recommendation' || n.kind === 'practice-point') H.push(rule(n, g, vocab, defs, inputs, options.ruleFlows?.[n.id]));
      else if (n.kind === 'definition') H.push(definition(n, vocab, defs, inputs, 'h3'));
      else if (n.kind === 'invariant') H.push(invariant(n, vocab));
      else H.push(table(n));
    }
    H.push('</section>');
  }

  H.push(dataDictionary(g));
  H.push(register(g));
  H.push(references(g));
  H.push('</body></html>');
  return H.join('\n') + '\n';
}

/** A chart as a figure: the SVG scrolls sideways when wider than the page; a derived one says so. */
function flowFigure(f: RenderedFlow): string {
  return `<figure class="flow${f.derived ? ' derived' : ''}" id="${anchor('flow', f.id)}"><figcaption><strong>${e(f.title)}</strong>${f.derived ? ' <span class="derived-mark">derived</span>' : ''}${f.notice ? `<br><span class="meta">${e(f.notice)}</span>` : ''}</figcaption><div class="flow-scroll">${f.svg}</div></figure>`;
}

function badge(grade: string | null): string {
  if (!grade) return '<span class="badge g-none">ungraded</span>';
  return `<span class="badge g-${e(grade[0])} s-${e(grade[1])}" title="evidence ${e(grade[0])}, strength ${e(grade[1])}">${e(grade)}</span>`;
}

function rule(n: RuleNode, g: Guideline, vocab: Vocabulary, defs: Map<string, DefinitionNode>, inputs: Map<string, InputDef>, flow?: string): string {
  const H: string[] = [];
  const label = n.kind === 'recommendation' ? `${n.topic}${n.subgroup ? ` — ${n.subgroup}` : ''} ${n.number}` : `Practice point: ${n.title}`;
  H.push(`<article class="rule ${e(n.kind)}" id="${anchor('node', n.id)}">`);
  H.push(`<h3>${e(label)} ${n.clauses.map((c) => badge(c.grade)).join('')}</h3>`);
  H.push(`<p class="meta"><code>${e(n.id)}</code> · ${e(n.kind === 'recommendation' ? 'graded recommendation' : 'practice point (ungraded, from the running text)')}${g.origins[`node:${n.id}`] ? ` · ${e(g.origins[`node:${n.id}`].file)}` : ''}</p>`);
  H.push(`<blockquote>${e(n.statement)}</blockquote>`);
  if (n.kind === 'recommendation' && n.applicability) H.push(`<p class="meta">Applicability: ${e(n.applicability)}</p>`);
  if (n.description) H.push(`<p>${e(n.description)}</p>`);
  H.push('<h4>Logic</h4>');
  for (const c of n.clauses) {
    H.push(`<div class="clause">${badge(c.grade)} <strong>${e(c.action.type)}</strong> ${e(c.action.label)}${c.action.role ? ` <span class="meta">(${e(c.action.role)})</span>` : ''} <span class="meta">· clause ${e(c.id)} · intervention <code>${e(c.action.intervention)}</code></span>`);
    if (n.clauses.length > 1 || !n.statement.startsWith(c.text)) H.push(`<div>${e(c.text)}</div>`);
    H.push(`<span class="logic">when ${e(describe(c.when, vocab))}</span></div>`);
  }
  // The chart is already escaped SVG (flowSvg); it scrolls sideways when wider than the page.
  if (flow) H.push(`<figure class="flow rule-flow" id="${anchor('flow', `rule-${n.id}`)}"><figcaption><strong>What decides it</strong> <span class="meta">facts → derived values → clauses</span></figcaption><div class="flow-scroll">${flow}</div></figure>`);
  const used = usedDefinitions(n, defs);
  if (used.length) {
    H.push('<h4>Definitions it uses</h4>');
    for (const d of used) H.push(`<details><summary><a href="#${anchor('node', d.id)}">${e(d.title)}</a> <code>${e(d.id)}</code></summary>${definitionBody(d, vocab, defs, inputs)}</details>`);
  }
  H.push(citations(n.citations));
  H.push(interpretations(n.interpretations));
  H.push('</article>');
  return H.join('\n');
}

/** Definitions a node reads, directly or through other definitions, in reading order. */
function usedDefinitions(n: GuidelineNode, defs: Map<string, DefinitionNode>): DefinitionNode[] {
  const seen = new Set<string>();
  const out: DefinitionNode[] = [];
  const visit = (node: GuidelineNode) => {
    for (const name of [...rootNames(node)].sort()) {
      const d = defs.get(name);
      if (d && !seen.has(d.id)) { seen.add(d.id); out.push(d); visit(d); }
    }
  };
  visit(n);
  return out;
}

function definitionBody(d: DefinitionNode, vocab: Vocabulary, defs: Map<string, DefinitionNode>, inputs: Map<string, InputDef>): string {
  const H: string[] = [];
  const meta = [d.type, d.unit, d.values ? `values: ${d.values.map((v) => `${v.value} (${v.label})`).join(', ')}` : ''].filter(Boolean).join(' · ');
  H.push(`<p class="meta">${e(meta)}${d.public ? ' · public result' : ''}</p>`);
  if (d.description) H.push(`<p>${e(d.description)}</p>`);
  H.push(`<span class="logic">${e(describe(d.expr, vocab))}</span>`);
  const names = [...rootNames(d)].sort();
  const links = names.map((x) => (defs.has(x) ? `<a href="#${anchor('node', x)}">${e(defs.get(x)!.title)}</a>` : inputs.has(x) ? `<a href="#${anchor('input', x)}">${e(inputs.get(x)!.title)}</a>` : e(x)));
  if (links.length) H.push(`<p class="meta">Reads: ${links.join(', ')}</p>`);
  return H.join('\n');
}

function definition(d: DefinitionNode, vocab: Vocabulary, defs: Map<string, DefinitionNode>, inputs: Map<string, InputDef>, h: 'h3'): string {
  return [
    `<article class="definition" id="${anchor('node', d.id)}"><${h}>Definition: ${e(d.title)}</${h}><p class="meta"><code>${e(d.id)}</code></p>`,
    definitionBody(d, vocab, defs, inputs),
    citations(d.citations),
    interpretations(d.interpretations),
    '</article>',
  ].join('\n');
}

function table(t: TableNode): string {
  const H: string[] = [];
  H.push(`<article class="table" id="${anchor('node', t.id)}"><h3>Table: ${e(t.title)}</h3><p class="meta"><code>${e(t.id)}</code></p>`);
  H.push(`<table><thead><tr>${t.columns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>`);
  for (const r of t.rows) H.push(`<tr>${r.map((c) => `<td>${e(c ?? '')}</td>`).join('')}</tr>`);
  H.push('</tbody></table>');
  for (const f of t.footnotes ?? []) H.push(`<p class="meta">${e(f)}</p>`);
  H.push(citations(t.citations));
  H.push(interpretations(t.interpretations));
  H.push('</article>');
  return H.join('\n');
}

function citations(cs: Citation[] | undefined): string {
  if (!cs?.length) return '';
  return `<h4>Citations</h4><ul class="citations">${cs.map((c) => `<li>${e(formatCitation(c))}${c.quote ? `: <q>${e(c.quote)}</q>` : ''}</li>`).join('')}</ul>`;
}

function interpretations(is: Interpretation[] | undefined): string {
  if (!is?.length) return '';
  return `<h4>Interpretation notes</h4>${is.map((i) => `<div class="interp"><strong>${e(i.category)}</strong>${i.about ? ` <code>${e(i.about)}</code>` : ''}: ${e(i.text)}<br><span class="meta">Why: ${e(i.reason)}</span></div>`).join('')}`;
}

function grading(g: Guideline): string {
  const gr = g.manifest.grading;
  const H: string[] = ['<section id="grading"><h2>Grading</h2>', `<p>${e(gr.scheme)}</p>`];
  H.push('<table><thead><tr><th>Quality of evidence</th><th>Label</th><th>Meaning</th></tr></thead><tbody>');
  for (const [k, v] of Object.entries(gr.evidence)) H.push(`<tr><td><span class="badge g-${e(k)}">${e(k)}</span></td><td>${e(v.label)}</td><td>${e(v.meaning)}</td></tr>`);
  H.push('</tbody></table><table><thead><tr><th>Strength</th><th>Label</th><th>Meaning</th></tr></thead><tbody>');
  for (const [k, v] of Object.entries(gr.strength)) H.push(`<tr><td>${e(k)}</td><td>${e(v.label)}</td><td>${e(v.meaning)}</td></tr>`);
  H.push('</tbody></table>');
  if (gr.citation) H.push(`<p class="meta">${e(formatCitation(gr.citation))}</p>`);
  H.push('</section>');
  return H.join('\n');
}

function dataDictionary(g: Guideline): string {
  const H: string[] = ['<section id="inputs"><h2>Data dictionary</h2><p>Every patient fact a rule may read, with its unit and accepted range.</p>'];
  H.push('<table><thead><tr><th>Input</th><th>Type</th><th>Unit</th><th>Range or values</th><th>Description</th></tr></thead><tbody>');
  for (const i of g.inputs) {
    const range = i.values ? i.values.map((v) => `${v.value} (${v.label})`).join('; ') : i.minimum !== undefined || i.maximum !== undefined ? `${i.minimum ?? '−∞'} – ${i.maximum ?? '∞'}${i.integer ? ', integer' : ''}` : '';
    H.push(`<tr id="${anchor('input', i.id)}"><td>${e(i.title)}<br><code>${e(i.id)}</code></td><td>${e(i.type)}</td><td>${e(i.unit ?? '')}</td><td>${e(range)}</td><td>${e(i.description)}${i.hint ? `<br><span class="meta">${e(i.hint)}</span>` : ''}${interpretations(i.interpretations)}</td></tr>`);
  }
  H.push('</tbody></table></section>');
  return H.join('\n');
}

function register(g: Guideline): string {
  const entries = interpretationRegister(g);
  const H: string[] = [`<section id="register"><h2>Register of interpretations</h2><p>Every place where the encoding decided something the text leaves open (${entries.length}).</p>`];
  H.push('<table><thead><tr><th>Node</th><th>Category</th><th>Decision</th><th>Reason</th></tr></thead><tbody>');
  for (const r of entries) {
    const href = r.kind === 'input' ? anchor('input', r.node) : anchor('node', r.node);
    H.push(`<tr><td><a href="#${href}"><code>${e(r.node)}</code></a>${r.about ? `<br><span class="meta">${e(r.about)}</span>` : ''}</td><td>${e(r.category)}</td><td>${e(r.text)}</td><td>${e(r.reason)}</td></tr>`);
  }
  H.push('</tbody></table></section>');
  return H.join('\n');
}

function references(g: Guideline): string {
  const byRef = new Map<number, Set<string>>();
  const add = (id: string, cs: Citation[] | undefined) => {
    for (const c of cs ?? []) for (const r of c.references ?? []) {
      if (!byRef.has(r)) byRef.set(r, new Set());
      byRef.get(r)!.add(id);
    }
  };
  for (const i of g.inputs) add(i.id, i.citations);
  for (const n of g.nodes) add(n.id, n.citations);
  const refs = [...byRef.keys()].sort((a, b) => a - b);
  const H: string[] = [`<section id="references"><h2>Cited references</h2><p>Reference numbers as the guideline prints them (${refs.length > 0 ? compressRefs(refs) : 'none'}), with the nodes that cite each.</p>`];
  H.push('<table><thead><tr><th>Ref.</th><th>Cited by</th></tr></thead><tbody>');
  for (const r of refs) H.push(`<tr><td>${r}</td><td>${[...byRef.get(r)!].sort().map((id) => `<a href="#${anchor(g.inputs.some((i) => i.id === id) ? 'input' : 'node', id)}"><code>${e(id)}</code></a>`).join(', ')}</td></tr>`);
  H.push('</tbody></table></section>');
  return H.join('\n');
}
