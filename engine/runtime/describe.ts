// Conditions in words, for people who do not read JSON-Logic: "Child-Pugh class is A and
// ECOG performance status ≤ 1". Names come from the data dictionary; units are shown.
import { isLogicObject, operands } from './logic.ts';
import type { Guideline, GuidelineNode, JsonValue, Logic } from './types.ts';

/** How a node is named to people: "Systemic therapies [Second-line therapies] 4", "Practice point: ...". */
export function nodeLabel(n: GuidelineNode): string {
  if (n.kind === 'recommendation') return `${n.topic}${n.subgroup ? ` [${n.subgroup}]` : ''} ${n.number}`;
  if (n.kind === 'practice-point') return `Practice point: ${n.title}`;
  return n.title;
}

export interface Vocabulary {
  title(name: string): string;
  unit(name: string): string | undefined;
  valueLabel(name: string, value: string): string;
}

export function vocabularyOf(g: Guideline): Vocabulary {
  const items = new Map<string, { title: string; unit?: string; values?: { value: string; label: string }[] }>();
  for (const i of g.inputs) items.set(i.id, i);
  for (const n of g.nodes) if (n.kind === 'definition') items.set(n.id, n);
  return {
    title: (name) => items.get(name)?.title ?? name,
    unit: (name) => {
      const u = items.get(name)?.unit;
      return u === 'points' ? undefined : u;
    },
    valueLabel: (name, value) => {
      const label = items.get(name)?.values?.find((v) => v.value === value)?.label;
      return label && label.length <= 40 ? label : value;
    },
  };
}

const SYMBOL: Record<string, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': 'is', '===': 'is', '!=': 'is not', '!==': 'is not' };

/** Render an expression as a sentence fragment. */
export function describe(logic: Logic, vocab: Vocabulary): string {
  return d(logic, vocab, false);
}

/** "Portal hypertension" → "portal hypertension", but keep acronyms (HBsAg, ECOG, mUICC). */
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

function varName(l: JsonValue): string | undefined {
  if (isLogicObject(l) && 'var' in l) {
    const p = operands(l.var)[0];
    return typeof p === 'string' ? p : undefined;
  }
  return undefined;
}

function literal(v: JsonValue, vocab: Vocabulary, name?: string): string {
  if (typeof v === 'string') return name ? vocab.valueLabel(name, v) : `"${v}"`;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return name && vocab.unit(name) ? `${v} ${vocab.unit(name)}` : String(v);
  return JSON.stringify(v);
}

function d(l: JsonValue, vocab: Vocabulary, nested: boolean): string {
  if (!isLogicObject(l)) return Array.isArray(l) ? l.map((x) => d(x, vocab, true)).join(', ') : literal(l, vocab);
  const op = Object.keys(l)[0];
  const args = operands(l[op]);
  const wrap = (s: string) => (nested ? `(${s})` : s);
  switch (op) {
    case 'var': {
      const name = varName(l);
      return name ? vocab.title(name) : 'the value';
    }
    case 'and':
    case 'or':
      return wrap(args.map((a) => d(a, vocab, true)).join(` ${op} `));
    case '!': {
      const name = varName(args[0]);
      return name ? `not ${lowerFirst(vocab.title(name))}` : `not ${d(args[0], vocab, true)}`;
    }
    case '!!':
      return d(args[0], vocab, nested);
    case 'if':
    case '?:': {
      const parts: string[] = [];
      for (let i = 0; i + 1 < args.length; i += 2) parts.push(`${i ? 'else if' : 'if'} ${d(args[i], vocab, true)} then ${d(args[i + 1], vocab, true)}`);
      if (args.length % 2 === 1) parts.push(`otherwise ${d(args[args.length - 1], vocab, true)}`);
      return wrap(parts.join(', '));
    }
    case '<': case '<=': case '>': case '>=': case '==': case '===': case '!=': case '!==': {
      if (args.length === 3 && (op === '<' || op === '<=')) {
        const name = varName(args[1]);
        return `${d(args[1], vocab, true)} between ${literal(args[0], vocab, name)} and ${literal(args[2], vocab, name)}${op === '<=' ? ' (inclusive)' : ' (exclusive)'}`;
      }
      const [a, b] = args;
      const nameA = varName(a);
      const nameB = varName(b);
      const left = nameA ? vocab.title(nameA) : d(a, vocab, true);
      const right = nameB ? vocab.title(nameB) : literal(b, vocab, nameA);
      return `${left} ${SYMBOL[op]} ${right}`;
    }
    case 'in': {
      const name = varName(args[0]);
      if (name && Array.isArray(args[1])) return `${vocab.title(name)} is one of ${args[1].map((x) => literal(x, vocab, name)).join(', ')}`;
      return `${d(args[0], vocab, true)} is in ${d(args[1], vocab, true)}`;
    }
    case '+': case '-': case '*': case '/': case '%':
      return wrap(args.map((a) => d(a, vocab, true)).join(` ${op} `));
    case 'min': case 'max':
      return `${op === 'min' ? 'smallest' : 'largest'} of ${args.map((a) => d(a, vocab, true)).join(', ')}`;
    case 'some': case 'all': case 'none': {
      const list = varName(args[0]);
      const what = list ? vocab.title(list) : d(args[0], vocab, true);
      const q = op === 'some' ? 'at least one' : op === 'all' ? 'every' : 'no';
      return `${q} item of ${what} with ${d(args[1], vocab, true)}`;
    }
    case 'filter':
      return `items of ${d(args[0], vocab, true)} with ${d(args[1], vocab, true)}`;
    case 'map':
      return `${d(args[1], vocab, true)} of each item of ${d(args[0], vocab, true)}`;
    case 'reduce':
      return `${d(args[1], vocab, true)} accumulated over ${d(args[0], vocab, true)}`;
    case 'missing': case 'missing_some':
      return `which of ${args.map((a) => d(a, vocab, true)).join(', ')} are missing`;
    case 'cat':
      return args.map((a) => d(a, vocab, true)).join(' + ');
    default:
      return `${op}(${args.map((a) => d(a, vocab, true)).join(', ')})`;
  }
}
