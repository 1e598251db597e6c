// Templates of new items (pure: no React), used by Templates.tsx's "New…" dialog and by tests.
// A template is a new file in the right folder, in the house key order; once its empty texts
// (statement, clause text, description, reason) are filled it passes the checker (an input must
// also be read by some rule, and the checker says so until one is).
import { formatDocument } from '../../engine/authoring/index.ts';
import type { Guideline, JsonValue } from '../../engine/runtime/index.ts';

export type TemplateKind = 'recommendation' | 'practice-point' | 'definition' | 'input' | 'invariant' | 'case';
export const KINDS: [TemplateKind, string][] = [
  ['recommendation', 'Recommendation'], ['practice-point', 'Practice point'], ['definition', 'Definition (derived value)'],
  ['input', 'Patient fact (input)'], ['invariant', 'Safety invariant'], ['case', 'Regression case'],
];

export function idFrom(title: string): string {
  const s = title.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 72);
  return /^[a-z]/.test(s) ? s : `x_${s}`;
}

/** The template document and its path. */
export function template(g: Guideline, kind: TemplateKind, folder: string, title: string, id: string): { path: string; text: string } {
  const chapter = g.manifest.chapters.find((c) => c.id === folder);
  const section = [chapter?.section ?? chapter?.title ?? folder];
  const population = chapter?.population ?? g.nodes.find((n) => n.kind === 'definition' && n.type === 'boolean')?.id ?? '';
  const when: JsonValue = { and: [{ var: population }] };
  let doc: Record<string, JsonValue>;
  let path = `nodes/${folder}/${id}.json`;
  if (kind === 'recommendation') {
    const topic = chapter?.topic ?? chapter?.title ?? folder;
    const taken = g.nodes.filter((n) => n.kind === 'recommendation' && n.topic === topic).map((n) => (n as { number: number }).number);
    const number = Math.max(0, ...taken) + 1;
    doc = {
      kind: 'recommendation', id, topic, number, statement: '',
      clauses: [{ id: 'a', text: '', grade: 'B2', when, action: { type: 'recommend', intervention: id, label: title } }],
      citations: [{ section, recommendation: `${topic} ${number}` }],
    };
  } else if (kind === 'practice-point') {
    doc = {
      kind: 'practice-point', id, title, statement: '',
      clauses: [{ id: 'a', text: '', grade: null, when, action: { type: 'consider', intervention: id, label: title } }],
      citations: [{ section }],
    };
  } else if (kind === 'definition') {
    doc = { kind: 'definition', id, title, description: '', type: 'boolean', expr: when, public: true, citations: [{ section }] };
  } else if (kind === 'invariant') {
    // An invariant's id (and file name) is <chapter>-<slug>.
    path = `invariants/${folder}-${id}.json`;
    const code = g.nodes.find((n) => (n.kind === 'recommendation' || n.kind === 'practice-point') && g.origins[`node:${n.id}`]?.folder.split('/')[0] === folder) as { clauses: { action: { intervention: string } }[] } | undefined;
    doc = {
      kind: 'invariant', id: `${folder}-${id}`, title, when: { '!': { var: population } },
      forbid: [{ intervention: code?.clauses[0]?.action.intervention ?? '*', actions: ['recommend'], chapter: folder }],
      reason: '', citations: [{ section }],
    };
  } else if (kind === 'input') {
    path = `inputs/${folder}/${id}.json`;
    doc = { kind: 'input', id, title, description: '', type: 'number', unit: '', minimum: 0, maximum: 100 };
  } else {
    path = `cases/${folder}/${id}.json`;
    doc = { id, title, facts: {}, expect: { values: { [population]: true } } };
  }
  return { path, text: formatDocument(doc) };
}

