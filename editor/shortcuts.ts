// Keyboard shortcuts of the editor: Ctrl+S (Cmd+S) saves the open draft, or every draft from the
// Review view. Listened for in the capture phase, so that it works inside Monaco too, and the
// browser's "save page" never opens.
import { useEffect, useRef } from 'react';

export function useSaveShortcut(onSave: () => void): void {
  const latest = useRef(onSave);
  latest.current = onSave;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 's' || e.key === 'S')) {
        e.preventDefault();
        e.stopPropagation();
        latest.current();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}
