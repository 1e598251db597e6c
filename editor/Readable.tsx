// The node in plain words: statement, clauses with grade and condition, citations, interpretations.
import { describe, formatCitation, vocabularyOf, type Citation, type Guideline, type Interpretation } from '../engine/runtime/index.ts';
import { inputRange } from './model.ts';

const ACTION_WORDS: Record<string, string> = { recommend: 'Recommended', consider: 'May be considered', 'not-recommended': 'Not recommended', information: 'Information' };
const CATEGORY_WORDS: Record<string, string> = {
  'undefined-term': 'Term the guideline leaves undefined', 'source-discrepancy': 'The source contradicts itself', 'missing-source': 'Source material missing',
  'text-repair': 'Text repaired', scope: 'Scope decision', judgement: 'Encoder’s judgement',
};

export function Grade({ grade }: { grade: string | null }) {
  if (!grade) return <span className="grade ungraded" title="ungraded">ungraded</span>;
  return <span className={`grade ev-${grade[0]}`} title={`evidence ${grade[0]}, strength ${grade[1] === '1' ? 'strong' : 'weak'}`}>{grade}</span>;
}

function Citations({ citations }: { citations?: Citation[] }) {
  if (!citations?.length) return null;
  return (
    <section>
      <h4>Source in the guideline</h4>
      <ul className="citations">
        {citations.map((c, i) => (
          <li key={i}>{formatCitation(c)}{c.quote ? <blockquote>{c.quote}</blockquote> : null}</li>
        ))}
      </ul>
    </section>
  );
}

function Interpretations({ items }: { items?: Interpretation[] }) {
  if (!items?.length) return null;
  return (
    <section>
      <h4>Interpretations made by the encoding <span className="flag">⚑ {items.length}</span></h4>
      {items.map((x, i) => (
        <div key={i} className="interpretation">
          <div className="muted">{CATEGORY_WORDS[x.category] ?? x.category}{x.about ? `: “${x.about}”` : ''}</div>
          <div>{x.text}</div>
          <div className="muted small">Why: {x.reason}</div>
        </div>
      ))}
    </section>
  );
}

export function Readable({ doc, g }: { doc: Record<string, unknown>; g: Guideline }) {
  const vocab = vocabularyOf(g);
  const words = (l: unknown) => { try { return describe(l as never, vocab); } catch { return '(cannot be put in words)'; } };
  const kind = doc.kind as string | undefined;
  if (kind === 'recommendation' || kind === 'practice-point') {
    const clauses = (doc.clauses as { id: string; text: string; grade: string | null; when: unknown; action: { type: string; label: string } }[]) ?? [];
    return (
      <div className="readable">
        <div className="eyebrow">{kind === 'recommendation' ? `Recommendation · ${String(doc.topic)}${doc.subgroup ? ` (${String(doc.subgroup)})` : ''} ${String(doc.number)}` : 'Practice point (ungraded rule from the text)'}</div>
        {doc.title ? <h3>{String(doc.title)}</h3> : null}
        <p className="statement">“{String(doc.statement ?? '')}”</p>
        {clauses.map((c, i) => (
          <div className="clause" key={i}>
            <div className="clause-head"><Grade grade={c.grade} /> <b>{ACTION_WORDS[c.action?.type] ?? c.action?.type}:</b> {c.action?.label} {clauses.length > 1 ? <span className="muted">(clause {c.id})</span> : null}</div>
            <div className="clause-text">{c.text}</div>
            <div className="when"><span className="muted">Applies when</span> {words(c.when)}</div>
          </div>
        ))}
        {doc.applicability ? <p className="muted">Applicability: {String(doc.applicability)}</p> : null}
        <Citations citations={doc.citations as Citation[]} />
        <Interpretations items={doc.interpretations as Interpretation[]} />
      </div>
    );
  }
  if (kind === 'definition') {
    const values = doc.values as { value: string; label: string }[] | undefined;
    return (
      <div className="readable">
        <div className="eyebrow">Derived value{doc.public ? ' · shown to users' : ''} · {String(doc.type)}{doc.unit ? ` in ${String(doc.unit)}` : ''}</div>
        <h3>{String(doc.title ?? doc.id)}</h3>
        {doc.description ? <p>{String(doc.description)}</p> : null}
        <div className="when"><span className="muted">Computed as</span> {words(doc.expr)}</div>
        {values ? <ul className="values">{values.map((v) => <li key={v.value}><code>{v.value}</code> {v.label}</li>)}</ul> : null}
        <Citations citations={doc.citations as Citation[]} />
        <Interpretations items={doc.interpretations as Interpretation[]} />
      </div>
    );
  }
  if (kind === 'input') {
    return (
      <div className="readable">
        <div className="eyebrow">Patient fact</div>
        <h3>{String(doc.title ?? doc.id)}</h3>
        <p>{String(doc.description ?? '')}</p>
        <p><span className="muted">Expected:</span> {inputRange(doc as never)}</p>
        {doc.hint ? <p className="muted">{String(doc.hint)}</p> : null}
        <Citations citations={doc.citations as Citation[]} />
        <Interpretations items={doc.interpretations as Interpretation[]} />
      </div>
    );
  }
  if (kind === 'table') {
    return (
      <div className="readable">
        <div className="eyebrow">Table</div>
        <h3>{String(doc.title ?? doc.id)}</h3>
        <table className="data"><thead><tr>{(doc.columns as string[] ?? []).map((c) => <th key={c}>{c}</th>)}</tr></thead>
          <tbody>{(doc.rows as unknown[][] ?? []).map((r, i) => <tr key={i}>{r.map((x, j) => <td key={j}>{x === null ? '' : String(x)}</td>)}</tr>)}</tbody></table>
        <Citations citations={doc.citations as Citation[]} />
      </div>
    );
  }
  return <div className="readable"><p className="muted">This document cannot be shown in words.</p></div>;
}
