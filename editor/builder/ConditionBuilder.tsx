// The condition builder: a JSON-Logic expression as a form over the data dictionary. Fact pickers
// (title, unit, plausible range), comparison, threshold number fields, enum pickers, and / or / not
// groups, definitions by name, if-branches with their values. What it cannot represent is shown
// read-only with "Edit in JSON" and is never rewritten.
//
// Selectors for tests: data-testid="condition-builder" on each builder's root (data-pointer: the
// expression's pointer); a threshold field is data-testid={thresholdTestId(pointer)} (the constant's
// JSON pointer, "/" replaced by "~", e.g. "threshold-~expr~if~0~>~1"), aria-label "<fact title>
// threshold (<unit>)"; an if-branch's value is data-testid="value-<pointer, / as ~>"; a part the
// form cannot edit is data-testid="unsupported" (read-only text, button "Edit in JSON").
import { useEffect, useState } from 'react';
import type { JsonValue, Logic } from '../../engine/runtime/index.ts';
import { pointerSpans } from '../jsonpos.ts';
import { modelFor } from '../JsonEditor.tsx';
import { monaco } from '../monaco-setup.ts';
import { child, COMPARE_OPS, conditionOn, OP_WORDS, rangeText, shapeOf, thresholdTestId, valueFor, type Dict, type Entry } from './logic.ts';

/** Select the JSON at a pointer in the document's Monaco editor (the "Edit in JSON" button). */
export function revealInJson(path: string, pointer: string): void {
  const model = modelFor(path);
  const ed = window.__editor;
  if (!model || !ed) return;
  const s = pointerSpans(model.getValue()).get(pointer);
  if (!s) { ed.focus(); return; }
  const a = model.getPositionAt(s.start);
  const b = model.getPositionAt(s.end);
  const range = new monaco.Range(a.lineNumber, a.column, b.lineNumber, b.column);
  ed.setSelection(range);
  ed.revealRangeInCenter(range);
  ed.focus();
}

interface Props {
  logic: Logic;
  pointer: string;
  dict: Dict;
  path: string;
  onChange: (l: JsonValue) => void;
  /** the unit of a value in value position (a definition's result) */
  unit?: string;
}

export function ConditionBuilder(props: Props) {
  return (
    <div className="cb" data-testid="condition-builder" data-pointer={props.pointer}>
      <Expr {...props} />
    </div>
  );
}

export function NumberField({ value, onChange, label, testId, min, max }: { value: number; onChange: (n: number) => void; label: string; testId: string; min?: number; max?: number }) {
  const [text, setText] = useState(String(value));
  useEffect(() => { if (Number(text) !== value || text.trim() === '') setText(String(value)); }, [value]); // eslint-disable-line react-hooks/exhaustive-deps
  const n = Number(text);
  const bad = text.trim() === '' || !Number.isFinite(n);
  const outside = !bad && ((min !== undefined && n < min) || (max !== undefined && n > max));
  return (
    <span className="cb-number">
      <input type="text" inputMode="decimal" aria-label={label} data-testid={testId} value={text} className={bad || outside ? 'invalid' : ''}
        onChange={(e) => { setText(e.target.value); const v = Number(e.target.value); if (e.target.value.trim() !== '' && Number.isFinite(v)) onChange(v); }} />
      {bad ? <span className="error-text small"> a number</span> : outside ? <span className="error-text small"> outside the plausible range {min ?? '…'}–{max ?? '…'}</span> : null}
    </span>
  );
}

function entryLabel(e: Entry): string {
  const r = rangeText(e);
  return `${e.title}${r ? ` (${r})` : ''}`;
}

export function NamePicker({ dict, value, onChange, label }: { dict: Dict; value: string; onChange: (name: string) => void; label: string }) {
  const all = [...dict.values()].filter((e) => e.type !== 'list');
  const facts = all.filter((e) => e.kind === 'fact').sort((a, b) => a.title.localeCompare(b.title));
  const defs = all.filter((e) => e.kind === 'definition').sort((a, b) => a.title.localeCompare(b.title));
  const e = dict.get(value);
  return (
    <select className="cb-name" aria-label={label} value={value} onChange={(ev) => onChange(ev.target.value)} title={e ? `${e.id}: ${entryLabel(e)}` : value}>
      <optgroup label="Patient facts">{facts.map((x) => <option key={x.id} value={x.id}>{entryLabel(x)}</option>)}</optgroup>
      <optgroup label="Derived values (definitions)">{defs.map((x) => <option key={x.id} value={x.id}>{entryLabel(x)}</option>)}</optgroup>
    </select>
  );
}

function Unsupported({ logic, pointer, path }: { logic: Logic; pointer: string; path: string }) {
  return (
    <div className="cb-unsupported" data-testid="unsupported" data-pointer={pointer}>
      <div className="muted small">The form cannot edit this part; it is kept exactly as written.</div>
      <textarea readOnly aria-label="Expression the form cannot edit (read only)" value={JSON.stringify(logic)} rows={Math.min(6, 1 + Math.ceil(JSON.stringify(logic).length / 60))} />
      <button type="button" className="link" onClick={() => revealInJson(path, pointer)}>Edit in JSON</button>
    </div>
  );
}

