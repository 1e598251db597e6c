// "New…": add a recommendation, practice point, definition, input, invariant or case from a template.
// The template is a new draft file in the right folder, with the house key order; once its empty
// texts (statement, clause text, description) are filled it passes the checker (an input must also
// be read by some rule: the checker says so until one does). Selectors: data-testid="new-item"
// (the button), "new-dialog", "new-kind", "new-chapter", "new-title", "new-id", "new-create".
import { useState } from 'react';
import type { Guideline } from '../../engine/runtime/index.ts';
import { idFrom, KINDS, template, type TemplateKind } from './templates.ts';

export function AddMenu({ g, onCreate }: { g: Guideline; onCreate: (path: string, text: string) => void }) {
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<TemplateKind>('recommendation');
  const [folder, setFolder] = useState(g.manifest.chapters[0]?.id ?? '');
  const [title, setTitle] = useState('');
  const [id, setId] = useState('');
  const [touched, setTouched] = useState(false);
  const inputFolders = [...new Set(g.inputs.map((i) => g.origins[`input:${i.id}`]?.folder.split('/')[0]).filter(Boolean) as string[])].sort();
  const folders = kind === 'input' ? inputFolders.map((f) => [f, f]) : g.manifest.chapters.map((c) => [c.id, c.title]);
  const effectiveFolder = folders.some(([f]) => f === folder) ? folder : folders[0]?.[0] ?? '';
  const effectiveId = touched ? id : idFrom(title);
  const fullId = kind === 'invariant' ? `${effectiveFolder}-${effectiveId}` : effectiveId; // see templates.ts
  const taken = g.inputs.some((i) => i.id === fullId) || g.nodes.some((n) => n.id === fullId) || g.cases.some((c) => c.id === fullId);
  const valid = title.trim() !== '' && /^[a-z][a-z0-9_]*$/.test(effectiveId) && !taken;
  if (!open) return <button type="button" data-testid="new-item" onClick={() => setOpen(true)}>+ New…</button>;
  return (
    <div className="new-dialog" data-testid="new-dialog" role="dialog" aria-label="Add from a template">
      <label>Kind <select data-testid="new-kind" value={kind} onChange={(e) => setKind(e.target.value as TemplateKind)}>{KINDS.map(([k, l]) => <option key={k} value={k}>{l}</option>)}</select></label>
      <label>{kind === 'input' ? 'Group' : 'Chapter'} <select data-testid="new-chapter" value={effectiveFolder} onChange={(e) => setFolder(e.target.value)}>{folders.map(([f, l]) => <option key={f} value={f}>{l}</option>)}</select></label>
      <label>Title <input data-testid="new-title" value={title} placeholder={kind === 'case' ? 'A sentence a clinician can verify' : 'Title'} onChange={(e) => setTitle(e.target.value)} /></label>
      <label>Id <input data-testid="new-id" value={effectiveId} onChange={(e) => { setTouched(true); setId(e.target.value); }} /></label>
      {taken ? <span className="error-text small">“{fullId}” is taken.</span> : null}
      <button type="button" className="primary" data-testid="new-create" disabled={!valid}
        onClick={() => { const t = template(g, kind, effectiveFolder, title.trim(), effectiveId); onCreate(t.path, t.text); setOpen(false); setTitle(''); setTouched(false); }}>Create draft</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
    </div>
  );
}
