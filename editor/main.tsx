import './monaco-setup.ts';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { getSession, type Session } from './api.ts';
import { App } from './App.tsx';
import { Login } from './Committee.tsx';
import './styles.css';

/** On the shared server, members log in first; the local editor opens straight away. */
function Gate() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState('');
  useEffect(() => { getSession().then(setSession, (e) => setError(String((e as Error).message ?? e))); }, []);
  if (error) return <div className="fatal">Cannot reach the server ({error}). Start it with npm start; drafts stay in this browser.</div>;
  if (!session) return <div className="fatal">Loading…</div>;
  if (session.mode === 'shared' && !session.user) return <Login onDone={setSession} />;
  return <App session={session} />;
}

createRoot(document.getElementById('root')!).render(<Gate />);
