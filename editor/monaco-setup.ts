// Monaco, bundled and offline (see ../shared/design/TOOLCHAIN.md): the lean editor core, the JSON
// language, local workers, the guideline's JSON Schema per document type, and completion and
// hover for fact and definition names inside {"var": ...}.
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import * as json from 'monaco-editor/languages/features/json/register';
import { loader } from '@monaco-editor/react';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker';
import { schemaDocumentFor } from '../schema/index.ts';

self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string) {
    if (label === 'json') return new JsonWorker();
    return new EditorWorker();
  },
};

loader.config({ monaco }); // without this @monaco-editor/react loads Monaco from a CDN

json.jsonDefaults.setDiagnosticsOptions({
  validate: true,
  allowComments: false,
  enableSchemaRequest: false,
  schemaValidation: 'error',
  schemas: (['node', 'input', 'case'] as const).map((type) => ({
    uri: `inmemory://schema/guideline-${type}.json`,
    fileMatch: [`*.${type}.json`],
    schema: schemaDocumentFor(type),
  })),
});

/** A fact or definition the editor can complete and explain. */
export interface NameInfo { id: string; kind: 'fact' | 'definition'; title: string; unit?: string; range?: string; description?: string }

let names: NameInfo[] = [];
export function setNames(list: NameInfo[]): void { names = list; }

/** The string literal under the cursor, if any: its content and its column range. */
function stringAt(model: monaco.editor.ITextModel, position: monaco.Position) {
  const line = model.getLineContent(position.lineNumber);
  const col = position.column - 1;
  let start = -1;
  for (let i = 0, inStr = false; i < line.length; i++) {
    if (line[i] === '\\' && inStr) { i++; continue; }
    if (line[i] === '"') {
      if (!inStr) { start = i; inStr = true; } else {
        if (col > start && col <= i) return { text: line.slice(start + 1, i), startCol: start + 2, endCol: i + 1, before: line.slice(0, start) };
        inStr = false;
      }
    }
  }
  if (start >= 0 && line.slice(start).split('"').length === 2 && col > start) return { text: line.slice(start + 1, col), startCol: start + 2, endCol: col + 1, before: line.slice(0, start) };
  return undefined;
}

/** Is the string at this position the operand of "var"? Looks back over the text before it. */
function insideVar(model: monaco.editor.ITextModel, position: monaco.Position, startCol: number): boolean {
  const before = model.getValueInRange({ startLineNumber: Math.max(1, position.lineNumber - 3), startColumn: 1, endLineNumber: position.lineNumber, endColumn: startCol - 1 });
  return /"var"\s*:\s*\[?\s*$/.test(before);
}

function markdown(n: NameInfo): string {
  return [
    `**${n.title}** \`${n.id}\` (${n.kind === 'fact' ? 'patient fact' : 'derived value'})`,
    n.unit ? `Unit: ${n.unit}` : '',
    n.range ? `Values: ${n.range}` : '',
    n.description ?? '',
  ].filter(Boolean).join('\n\n');
}

monaco.languages.registerCompletionItemProvider('json', {
  triggerCharacters: ['"'],
  provideCompletionItems(model, position) {
    const s = stringAt(model, position);
    if (!s || !insideVar(model, position, s.startCol)) return { suggestions: [] };
    const range = { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: s.startCol, endColumn: s.endCol };
    return {
      suggestions: names.map((n) => ({
        label: { label: n.id, description: n.title },
        kind: n.kind === 'fact' ? monaco.languages.CompletionItemKind.Field : monaco.languages.CompletionItemKind.Function,
        insertText: n.id,
        filterText: n.id,
        detail: `${n.kind === 'fact' ? 'fact' : 'definition'}: ${n.title}${n.unit ? ` (${n.unit})` : ''}`,
        documentation: { value: markdown(n) },
        range,
      })),
    };
  },
});

monaco.languages.registerHoverProvider('json', {
  provideHover(model, position) {
    const s = stringAt(model, position);
    if (!s) return null;
    const n = names.find((x) => x.id === s.text.split(/[.[]/)[0]);
    if (!n) return null;
    return {
      range: { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: s.startCol - 1, endColumn: s.endCol + 1 },
      contents: [{ value: markdown(n) }],
    };
  },
});

declare global {
  interface Window { __monaco?: typeof monaco; __editor?: monaco.editor.IStandaloneCodeEditor }
}
window.__monaco = monaco;
export { monaco };
