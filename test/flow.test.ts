// Flowcharts drawn from the data (issue 16): the graph builders (a rule's facts -> definitions ->
// clauses, Figure 3, the derived treatment-by-stage chart), their labels, and the SVG drawing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DERIVED_NOTICE, FIGURE_3, STAGE_PATIENTS, chapterFlows, diagnosisFlow, flowSvg, layoutFlow, renderFlow, ruleFlow, stageFlow, type FlowGraph } from '../engine/review/index.ts';
import { evaluate, type Guideline, type JsonValue } from '../engine/runtime/index.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline: g } = loadGuideline(GUIDELINE_DIR);
const sample = JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'sample-patient.json'), 'utf8')) as Record<string, JsonValue>;
const rules = g.nodes.filter((n) => n.kind === 'recommendation' || n.kind === 'practice-point');
const ids = new Set<string>([...g.inputs.map((i) => i.id), ...g.nodes.map((n) => n.id), ...g.nodes.flatMap((n) => ('clauses' in n ? n.clauses.map((c) => c.action.intervention) : []))]);

const byLabel = (f: FlowGraph, label: string) => f.nodes.find((n) => n.label === label);
const hasEdge = (f: FlowGraph, from: string | undefined, to: string | undefined) => !!from && !!to && f.edges.some((e) => e.from === from && e.to === to);
/** Every text a chart shows. */
const texts = (f: FlowGraph) => [f.title, f.notice ?? '', ...f.nodes.flatMap((n) => [n.label, ...(n.detail ?? []), n.value ?? '']), ...f.edges.map((e) => e.label ?? '')];
/** A raw id in clinician-facing text: a snake_case word that is an id of the guideline. */
const rawIds = (f: FlowGraph) => texts(f).flatMap((t) => (t.match(/\b[a-z0-9]+(?:_[a-z0-9]+)+\b/g) ?? []).filter((w) => ids.has(w)));

/** A small XML well-formedness check: tags balance, attributes are quoted, no bare < or &. */
function wellFormed(svg: string): string | undefined {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|#39);)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg))) {
    if (!m[2]) return `bare "${m[0]}" at ${m.index}: ${svg.slice(m.index, m.index + 40)}`;
    if (m[1]) { if (stack.pop() !== m[2]) return `</${m[2]}> closes the wrong element at ${m.index}`; }
    else if (!m[4]) stack.push(m[2]);
  }
  return stack.length ? `unclosed ${stack.join(', ')}` : undefined;
}

describe('a recommendation\'s flow: facts -> definitions -> clauses', () => {
  it('draws the albumin -> Child-Pugh chain for a recommendation that depends on the Child-Pugh class', () => {
    const f = ruleFlow(g, 'hepatic_resection_1');
    const albumin = byLabel(f, 'Serum albumin (g/dL)');
    const points = byLabel(f, 'Child-Pugh points for albumin');
    const score = byLabel(f, 'Child-Pugh score');
    const cls = byLabel(f, 'Child-Pugh class');
    expect(albumin?.kind).toBe('fact');
    expect(points?.kind).toBe('definition');
    expect(hasEdge(f, albumin?.id, points?.id)).toBe(true);
    expect(hasEdge(f, points?.id, score?.id)).toBe(true);
    expect(hasEdge(f, score?.id, cls?.id)).toBe(true);
    const clause = f.nodes.find((n) => n.kind === 'clause');
    expect(hasEdge(f, cls?.id, clause?.id)).toBe(true);
    expect(clause?.label).toBe('Recommend: Hepatic resection');
    expect(clause?.detail).toContain('Grade A1');
    // the rule is gated on its chapter's population, drawn as such
    expect(f.nodes.some((n) => n.kind === 'population' && hasEdge(f, n.id, 'r:hepatic_resection_1'))).toBe(true);
  });

  it('a rule that does not read liver function draws no albumin', () => {
    const f = ruleFlow(g, 'diagnosis_6');
    expect(byLabel(f, 'Serum albumin (g/dL)')).toBeUndefined();
    expect(f.nodes.some((n) => n.label.startsWith('Liver nodule size'))).toBe(true);
  });

  it('with a patient, shows each value in words and each clause\'s status', () => {
    const f = ruleFlow(g, 'hepatic_resection_1', { result: evaluate(g, sample) });
    expect(byLabel(f, 'Serum albumin (g/dL)')?.value).toBe('3.9 g/dL');
    expect(byLabel(f, 'Child-Pugh points for albumin')?.value).toBe('1 point');
    expect(byLabel(f, 'Child-Pugh class')?.value).toMatch(/^Class A/);
    const clause = f.nodes.find((n) => n.kind === 'clause')!;
    expect(clause.status).toBe('applies');
    expect(clause.value).toBe('applies');
  });

  it('a missing fact is unknown and leaves the clause undecided, never false', () => {
    const { albumin: _drop, ...facts } = sample;
    const f = ruleFlow(g, 'hepatic_resection_1', { result: evaluate(g, facts) });
    expect(byLabel(f, 'Serum albumin (g/dL)')?.value).toBe('unknown');
    expect(byLabel(f, 'Child-Pugh points for albumin')?.value).toMatch(/^unknown \(needs Serum albumin\)/);
    expect(f.nodes.find((n) => n.kind === 'clause')?.status).toBe('undecided');
  });

  it('no raw ids in any label, for every rule, with and without a patient', () => {
    const result = evaluate(g, sample);
    const found = rules.flatMap((r) => [...rawIds(ruleFlow(g, r.id)), ...rawIds(ruleFlow(g, r.id, { result }))].map((w) => `${r.id}: ${w}`));
    expect(found).toEqual([]);
  });

  it('refuses a node that is not a rule', () => {
    expect(() => ruleFlow(g, 'child_pugh_class')).toThrow(/no recommendation or practice point/);
  });
});

