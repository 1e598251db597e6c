// Flow graphs laid out with elkjs (layered) and drawn as one self-contained SVG string, the same
// in the editor and in the book (which then needs no script). The layout is async (elkjs); the
// drawing (flowSvg) is a pure function of the graph and its layout. elkjs is loaded on first use,
// so importing the review wing does not load it.
import type { Guideline } from '../runtime/types.ts';
import { chapterFlows } from './flow-chapters.ts';
import { hasFlow, ruleFlow, type FlowGraph, type FlowNode } from './flow.ts';

export interface Box { x: number; y: number; width: number; height: number }
export interface NodeBox extends Box { title: string[]; lines: string[]; value?: string }
export interface EdgePath { from: string; to: string; points: { x: number; y: number }[]; dashed?: boolean; label?: Box & { lines: string[] } }
export interface FlowLayout { width: number; height: number; nodes: Record<string, NodeBox>; edges: EdgePath[] }
export interface LayoutOptions { direction?: 'RIGHT' | 'DOWN' }

const CHAR = 6.9; // average width of a 12px sans-serif character, a little generous
const LINE = 16;
const PAD = 8;

/** Break text into lines of at most `width` characters, at spaces where possible. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else { out.push(line); line = word; }
    while (line.length > width) { out.push(line.slice(0, width)); line = line.slice(width); }
  }
  if (line) out.push(line);
  return out.length ? out : [''];
}

function measure(n: FlowNode): { title: string[]; lines: string[]; value?: string; width: number; height: number } {
  const title = wrap(n.label, 30);
  const lines = (n.detail ?? []).flatMap((d) => wrap(d, 38));
  const value = n.value !== undefined ? `= ${n.value}` : undefined;
  const valueLines = value ? wrap(value, 38) : [];
  const longest = Math.max(...title.map((l) => l.length * 1.08), ...lines.map((l) => l.length * 0.92), ...valueLines.map((l) => l.length));
  const width = Math.round(Math.max(120, longest * CHAR + 2 * PAD));
  const height = Math.round((title.length + lines.length + valueLines.length) * LINE + 2 * PAD);
  return { title, lines, value, width, height };
}

type Elk = { layout(graph: unknown): Promise<ElkOut> };
interface ElkOut {
  width?: number; height?: number;
  children?: { id: string; x?: number; y?: number; width?: number; height?: number }[];
  edges?: { id: string; sections?: { startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[] }[]; labels?: { x?: number; y?: number; width?: number; height?: number }[] }[];
}
let elk: Promise<Elk> | undefined;
function elkInstance(): Promise<Elk> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const ELK = (m as unknown as { default: new () => Elk }).default;
    return new ELK();
  });
  return elk;
}

/** Lay a flow graph out (elkjs layered). Deterministic for the same graph. */
export async function layoutFlow(graph: FlowGraph, options: LayoutOptions = {}): Promise<FlowLayout> {
  const sizes = new Map(graph.nodes.map((n) => [n.id, measure(n)]));
  const edgeLabels = graph.edges.map((e) => (e.label ? wrap(e.label, 34) : undefined));
  const input = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': options.direction ?? graph.direction ?? 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '46',
      'elk.spacing.nodeNode': '22',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      // keep the builder's order (stages I to IVB, clauses in text order) where crossings allow
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: sizes.get(n.id)!.width, height: sizes.get(n.id)!.height })),
    edges: graph.edges.map((e, i) => ({
      id: `e${i}`, sources: [e.from], targets: [e.to],
      ...(edgeLabels[i] ? { labels: [{ text: e.label, width: Math.round(Math.max(...edgeLabels[i]!.map((l) => l.length)) * 6.2 + 8), height: edgeLabels[i]!.length * 14 + 4 }] } : {}),
    })),
  };
  const out = await (await elkInstance()).layout(input);
  const nodes: Record<string, NodeBox> = {};
  for (const c of out.children ?? []) {
    const s = sizes.get(c.id)!;
    nodes[c.id] = { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? s.width, height: c.height ?? s.height, title: s.title, lines: s.lines, value: s.value };
  }
  const edges: EdgePath[] = (out.edges ?? []).map((e, i) => {
    const src = graph.edges[i];
    const sec = e.sections?.[0];
    const points = sec ? [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint] : [];
    const l = e.labels?.[0];
    return {
      from: src.from, to: src.to, points, ...(src.dashed ? { dashed: true } : {}),
      ...(l && edgeLabels[i] ? { label: { x: l.x ?? 0, y: l.y ?? 0, width: l.width ?? 0, height: l.height ?? 0, lines: edgeLabels[i]! } } : {}),
    };
  });
  return { width: Math.ceil(out.width ?? 0), height: Math.ceil(out.height ?? 0), nodes, edges };
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const x = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
const num = (n: number) => String(Math.round(n * 10) / 10);

const FILL: Record<FlowNode['kind'], string> = {
  fact: '#e8f1fb', definition: '#f1f3f6', population: '#f1f3f6', clause: '#ffffff', rule: '#fff8e6',
  start: '#e9f5ec', decision: '#fdf2e3', outcome: '#eef0fb', action: '#ffffff',
};
const GRADE_COLOR: Record<string, string> = { A: '#1f6f3f', B: '#2f6a99', C: '#8a5a12', D: '#9b2c2c' };
const STATUS_STROKE: Record<string, string> = { applies: '#1f6f3f', 'does-not-apply': '#6b7280', undecided: '#a0620f', 'not-in-population': '#6b7280' };

