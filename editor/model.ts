// Shared helpers of the editor: document types by path, names, vocabulary, var references.
import { nodeLabel, type Case, type Finding, type Guideline, type GuidelineNode, type InputDef, type JsonValue, type RuleNode } from '../engine/runtime/index.ts';
import { parseSource, type SourceFile } from '../engine/authoring/index.ts';

export interface SavedFile extends SourceFile { version: string }
export type DocType = 'input' | 'node' | 'case' | 'manifest' | 'other';

export function docType(path: string): DocType {
  if (path === 'manifest.json') return 'manifest';
  const top = path.split('/')[0];
  return top === 'inputs' ? 'input' : top === 'nodes' || top === 'invariants' ? 'node' : top === 'cases' ? 'case' : 'other';
}

/** Monaco model URI for a file: the suffix selects the JSON schema (fileMatch *.node.json ...). */
export function modelUri(path: string): string {
  return `file:///guideline/${path.replace(/\.json$/, '')}.${docType(path)}.json`;
}

export const isRule = (n: GuidelineNode): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point';

export function ruleLabel(n: GuidelineNode | undefined, id: string): string {
  return n ? nodeLabel(n) : id;
}

/** "hepatic_resection_2.b" → "Hepatic resection 2, clause b". */
export function outcomeLabel(g: Guideline, key: string): string {
  const [id, clause] = key.split('.');
  const n = g.nodes.find((x) => x.id === id);
  return `${ruleLabel(n, id)}${clause ? `, clause ${clause}` : ''}`;
}

export const STATUS_WORDS: Record<string, string> = {
  applies: 'applies', 'does-not-apply': 'does not apply', undecided: 'undecided', 'not-in-population': 'not for this patient', absent: 'absent',
};

export function showValue(g: Guideline, id: string, v: JsonValue | { undecided: string[] } | undefined): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'object' && !Array.isArray(v) && 'undecided' in v) return `undecided (needs ${[...new Set((v.undecided as string[]).map((m) => { const i = g.inputs.find((x) => x.id === m.split(/[.[]/)[0]); return i ? `${i.title}${i.unit && i.type === 'number' ? ` (${i.unit})` : ''}` : g.nodes.find((n) => n.id === m)?.title ?? m; }))].join(', ')})`;
  const item = g.nodes.find((n) => n.id === id) ?? g.inputs.find((i) => i.id === id);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') {
    const values = (item as { values?: { value: string; label: string }[] } | undefined)?.values;
    const label = values?.find((x) => x.value === v)?.label;
    return label && label.length <= 60 ? label : v;
  }
  if (typeof v === 'number') {
    const unit = (item as { unit?: string } | undefined)?.unit;
    return unit ? (unit === 'points' ? `${v} point${v === 1 ? '' : 's'}` : `${v} ${unit}`) : String(v);
  }
  return JSON.stringify(v);
}

/** The JSON value at a pointer inside a document. */
export function atPointer(doc: unknown, pointer: string): unknown {
  if (!pointer) return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function inputRange(i: InputDef): string {
  if (i.type === 'number') {
    const r = i.minimum !== undefined || i.maximum !== undefined ? `${i.minimum ?? '…'}–${i.maximum ?? '…'}${i.unit ? ` ${i.unit}` : ''}` : '';
    return `number${i.integer ? ' (whole)' : ''}${r ? `, plausible range ${r}` : ''}`;
  }
  if (i.type === 'enum') return `one of: ${(i.values ?? []).map((v) => `${v.value} (${v.label})`).join('; ')}`;
  if (i.type === 'boolean') return 'yes / no';
  return 'list of items';
}

export function caseChapter(g: Guideline, c: Case): string {
  return g.origins[`case:${c.id}`]?.folder.split('/')[0] ?? '';
}

export function slug(title: string): string {
  const s = title.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 72);
  return /^[a-z]/.test(s) ? s : `case_${s}`;
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The guideline with draft files applied, parsing only the drafts (each file parses on its own;
 * only the manifest is shared), so that an edit costs the same with 60 or 1,000 cases.
 */
export function withDrafts(base: Guideline, manifest: SourceFile | undefined, drafts: SourceFile[]): { guideline: Guideline; findings: Finding[] } {
  drafts = drafts.filter((d) => d.path !== 'manifest.json'); // the manifest stays the base's (the Review view reads a drafted one)
  if (!drafts.length) return { guideline: base, findings: [] };
  const parsed = parseSource(manifest ? [manifest, ...drafts] : drafts);
  const paths = new Set(drafts.map((d) => d.path));
  const keep = <T extends { id: string }>(kind: string, items: T[]) => items.filter((x) => !paths.has(base.origins[`${kind}:${x.id}`]?.file ?? ''));
  const origins = Object.fromEntries(Object.entries(base.origins).filter(([, o]) => !paths.has(o.file)));
  const p = parsed.guideline;
  return {
    guideline: {
      manifest: base.manifest,
      inputs: [...keep('input', base.inputs), ...p.inputs].sort(byId),
      nodes: [...keep('node', base.nodes), ...p.nodes].sort(byId),
      cases: [...keep('case', base.cases), ...p.cases].sort(byId),
      origins: { ...origins, ...p.origins },
    },
    findings: parsed.findings.filter((f) => f.code !== 'no-manifest'),
  };
}

/** What per-case checks depend on: the definition ids and the rule and clause ids. */
export function referenceSignature(g: Guideline): string {
  return g.nodes.map((n) => (isRule(n) ? `${n.id}:${n.clauses.map((c) => c.id).join(',')}` : n.kind === 'definition' ? n.id : '')).join('|');
}
