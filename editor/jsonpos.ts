// Where each JSON pointer sits in a JSON text: a small scanner (no dependencies) so that the
// checker's findings, which carry JSON pointers, become editor markers at the right place.
export interface Span { start: number; end: number; keyStart?: number; keyEnd?: number }

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Map every pointer of the document to the span of its value (and of its key, for members). Tolerates a broken tail. */
export function pointerSpans(text: string): Map<string, Span> {
  const spans = new Map<string, Span>();
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    try { return JSON.parse(text.slice(start, i)); } catch { return text.slice(start + 1, i - 1); }
  };
  const value = (ptr: string, key?: { start: number; end: number }): void => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++; ws();
      while (i < text.length && text[i] !== '}') {
        if (text[i] !== '"') throw new Error('key expected');
        const ks = i;
        const k = str();
        const ke = i;
        ws();
        if (text[i] !== ':') throw new Error(': expected');
        i++;
        value(`${ptr}/${esc(k)}`, { start: ks, end: ke });
        ws();
        if (text[i] === ',') { i++; ws(); } else if (text[i] !== '}') throw new Error(', expected');
      }
      i++;
    } else if (c === '[') {
      i++; ws();
      let n = 0;
      while (i < text.length && text[i] !== ']') {
        value(`${ptr}/${n++}`);
        ws();
        if (text[i] === ',') { i++; ws(); } else if (text[i] !== ']') throw new Error(', expected');
      }
      i++;
    } else if (c === '"') {
      str();
    } else {
      const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
      if (!m) throw new Error('value expected');
      i += m[0].length;
    }
    spans.set(ptr, { start, end: i, ...(key ? { keyStart: key.start, keyEnd: key.end } : {}) });
  };
  try { value(''); } catch { /* partial map */ }
  return spans;
}

/** The span a finding should underline: the value at the pointer, else its nearest existing parent. */
export function spanFor(spans: Map<string, Span>, pointer: string, text: string): Span {
  let p = pointer;
  while (p) {
    const s = spans.get(p);
    if (s) {
      // A whole object or array is too much to underline: mark its key (or its first line).
      if (text[s.start] === '{' || text[s.start] === '[') {
        if (s.keyStart !== undefined) return { start: s.keyStart, end: s.keyEnd! };
        const nl = text.indexOf('\n', s.start);
        return { start: s.start, end: nl > s.start ? nl : s.start + 1 };
      }
      return s;
    }
    p = p.slice(0, p.lastIndexOf('/'));
  }
  return { start: 0, end: Math.min(1, text.length) };
}
