// The Monaco editor of one document, with the checker's findings as markers at their JSON pointers.
import Editor from '@monaco-editor/react';
import { useEffect, useRef } from 'react';
import type { Finding } from '../engine/runtime/index.ts';
import { monaco } from './monaco-setup.ts';
import { pointerSpans, spanFor } from './jsonpos.ts';
import { modelUri } from './model.ts';

/** Findings Monaco's own JSON service reports already (syntax, schema) are not repeated as markers. */
const OWN = new Set(['schema', 'invalid-json']);

export function modelFor(path: string) {
  return monaco.editor.getModel(monaco.Uri.parse(modelUri(path)));
}

/** Replace a model's text as one undoable edit (after a save reformats it, or a conflict is resolved). */
export function setModelText(path: string, text: string) {
  const model = modelFor(path);
  if (model && model.getValue() !== text) model.pushEditOperations([], [{ range: model.getFullModelRange(), text }], () => null);
}

export function JsonEditor(props: { path: string; text: string; findings: Finding[]; onChange: (text: string) => void; onReady?: () => void }) {
  const { path, text, findings, onChange, onReady } = props;
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const change = useRef(onChange);
  change.current = onChange;

  useEffect(() => {
    const model = modelFor(path);
    if (!model) return;
    const value = model.getValue();
    const spans = pointerSpans(value);
    const markers = findings.filter((f) => f.file === path && !OWN.has(f.code)).map((f) => {
      const s = spanFor(spans, f.pointer, value);
      const a = model.getPositionAt(s.start);
      const b = model.getPositionAt(s.end);
      return {
        severity: f.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
        message: f.message, source: 'guideline checker', code: f.code,
        startLineNumber: a.lineNumber, startColumn: a.column, endLineNumber: b.lineNumber, endColumn: b.column,
      };
    });
    monaco.editor.setModelMarkers(model, 'guideline-checker', markers);
  }, [path, findings]);

  return (
    <Editor
      path={modelUri(path)}
      defaultLanguage="json"
      defaultValue={text}
      theme="vs"
      onChange={(v) => change.current(v ?? '')}
      onMount={(editor) => { editorRef.current = editor; window.__editor = editor; onReady?.(); }}
      options={{ minimap: { enabled: false }, automaticLayout: true, fontSize: 13, tabSize: 2, scrollBeyondLastLine: false, wordWrap: 'on', renderLineHighlight: 'none', fixedOverflowWidgets: true }}
    />
  );
}