describe('chapter algorithms', () => {
  it('Figure 3 follows the imaging diagnosis category: one question per condition, one outcome per category, with its recommendations', () => {
    const f = diagnosisFlow(g);
    expect(f.derived).toBe(false);
    const category = g.nodes.find((n) => n.id === FIGURE_3.pivot)!;
    const values = ('values' in category ? category.values ?? [] : []).map((v) => v.label);
    expect(f.nodes.filter((n) => n.kind === 'outcome').map((n) => n.label).sort()).toEqual([...values].sort());
    expect(f.nodes.filter((n) => n.kind === 'decision').map((n) => n.label)).toEqual(['High-risk group for HCC?', 'Liver nodule size < 1 cm?', 'Radiological hallmarks of HCC?', 'Ancillary criteria for "probable" HCC?']);
    const probable = byLabel(f, '"Probable" HCC')!;
    const action = (rule: string) => f.nodes.filter((n) => n.kind === 'action' && n.ref === rule);
    // attached because their condition tests the category ("probable")
    expect(action('diagnosis_5').some((a) => hasEdge(f, probable.id, a.id) && a.detail?.[0] === 'Diagnosis 5 (a) · C1')).toBe(true);
    // placed by the figure table: subcentimeter -> follow-up surveillance (Diagnosis 6)
    expect(hasEdge(f, byLabel(f, 'Subcentimeter nodule (<1 cm)')?.id, action('diagnosis_6')[0]?.id)).toBe(true);
    // first-line imaging between the size question and the hallmarks question
    const firstLine = action('diagnosis_2').find((a) => a.label.includes('Multiphasic CT or MRI'))!;
    expect(f.edges.find((e) => e.from === 'q:1' && e.to === firstLine.id)?.label).toBe('no');
    expect(hasEdge(f, firstLine.id, 'q:2')).toBe(true);
    expect(rawIds(f)).toEqual([]);
  });

  it('Figure 3 refuses a reference to a clause the guideline does not have', () => {
    const broken: Guideline = { ...g, nodes: g.nodes.filter((n) => n.id !== 'diagnosis_6') };
    expect(() => diagnosisFlow(broken)).toThrow(/no clause "diagnosis_6#a"/);
  });

  it('the treatment overview by stage is marked derived, in its notice, its first box and its flag', () => {
    const f = stageFlow(g);
    expect(f.derived).toBe(true);
    expect(f.notice).toContain(DERIVED_NOTICE);
    expect(DERIVED_NOTICE).toMatch(/Derived from the recommendations; Figures 8 and 9 are not in the source text/);
    expect(f.nodes.find((n) => n.kind === 'start')?.detail).toContain(DERIVED_NOTICE);
    expect(f.nodes.filter((n) => n.kind === 'outcome')).toHaveLength(STAGE_PATIENTS.length);
    // stage I reaches hepatic resection as the primary choice (Hepatic resection 1, A1)
    const resection = (stage: string) => f.nodes.find((n) => n.kind === 'action' && n.label === 'Hepatic resection' && hasEdge(f, `s:${stage}`, n.id));
    expect(resection('I')?.detail).toContain('Hepatic resection 1 · A1 · primary');
    // stage IVB does not reach resection
    expect(resection('IVB')).toBeUndefined();
    expect(rawIds(f)).toEqual([]);
  });

  it('chapterFlows gives Figure 3 for diagnosis, the derived chart for the treatment overview, nothing elsewhere', () => {
    expect(chapterFlows(g, 'diagnosis').map((f) => f.id)).toEqual([FIGURE_3.id]);
    expect(chapterFlows(g, 'treatment-overview').map((f) => f.derived)).toEqual([true]);
    expect(chapterFlows(g, 'prevention')).toEqual([]);
  });
});

describe('layout and SVG', () => {
  it('lays every box out inside the drawing, without overlaps, and draws well-formed SVG with a title', async () => {
    const f = ruleFlow(g, 'hepatic_resection_1', { result: evaluate(g, sample) });
    const layout = await layoutFlow(f);
    const boxes = Object.values(layout.nodes);
    expect(boxes).toHaveLength(f.nodes.length);
    for (const b of boxes) {
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(layout.width + 0.5);
      expect(b.y + b.height).toBeLessThanOrEqual(layout.height + 0.5);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]; const b = boxes[j];
      const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      expect(overlap, `boxes ${i} and ${j} overlap`).toBe(false);
    }
    expect(layout.edges.every((e) => e.points.length >= 2)).toBe(true);
    const svg = flowSvg(f, layout);
    expect(wellFormed(svg)).toBeUndefined();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* role="img" aria-labelledby="[^"]+"/);
    expect(svg).toContain('<title id="rule-hepatic_resection_1-title">Hepatic resection 1: what decides it</title>');
    expect(svg).toContain('= 3.9 g/dL');
    expect(svg).not.toMatch(/<script|url\(|href=/i);
  }, 60000);

  it('escapes what it draws', async () => {
    const f: FlowGraph = { id: 'x', title: '<b>&"', derived: false, nodes: [{ id: 'a', kind: 'fact', label: '<script>alert(1)</script> & co' }, { id: 'b', kind: 'rule', label: 'b' }], edges: [{ from: 'a', to: 'b', label: '<i>' }] };
    const svg = await renderFlow(f);
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<i>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(wellFormed(svg)).toBeUndefined();
  }, 60000);

  it('the chapter charts draw as well-formed SVG', async () => {
    for (const f of [diagnosisFlow(g), stageFlow(g)]) expect(wellFormed(await renderFlow(f)), f.id).toBeUndefined();
  }, 60000);
});
