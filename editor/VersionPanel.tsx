// The Review view's "finish" panel: the manifest's version as a field (with the bump the change
// requires offered as one click), the CHANGELOG entry drafted from the review diff and edited in
// place, and one "Save all drafts" that sends every draft as one finishing save (Finish.tsx).
import { formatDocument } from '../engine/authoring/index.ts';
import { formatChangelog, parseVersion, suggestVersion, type GuidelineDiff } from '../engine/review/index.ts';
import type { Draft } from './drafts.ts';
import type { SavedFile } from './model.ts';

export const CHANGELOG = 'CHANGELOG.md';

/** Where a new entry goes: before the first "## [" heading (newest first), else at the end. */
function insertAt(text: string): number {
  const m = /^## \[/m.exec(text);
  return m ? m.index : text.length;
}

/** The entry part of a drafted CHANGELOG (what was inserted into the saved text), or undefined. */
function entryOf(saved: string, draft: string): string | undefined {
  const at = insertAt(saved);
  const tailLen = saved.length - at;
  if (draft.length < saved.length || draft.slice(0, at) !== saved.slice(0, at) || draft.slice(draft.length - tailLen) !== saved.slice(at)) return undefined;
  return draft.slice(at, draft.length - tailLen);
}

export function VersionPanel({ d, saved, drafts, onEdit, onSaveAll }: {
  d: GuidelineDiff; saved: Map<string, SavedFile>; drafts: Map<string, Draft>;
  onEdit: (path: string, text: string) => void; onSaveAll: () => void;
}) {
  const b = d.bump;
  const manifestText = drafts.get('manifest.json')?.text ?? saved.get('manifest.json')?.text ?? '{}';
  let manifest: Record<string, unknown> = {};
  try { manifest = JSON.parse(manifestText); } catch { /* shown as a problem by the review */ }
  const version = typeof manifest.version === 'string' ? manifest.version : '';
  const setVersion = (v: string) => onEdit('manifest.json', formatDocument({ ...manifest, version: v }));
  const needed = suggestVersion(b.base, b.required);
  const valid = parseVersion(version) !== undefined && parseVersion(version) !== null;

  const savedLog = saved.get(CHANGELOG)?.text;
  const draftLog = drafts.get(CHANGELOG)?.text;
  const entry = savedLog !== undefined && draftLog !== undefined ? entryOf(savedLog, draftLog) : undefined;
  const setEntry = (text: string) => {
    if (savedLog === undefined) return;
    const at = insertAt(savedLog);
    const body = text.replace(/\n*$/, '\n\n');
    onEdit(CHANGELOG, savedLog.slice(0, at) + body + savedLog.slice(at));
  };
  const draftEntry = () => {
    const date = new Date().toISOString().slice(0, 10);
    setEntry(formatChangelog(d, date).split('\n').filter((l) => !l.startsWith('<!-- Draft by')).join('\n').replace(/\n{3,}/g, '\n\n'));
  };

  return (
    <section className="rv-finish" data-testid="review-finish">
      <h3 className="rv-h">Finish the change</h3>
      <div className="rv-finish-row">
        <label htmlFor="manifest-version"><b>Version in the manifest</b></label>
        <input id="manifest-version" data-testid="manifest-version" value={version} spellCheck={false} aria-invalid={!valid}
          onChange={(e) => setVersion(e.target.value.trim())} />
        {b.required !== 'none' && !b.satisfied && valid ? (
          <button data-testid="apply-bump" onClick={() => setVersion(needed)}>Use {needed} ({b.required} change{b.base.startsWith('0.') && b.required !== 'patch' ? `, below 1.0.0 a ${b.required === 'major' ? 'minor' : 'patch'} bump` : ''})</button>
        ) : null}
        {!valid ? <span className="error-text small">Not a version (major.minor.patch, e.g. {needed}).</span> : b.satisfied ? <span className="small">✓ {version} covers the change.</span> : <span className="error-text small">{b.required} change: {needed} or later is required.</span>}
      </div>
      <div className="rv-finish-row column">
        <div><b>CHANGELOG entry</b> <span className="muted small">({CHANGELOG}, newest first; edit the wording, keep the ids)</span></div>
        {savedLog === undefined ? <p className="muted small">The guideline folder has no {CHANGELOG}.</p>
          : entry === undefined && draftLog !== undefined ? <p className="muted small">{CHANGELOG} has a draft edited elsewhere; it will be saved as it is.</p>
          : entry === undefined ? <button data-testid="draft-changelog" onClick={draftEntry}>Draft the entry for {version || needed} from this review</button>
          : <textarea data-testid="changelog-entry" aria-label="CHANGELOG entry" rows={Math.min(18, entry.split('\n').length + 1)} value={entry} onChange={(e) => setEntry(e.target.value)} />}
      </div>
      <div className="buttons">
        <button className="primary" data-testid="save-all" disabled={!drafts.size} onClick={onSaveAll}>Save all {drafts.size} draft{drafts.size === 1 ? '' : 's'} (Ctrl+S)</button>
        <span className="muted small">One save: it is refused if a regression case would fail; cases the change moves are shown for you to accept one by one.</span>
      </div>
    </section>
  );
}
