// Drafts live in localStorage, so they survive a reload, a closed tab and a stopped server.
export interface Draft { text: string; baseVersion: string | null; savedAt: number }

const PREFIX = 'guideline-editor:draft:';

export function loadDrafts(guidelineId: string): Map<string, Draft> {
  const out = new Map<string, Draft>();
  const prefix = `${PREFIX}${guidelineId}:`;
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i)!;
    if (!k.startsWith(prefix)) continue;
    try { out.set(k.slice(prefix.length), JSON.parse(localStorage.getItem(k)!)); } catch { /* ignore broken entry */ }
  }
  return out;
}

export function storeDraft(guidelineId: string, path: string, d: Draft | undefined): void {
  const k = `${PREFIX}${guidelineId}:${path}`;
  try {
    if (d) localStorage.setItem(k, JSON.stringify(d)); else localStorage.removeItem(k);
  } catch { /* storage full or disabled: the draft stays in memory */ }
}
