// The guideline's contents: chapters with their recommendations (number, grade badges,
// interpretation flags), practice points, definitions and tables; patient facts; cases. Search by
// text, id or grade.
import { useState } from 'react';
import type { Guideline, GuidelineNode } from '../engine/runtime/index.ts';
import { isRule } from './model.ts';
import { Grade } from './Readable.tsx';

function nodeText(n: GuidelineNode): string {
  const parts = [n.id, n.title ?? '', n.description ?? ''];
  if (n.kind === 'recommendation') parts.push(`${n.topic} ${n.number}`, n.statement);
  if (n.kind === 'practice-point') parts.push(n.statement);
  if (isRule(n)) for (const c of n.clauses) parts.push(c.text, c.action.label);
  return parts.join(' ').toLowerCase();
}

function grades(n: GuidelineNode): string[] {
  return isRule(n) ? [...new Set(n.clauses.map((c) => c.grade ?? ''))].filter(Boolean) : [];
}

/** Arrow keys move between the navigator's items (Tab reaches the list, Enter opens an item). */
function moveFocus(e: React.KeyboardEvent<HTMLDivElement>) {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
  const links = [...e.currentTarget.querySelectorAll<HTMLElement>('.nav-link, summary')].filter((el) => el.offsetParent !== null);
  const at = links.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  e.preventDefault();
  const next = e.key === 'Home' ? 0 : e.key === 'End' ? links.length - 1 : Math.max(0, Math.min(links.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
  links[next].focus();
  links[next].scrollIntoView({ block: 'nearest' });
}

export function Navigator({ g, selected, drafts, onOpen, onNewPatient }: {
  g: Guideline; selected: string | null; drafts: Set<string>; onOpen: (path: string) => void; onNewPatient: () => void;
}) {
  const [q, setQ] = useState('');
  const query = q.trim().toLowerCase();
  const isGrade = /^[a-d][12]?$/.test(query);
  const match = (n: GuidelineNode) => !query || (isGrade && query.length === 2 ? grades(n).some((x) => x.toLowerCase() === query) : isGrade ? grades(n).some((x) => x.toLowerCase().startsWith(query)) || nodeText(n).includes(query) : nodeText(n).includes(query));
  const pathOf = (kind: string, id: string) => g.origins[`${kind}:${id}`]?.file ?? '';
  const item = (path: string, content: React.ReactNode, key: string) => (
    <li key={key} className={`nav-item ${selected === path ? 'selected' : ''}`} data-path={path}>
      <a className="nav-link" href={`#/${path}`} aria-current={selected === path ? 'page' : undefined} onClick={(e) => { e.preventDefault(); onOpen(path); }}>
        {content}{drafts.has(path) ? <span className="draft-dot" title="unsaved draft" aria-label="unsaved draft">●</span> : null}
      </a>
    </li>
  );
  const chapterOf = (n: GuidelineNode) => g.origins[`node:${n.id}`]?.folder.split('/')[0];
  const nodeItem = (n: GuidelineNode) => item(pathOf('node', n.id), (
    <>
      <span className="nav-label">{n.kind === 'recommendation' ? <><b>{n.number}.</b> {n.statement}</> : n.title ?? n.id}</span>
      <span className="nav-badges">{grades(n).map((x) => <Grade key={x} grade={x} />)}{n.interpretations?.length ? <span className="flag" title={`${n.interpretations.length} interpretation(s) made by the encoding`}>⚑</span> : null}</span>
    </>
  ), n.id);
  const inputGroups = new Map<string, typeof g.inputs>();
  for (const i of g.inputs) if (!query || `${i.id} ${i.title} ${i.description}`.toLowerCase().includes(query)) {
    const grp = g.origins[`input:${i.id}`]?.folder ?? '';
    inputGroups.set(grp, [...(inputGroups.get(grp) ?? []), i]);
  }
  const cases = g.cases.filter((c) => !query || `${c.id} ${c.title}`.toLowerCase().includes(query));
  return (
    <nav className="navigator">
      <input className="search" type="search" placeholder="Search text, id or grade (e.g. A1)" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search" />
      <div className="nav-scroll" onKeyDown={moveFocus}>
        {g.manifest.chapters.map((ch) => {
          const nodes = g.nodes.filter((n) => chapterOf(n) === ch.id && match(n));
          if (!nodes.length) return null;
          const recs = nodes.filter((n) => n.kind === 'recommendation').sort((a, b) => (a as { number: number }).number - (b as { number: number }).number);
          const pps = nodes.filter((n) => n.kind === 'practice-point');
          const defs = nodes.filter((n) => n.kind === 'definition' || n.kind === 'table');
          return (
            <details key={ch.id} open className="nav-chapter">
              <summary>{ch.title} <span className="muted small">{nodes.length}</span></summary>
              {recs.length ? <><div className="nav-sub">Recommendations</div><ul>{recs.map(nodeItem)}</ul></> : null}
              {pps.length ? <><div className="nav-sub">Practice points</div><ul>{pps.map(nodeItem)}</ul></> : null}
              {defs.length ? <><div className="nav-sub">Definitions</div><ul>{defs.map(nodeItem)}</ul></> : null}
            </details>
          );
        })}
        {inputGroups.size ? (
          <details className="nav-chapter" open={!!query}>
            <summary>Patient facts <span className="muted small">{[...inputGroups.values()].flat().length}</span></summary>
            {[...inputGroups].map(([grp, inputs]) => <div key={grp}><div className="nav-sub">{grp.replace(/-/g, ' ')}</div><ul>{inputs.map((i) => item(pathOf('input', i.id), <span className="nav-label">{i.title}{i.unit ? <span className="muted"> ({i.unit})</span> : null}</span>, i.id))}</ul></div>)}
          </details>
        ) : null}
        <details className="nav-chapter" open={!!query}>
          <summary>Regression cases <span className="muted small">{cases.length}</span></summary>
          <div className="nav-sub"><button className="link" onClick={onNewPatient}>+ Try a new patient</button></div>
          {g.manifest.chapters.map((ch) => {
            const list = cases.filter((c) => g.origins[`case:${c.id}`]?.folder.split('/')[0] === ch.id);
            if (!list.length) return null;
            return <div key={ch.id}><div className="nav-sub">{ch.title}</div><ul>{list.map((c) => item(pathOf('case', c.id), <span className="nav-label">{c.title}</span>, c.id))}</ul></div>;
          })}
        </details>
      </div>
    </nav>
  );
}