function Expr({ logic, pointer, dict, path, onChange, unit }: Props) {
  const shape = shapeOf(logic, dict);
  const firstBoolean = [...dict.values()].find((e) => e.type === 'boolean');
  const sub = (l: Logic, p: string, set: (x: JsonValue) => void, u?: string) => <Expr logic={l} pointer={p} dict={dict} path={path} onChange={set} unit={u} />;
  switch (shape.kind) {
    case 'group': {
      const { op, args } = shape;
      const setArg = (i: number, x: JsonValue | undefined) => {
        const next = [...args];
        if (x === undefined) next.splice(i, 1); else next[i] = x;
        onChange({ [op]: next });
      };
      return (
        <div className={`cb-group cb-${op}`} data-pointer={pointer}>
          <div className="cb-row">
            <select aria-label="Combine the conditions" value={op} onChange={(e) => onChange({ [e.target.value]: args })}>
              <option value="and">all of these (and)</option>
              <option value="or">any of these (or)</option>
            </select>
          </div>
          <ol className="cb-items">
            {args.map((a, i) => {
              const s = shapeOf(a, dict);
              return (
                <li key={i}>
                  {sub(a, child(pointer, op, i), (x) => setArg(i, x))}
                  <span className="cb-tools">
                    <button type="button" className="link" title="negate" aria-label={`Negate condition ${i + 1}`} onClick={() => setArg(i, s.kind === 'not' ? s.inner : { '!': a })}>{s.kind === 'not' ? 'remove not' : 'not'}</button>
                    {args.length > 1 ? <button type="button" className="link" aria-label={`Remove condition ${i + 1}`} onClick={() => setArg(i, undefined)}>remove</button> : null}
                  </span>
                </li>
              );
            })}
          </ol>
          {firstBoolean ? (
            <div className="cb-row">
              <button type="button" onClick={() => onChange({ [op]: [...args, conditionOn(firstBoolean)] })}>+ condition</button>
              <button type="button" onClick={() => onChange({ [op]: [...args, { [op === 'and' ? 'or' : 'and']: [conditionOn(firstBoolean)] }] })}>+ {op === 'and' ? 'any-of' : 'all-of'} group</button>
            </div>
          ) : null}
        </div>
      );
    }
    case 'not':
      return (
        <div className="cb-not" data-pointer={pointer}>
          <span className="cb-kw">not</span>
          {sub(shape.inner, `${pointer}/${shape.key}`, (x) => onChange(shape.key === '!' ? { '!': x } : { '!': [x] }))}
        </div>
      );
    case 'fact':
      return (
        <div className="cb-row cb-fact" data-pointer={pointer}>
          <NamePicker dict={dict} value={shape.name} label="Fact or derived value" onChange={(n) => onChange({ var: n })} />
          {dict.get(shape.name)?.type === 'boolean' ? <span className="muted"> is yes</span> : null}
        </div>
      );
    case 'compare': {
      const { op, name, varIndex, value } = shape;
      const e = dict.get(name)!;
      const args = (logic as { [k: string]: JsonValue[] })[op];
      const put = (o: string, n: string, v: JsonValue) => onChange({ [o]: varIndex === 0 ? [{ var: n }, v] : [v, { var: n }] });
      const vp = child(pointer, op, varIndex === 0 ? 1 : 0);
      const flipped = varIndex === 1;
      return (
        <div className="cb-row cb-compare" data-pointer={pointer}>
          {flipped ? <ValueField e={e} value={value} pointer={vp} onChange={(v) => put(op, name, v)} /> : null}
          <NamePicker dict={dict} value={name} label="Fact or derived value" onChange={(n) => { const ne = dict.get(n)!; put(op, n, valueFor(ne, value)); }} />
          <select aria-label={`Comparison for ${e.title}`} value={op} onChange={(ev) => onChange({ [ev.target.value]: args })}>
            {COMPARE_OPS.map((o) => <option key={o} value={o}>{OP_WORDS[o]}</option>)}
          </select>
          {flipped ? <span className="muted small">(the value comes first)</span> : <ValueField e={e} value={value} pointer={vp} onChange={(v) => put(op, name, v)} />}
        </div>
      );
    }
    case 'between': {
      const { op, name, low, high } = shape;
      const e = dict.get(name)!;
      const put = (n: string, lo: number, hi: number) => onChange({ [op]: [lo, { var: n }, hi] });
      return (
        <div className="cb-row cb-between" data-pointer={pointer}>
          <NumberField value={low} label={`${e.title} lower threshold${e.unit ? ` (${e.unit})` : ''}`} testId={thresholdTestId(child(pointer, op, 0))} min={e.minimum} max={e.maximum} onChange={(v) => put(name, v, high)} />
          <span className="cb-kw">{op === '<' ? '<' : '≤'}</span>
          <NamePicker dict={dict} value={name} label="Fact or derived value" onChange={(n) => put(n, low, high)} />
          <span className="cb-kw">{op === '<' ? '<' : '≤'}</span>
          <NumberField value={high} label={`${e.title} upper threshold${e.unit ? ` (${e.unit})` : ''}`} testId={thresholdTestId(child(pointer, op, 2))} min={e.minimum} max={e.maximum} onChange={(v) => put(name, low, v)} />
        </div>
      );
    }
    case 'in': {
      const { name, values } = shape;
      const e = dict.get(name)!;
      const choices = e.values ?? values.map((v) => ({ value: v, label: v }));
      const known = new Set(choices.map((c) => c.value));
      return (
        <div className="cb-row cb-in" data-pointer={pointer}>
          <NamePicker dict={dict} value={name} label="Fact or derived value" onChange={(n) => onChange(dict.get(n)?.type === 'enum' ? { in: [{ var: n }, values] } : conditionOn(dict.get(n)!))} />
          <span className="muted"> is one of </span>
          <span className="cb-choices" role="group" aria-label={`Values of ${e.title}`}>
            {[...choices, ...values.filter((v) => !known.has(v)).map((v) => ({ value: v, label: `${v} (not a value of this fact)` }))].map((c) => (
              <label key={c.value} className="cb-choice">
                <input type="checkbox" checked={values.includes(c.value)}
                  onChange={(ev) => onChange({ in: [{ var: name }, ev.target.checked ? [...values, c.value] : values.filter((v) => v !== c.value)] })} />
                {c.label}
              </label>
            ))}
          </span>
        </div>
      );
    }
    case 'if': {
      const { args } = shape;
      const set = (i: number, x: JsonValue) => { const next = [...args]; next[i] = x; onChange({ if: next }); };
      const rows = [];
      for (let i = 0; i + 1 < args.length; i += 2) {
        rows.push(
          <div className="cb-branch" key={i}>
            <div className="cb-kw">{i === 0 ? 'if' : 'else if'}</div>
            {sub(args[i], child(pointer, 'if', i), (x) => set(i, x))}
            <div className="cb-kw">then</div>
            {sub(args[i + 1], child(pointer, 'if', i + 1), (x) => set(i + 1, x), unit)}
          </div>,
        );
      }
      return (
        <div className="cb-if" data-pointer={pointer}>
          {rows}
          <div className="cb-branch"><div className="cb-kw">otherwise</div>{sub(args[args.length - 1], child(pointer, 'if', args.length - 1), (x) => set(args.length - 1, x), unit)}</div>
        </div>
      );
    }
    case 'literal': {
      const v = shape.value;
      const testId = `value-${pointer.replace(/\//g, '~')}`;
      if (typeof v === 'number') return <NumberField value={v} label={`Result${unit ? ` (${unit})` : ''}`} testId={testId} onChange={onChange} />;
      if (typeof v === 'boolean') {
        return <select aria-label="Result" data-testid={testId} value={String(v)} onChange={(e) => onChange(e.target.value === 'true')}><option value="true">yes</option><option value="false">no</option></select>;
      }
      return <input type="text" aria-label="Result" data-testid={testId} value={v} onChange={(e) => onChange(e.target.value)} />;
    }
    default:
      return <Unsupported logic={logic} pointer={pointer} path={path} />;
  }
}

