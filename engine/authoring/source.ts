// Turn the files of a guideline folder into a Guideline, with a finding for every file that
// cannot be read, does not match the schema or is misplaced. No fs here: the CLI reads files
// from disk, the editor passes drafts from memory, both through this function.
import { validateDocument, type DocumentType } from '../../schema/index.ts';
import { LIMITS, measure } from '../runtime/logic.ts';
import type { Case, Finding, Guideline, GuidelineNode, InputDef, Manifest, Origin } from '../runtime/types.ts';

export interface SourceFile {
  /** path relative to the guideline folder, with forward slashes: nodes/staging/muicc_stage.json */
  path: string;
  text: string;
}

export interface ParsedSource {
  guideline: Guideline;
  findings: Finding[];
}

/** Nesting a document may have: a node's expression may nest LIMITS.maxDepth levels, plus its wrapper. */
const MAX_DOCUMENT_DEPTH = LIMITS.maxDepth + 8;

export function parseSource(files: readonly SourceFile[]): ParsedSource {
  const findings: Finding[] = [];
  let manifest: Manifest | undefined;
  const inputs: InputDef[] = [];
  const nodes: GuidelineNode[] = [];
  const cases: Case[] = [];
  const origins: Record<string, Origin> = {};
  const seen = new Map<string, { file: string; reported: boolean }>();

  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    const { path } = file;
    // examples/ holds sample patient files for demos, not guideline documents.
    if (!path.endsWith('.json') || path.startsWith('examples/')) continue;
    const parts = path.split('/');
    const type: DocumentType | undefined =
      path === 'manifest.json' ? 'manifest'
      : parts[0] === 'inputs' ? 'input'
      : parts[0] === 'nodes' || parts[0] === 'invariants' ? 'node'
      : parts[0] === 'cases' ? 'case'
      : undefined;
    if (!type) {
      findings.push({ code: 'stray-file', severity: 'error', file: path, pointer: '', message: 'JSON file outside manifest.json, inputs/, nodes/, invariants/ and cases/: move it or delete it.' });
      continue;
    }
    const doc = parseJson(file, findings);
    if (doc === undefined) continue;
    const { depth } = measure(doc);
    if (depth > MAX_DOCUMENT_DEPTH) {
      findings.push({ code: 'too-deep', severity: 'error', file: path, pointer: '', message: `document nests ${depth} levels deep; the limit is ${MAX_DOCUMENT_DEPTH}. Split deep expressions into definitions.` });
      continue;
    }
    // A file holding null, a list or a bare value is one finding, not a crash further down.
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      findings.push({ code: 'schema', severity: 'error', file: path, pointer: '', message: `the file holds ${doc === null ? 'null' : Array.isArray(doc) ? 'a list' : `a ${typeof doc}`}, not a JSON object: restore the document (an object with "kind" and "id"${type === 'manifest' ? ', or the manifest' : ''}).` });
      continue;
    }
    // A key that shadows a member of Object.prototype ("toString", "__proto__", ...) is never part
    // of a guideline document, and libraries that meet one (ajv's deep equality) may call it.
    const reserved = reservedKey(doc, '');
    if (reserved !== undefined) {
      findings.push({ code: 'schema', severity: 'error', file: path, pointer: reserved, message: `the key "${reserved.split('/').pop()}" is reserved (a built-in name of JavaScript objects) and has no meaning in a guideline document: remove it or rename it.` });
      continue;
    }
    const errors = validateDocument(type, doc);
    const id = typeof (doc as { id?: unknown }).id === 'string' ? (doc as { id: string }).id : undefined;
    for (const e of errors) {
      findings.push({ code: 'schema', severity: 'error', file: path, pointer: e.pointer, ...(id && type !== 'manifest' ? { node: id } : {}), message: e.message });
    }
    if (errors.length) continue;

    if (type === 'manifest') { manifest = doc as Manifest; continue; }
    const stem = parts[parts.length - 1].replace(/\.json$/, '');
    const isInvariant = (doc as { kind?: unknown }).kind === 'invariant';
    if (type === 'node' && isInvariant !== (parts[0] === 'invariants')) {
      findings.push({ code: 'folder', severity: 'error', file: path, pointer: '/kind', node: id, message: isInvariant ? 'an invariant lives in invariants/<chapter>-<slug>.json: move it.' : 'invariants/ holds only invariants: move this node to nodes/<chapter>/.' });
      continue;
    }
    // invariants/ is flat (invariants/<chapter>-<slug>.json): their folder is "invariants".
    const folder = parts[0] === 'invariants' && parts.length === 2 ? 'invariants' : parts.length > 2 ? parts.slice(1, -1).join('/') : '';
    if (stem !== id) {
      findings.push({ code: 'file-name', severity: 'error', file: path, pointer: '/id', node: id, message: `file name "${stem}.json" must equal the id "${id}": rename the file or the id.` });
    }
    if (!folder) {
      findings.push({ code: 'folder', severity: 'error', file: path, pointer: '', node: id, message: `put ${parts[0]} files in a sub-folder (${parts[0]}/<chapter or group>/${stem}.json).` });
    }
    const origin: Origin = { file: path, folder };
    // Inputs and nodes share one namespace, cases have their own. The first file (in path
    // order) keeps the id; every file that repeats it is reported, and so is the first.
    const key = type === 'case' ? `case:${id}` : `value:${id}`;
    const first = seen.get(key);
    if (first) {
      const what = type === 'case' ? 'case id' : 'id';
      const namespace = type === 'case' ? '' : ' (inputs and nodes share one namespace)';
      findings.push({ code: 'duplicate-id', severity: 'error', file: path, pointer: '/id', node: id, message: `${what} "${id}" is already used by ${first.file}${namespace}; rename one of them or delete the copy.` });
      if (!first.reported) {
        findings.push({ code: 'duplicate-id', severity: 'error', file: first.file, pointer: '/id', node: id, message: `${what} "${id}" is used again by ${path}${namespace}; rename one of them or delete the copy.` });
        first.reported = true;
      }
      continue;
    }
    seen.set(key, { file: path, reported: false });
    if (type === 'input') { inputs.push(doc as InputDef); origins[`input:${id}`] = origin; }
    else if (type === 'node') { nodes.push(doc as GuidelineNode); origins[`node:${id}`] = origin; }
    else { cases.push(doc as Case); origins[`case:${id}`] = origin; }
  }
  if (!manifest) {
    findings.push({ code: 'no-manifest', severity: 'error', file: 'manifest.json', pointer: '', message: 'the guideline folder needs a valid manifest.json (id, title, version, source, grading, chapters).' });
    manifest = { id: 'unknown', title: 'unknown', version: '0.0.0', source: { citation: '', organisations: [], year: 0 }, grading: { scheme: '', evidence: {}, strength: {} }, chapters: [] };
  }
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { guideline: { manifest, inputs: inputs.sort(byId), nodes: nodes.sort(byId), cases: cases.sort(byId), origins }, findings };
}

function parseJson(file: SourceFile, findings: Finding[]): unknown {
  try {
    return JSON.parse(file.text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = '';
    if (pos) {
      const before = file.text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const col = Number(pos[1]) - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${col}`;
    }
    findings.push({ code: 'invalid-json', severity: 'error', file: file.path, pointer: '', message: `not valid JSON${where}: ${msg}. Fix the syntax (a missing comma or quote is the usual cause).` });
    return undefined;
  }
}

const RESERVED_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The JSON pointer of the first key that names an Object.prototype member, if any. */
function reservedKey(value: unknown, pointer: string): string | undefined {
  const path = reservedPath(value);
  return path && pointer + path.reverse().map((k) => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The keys leading to the first reserved key, innermost first (the pointer is built only for a find: every document is walked). */
function reservedPath(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) { const r = reservedPath(value[i]); if (r) { r.push(String(i)); return r; } }
  } else if (value && typeof value === 'object') {
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      if (RESERVED_KEYS.has(k)) return [k];
      const r = reservedPath((value as Record<string, unknown>)[k]);
      if (r) { r.push(k); return r; }
    }
  }
  return undefined;
}