/** A filled arrowhead at `to`, pointing from `from` (drawn, not a marker: the book has no url() references). */
function arrowHead(from: { x: number; y: number }, to: { x: number; y: number }): string {
  const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  const ux = (to.x - from.x) / len;
  const uy = (to.y - from.y) / len;
  const bx = to.x - ux * 8;
  const by = to.y - uy * 8;
  const pts = [[to.x, to.y], [bx - uy * 4, by + ux * 4], [bx + uy * 4, by - ux * 4]];
  return `<path d="M${pts.map(([a, b]) => `${num(a)},${num(b)}`).join(' L')} Z" fill="#4b5563"/>`;
}

/** The chart as one SVG element (no script, no external reference); ids are prefixed by the graph's id. */
export function flowSvg(graph: FlowGraph, layout: FlowLayout): string {
  const gid = graph.id.replace(/[^A-Za-z0-9_-]/g, '_');
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const S: string[] = [];
  const summary = `${graph.nodes.length} boxes and ${graph.edges.length} arrows.${graph.notice ? ` ${graph.notice}` : ''}`;
  S.push(`<svg xmlns="http://www.w3.org/2000/svg" class="flowchart${graph.derived ? ' derived' : ''}" data-flow="${x(graph.id)}" role="img" aria-labelledby="${gid}-title ${gid}-desc" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" font-family="system-ui,-apple-system,'Segoe UI',sans-serif" font-size="12">`);
  S.push(`<title id="${gid}-title">${x(graph.title)}</title><desc id="${gid}-desc">${x(summary)}</desc>`);
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${num(p.x)},${num(p.y)}`).join(' ');
    S.push(`<path class="flow-edge" d="${d}" fill="none" stroke="#4b5563" stroke-width="1.3"${e.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    S.push(arrowHead(e.points[e.points.length - 2], e.points[e.points.length - 1]));
    if (e.label) {
      S.push(`<g class="flow-edge-label"><rect x="${num(e.label.x)}" y="${num(e.label.y)}" width="${num(e.label.width)}" height="${num(e.label.height)}" fill="#ffffff" fill-opacity="0.9"/>`
        + `<text x="${num(e.label.x + 4)}" y="${num(e.label.y + 13)}" fill="#374151" font-size="11">${e.label.lines.map((l, i) => `<tspan x="${num(e.label!.x + 4)}" dy="${i ? 14 : 0}">${x(l)}</tspan>`).join('')}</text></g>`);
    }
  }
  for (const [id, b] of Object.entries(layout.nodes)) {
    const n = byId.get(id);
    if (!n) continue;
    const status = n.status ? STATUS_STROKE[n.status] : undefined;
    const gradeColor = n.grade ? GRADE_COLOR[n.grade[0]] : undefined;
    const stroke = status ?? (n.kind === 'decision' ? '#a0620f' : gradeColor ?? '#6b7280');
    const width = n.status === 'applies' ? 3 : n.kind === 'rule' || n.kind === 'decision' ? 2 : 1.2;
    const fill = n.status === 'does-not-apply' || n.status === 'not-in-population' ? '#f3f4f6' : FILL[n.kind];
    const rx = n.kind === 'start' || n.kind === 'outcome' ? 14 : n.kind === 'fact' ? 8 : 3;
    S.push(`<g class="flow-node k-${n.kind}${n.status ? ` st-${n.status}` : ''}"${n.ref ? ` data-ref="${x(n.ref)}"` : ''} data-node="${x(id)}">`);
    S.push(`<rect x="${num(b.x)}" y="${num(b.y)}" width="${num(b.width)}" height="${num(b.height)}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="${width}"${n.status === 'undecided' ? ' stroke-dasharray="6 3"' : ''}/>`);
    let y = b.y + PAD + 12;
    const tx = num(b.x + PAD);
    const T: string[] = [];
    for (const l of b.title) { T.push(`<tspan x="${tx}" y="${num(y)}" font-weight="700">${x(l)}</tspan>`); y += LINE; }
    for (const l of b.lines) { T.push(`<tspan x="${tx}" y="${num(y)}" fill="#4b5563" font-size="11">${x(l)}</tspan>`); y += LINE; }
    if (b.value) for (const l of wrap(b.value, 38)) { T.push(`<tspan x="${tx}" y="${num(y)}" font-weight="700" fill="${status ?? '#1e3a8a'}" class="flow-value">${x(l)}</tspan>`); y += LINE; }
    S.push(`<text fill="#1d232a">${T.join('')}</text></g>`);
  }
  S.push('</svg>');
  return S.join('');
}

/** Layout and drawing in one call. */
export async function renderFlow(graph: FlowGraph, options: LayoutOptions = {}): Promise<string> {
  return flowSvg(graph, await layoutFlow(graph, options));
}

/** A chart ready for a page: its title, notice and SVG. */
export interface RenderedFlow { id: string; title: string; notice?: string; derived: boolean; svg: string }

/** Every chapter's algorithm charts, drawn, for the book: chapter id -> charts. */
export async function bookFlows(g: Guideline): Promise<Record<string, RenderedFlow[]>> {
  const out: Record<string, RenderedFlow[]> = {};
  for (const c of g.manifest.chapters) {
    const flows = chapterFlows(g, c.id);
    if (flows.length) out[c.id] = await Promise.all(flows.map(async (f) => ({ id: f.id, title: f.title, notice: f.notice, derived: f.derived, svg: await renderFlow(f) })));
  }
  return out;
}

/**
 * Every recommendation's and practice point's chart (facts -> definitions -> clauses), drawn, for
 * the book: rule id -> SVG. Laid out one after another (elkjs is synchronous inside; running them
 * "in parallel" would only interleave the same work).
 */
export async function bookRuleFlows(g: Guideline): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of g.nodes) if (hasFlow(n)) out[n.id] = await renderFlow(ruleFlow(g, n.id));
  return out;
}