function ValueField({ e, value, pointer, onChange }: { e: Entry; value: string | number | boolean; pointer: string; onChange: (v: JsonValue) => void }) {
  if (e.type === 'number' && typeof value === 'number') {
    return <NumberField value={value} label={`${e.title} threshold${e.unit ? ` (${e.unit})` : ''}`} testId={thresholdTestId(pointer)} min={e.minimum} max={e.maximum} onChange={onChange} />;
  }
  if (e.type === 'enum' && typeof value === 'string') {
    const values = e.values ?? [];
    return (
      <select aria-label={`Value of ${e.title}`} data-testid={`enum-${pointer.replace(/\//g, '~')}`} value={value} onChange={(ev) => onChange(ev.target.value)}>
        {values.some((v) => v.value === value) ? null : <option value={value}>{value} (not a value of this fact)</option>}
        {values.map((v) => <option key={v.value} value={v.value}>{v.label.length > 70 ? `${v.label.slice(0, 68)}…` : v.label}</option>)}
      </select>
    );
  }
  if (typeof value === 'boolean') {
    return <select aria-label={`Value of ${e.title}`} value={String(value)} onChange={(ev) => onChange(ev.target.value === 'true')}><option value="true">yes</option><option value="false">no</option></select>;
  }
  if (typeof value === 'number') return <NumberField value={value} label={`${e.title} value`} testId={thresholdTestId(pointer)} onChange={onChange} />;
  return <input type="text" aria-label={`Value of ${e.title}`} value={value} onChange={(ev) => onChange(ev.target.value)} />;
}
