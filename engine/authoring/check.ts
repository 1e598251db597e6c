// The semantic checker: what a schema cannot see. References to unknown facts or definitions,
// cycles, duplicate ids, operators outside the allow-list, comparisons that cannot type-check
// against the dictionary (an enum against a number, a value outside the plausible range, two
// units), recommendations without a grade, unused inputs and definitions, and cases that name
// things that do not exist. Every finding names the file, the JSON pointer and the fix.
import { EngineError } from '../runtime/errors.ts';
import { validateFacts } from '../runtime/facts.ts';
import { collectVars, definitionOrder, expressionsOf } from '../runtime/graph.ts';
import { ALLOWED_OPERATORS, escapeSegment, FORBIDDEN_SEGMENTS, isLogicObject, OPERATOR_ARITY, operands, SCOPED_OPERATORS } from '../runtime/logic.ts';
import { didYouMean } from '../runtime/names.ts';
import { codingProblem } from '../runtime/codes.ts';
import { ucumProblem } from '../runtime/ucum.ts';
import { checkInterventionCodes, checkModel } from './check-model.ts';
import { checkStale } from './check-stale.ts';
import type { DefinitionNode, Field, Finding, Guideline, GuidelineNode, InputDef, JsonValue, Logic, RuleNode } from '../runtime/types.ts';

const ALLOWED = new Set(ALLOWED_OPERATORS);
const FORBIDDEN_OPERATORS: Record<string, string> = {
  log: 'it writes to the console and returns its argument; remove it',
  method: 'it calls arbitrary JavaScript methods; express the rule with allowed operators',
};

/**
 * The parse findings and the checker's, each problem once: several schema errors at one place
 * (a grade that is neither one of the grades nor null gives two) become one message, and a
 * reference to a document that exists but cannot be read (its own schema or JSON error is listed)
 * is not reported again in every case and rule that names it, with a wrong "did you mean".
 */
export function checkSource(parsed: { guideline: Guideline; findings: Finding[] }): Finding[] {
  const unreadable = new Set<string>();
  for (const f of parsed.findings) {
    if (f.severity !== 'error') continue;
    if (f.node) unreadable.add(f.node);
    else if (f.file && (f.code === 'invalid-json' || f.code === 'schema' || f.code === 'too-deep')) unreadable.add(f.file.split('/').pop()!.replace(/\.json$/, ''));
  }
  return [...collapseSchema(parsed.findings), ...check(parsed.guideline, { unreadable })];
}

/** Schema errors at the same file and pointer, joined: "must be one of [...] or null". */
function collapseSchema(findings: Finding[]): Finding[] {
  const out: Finding[] = [];
  const at = new Map<string, Finding>();
  for (const f of findings) {
    if (f.code !== 'schema') { out.push(f); continue; }
    const k = `${f.file ?? ''}\u0000${f.pointer}`;
    const first = at.get(k);
    if (!first) { const copy = { ...f }; at.set(k, copy); out.push(copy); continue; }
    if (first.message.includes(f.message)) continue;
    first.message = /^must be /.test(first.message) && /^must be /.test(f.message) ? `${first.message} or ${f.message.slice('must be '.length)}` : `${first.message}; or ${f.message}`;
  }
  return out;
}

export function check(g: Guideline, options: { unreadable?: ReadonlySet<string> } = {}): Finding[] {
  const findings: Finding[] = [];
  const unreadable = options.unreadable ?? new Set<string>();
  const fileOf = (kind: 'input' | 'node' | 'case', id: string) => g.origins[`${kind}:${id}`]?.file;
  const add = (f: Finding) => findings.push(f);

  // --- identity -----------------------------------------------------------------------------
  // parseSource keeps the first file of an id and reports the others; a guideline assembled
  // another way (a bundle, an editor draft) may still hold an id twice: report every holder.
  const holders = new Map<string, { kind: 'input' | 'node'; file?: string }[]>();
  for (const [kind, items] of [['input', g.inputs], ['node', g.nodes]] as const) {
    for (const item of items) {
      const list = holders.get(item.id) ?? [];
      list.push({ kind, file: fileOf(kind, item.id) });
      holders.set(item.id, list);
    }
  }
  for (const [id, list] of holders) {
    if (list.length < 2) continue;
    list.forEach((h, i) => {
      const others = list.filter((_, j) => j !== i).map((o) => o.file ?? `another ${o.kind}`);
      add({ code: 'duplicate-id', severity: 'error', file: h.file, pointer: '/id', node: id, message: `id "${id}" is also used by ${[...new Set(others)].join(', ')}; ids of inputs and nodes share one namespace. Rename one of them.` });
    });
  }
  const caseCount = new Map<string, number>();
  for (const c of g.cases) caseCount.set(c.id, (caseCount.get(c.id) ?? 0) + 1);
  for (const [id, n] of caseCount) {
    if (n > 1) add({ code: 'duplicate-id', severity: 'error', file: fileOf('case', id), pointer: '/id', node: id, message: `case id "${id}" is used ${n} times; rename all but one.` });
  }

  const chapters = new Map(g.manifest.chapters.map((c) => [c.id, c]));
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const tables = new Set(g.nodes.filter((n) => n.kind === 'table').map((n) => n.id));
  const valueNames = [...inputs.keys(), ...defs.keys()];

  // --- placement and numbering --------------------------------------------------------------
  for (const [kind, items] of [['node', g.nodes], ['case', g.cases]] as const) {
    for (const item of items) {
      const origin = g.origins[`${kind}:${item.id}`];
      const chapterId = origin?.folder.split('/')[0];
      if (origin && chapterId && !chapters.has(chapterId) && !(kind === 'node' && chapterId === 'invariants')) {
        add({ code: 'unknown-chapter', severity: 'error', file: origin.file, pointer: '', node: item.id, message: `folder "${chapterId}" is not a chapter of manifest.json.${didYouMean(chapterId, chapters.keys())} Move the file or add the chapter.` });
      }
    }
  }
  const numbers = new Map<string, string>();
  for (const r of rules) {
    const file = fileOf('node', r.id);
    const chapter = chapters.get(g.origins[`node:${r.id}`]?.folder.split('/')[0] ?? '');
    if (r.kind === 'recommendation') {
      if (chapter && chapter.topic !== r.topic) {
        add({ code: 'topic-mismatch', severity: 'error', file, pointer: '/topic', node: r.id, message: `topic "${r.topic}" does not match the chapter's Table 2 topic "${chapter.topic ?? '(none)'}". Fix the topic or move the file.` });
      }
      if (r.subgroup !== undefined && chapter && !(chapter.subgroups ?? []).includes(r.subgroup)) {
        add({ code: 'unknown-subgroup', severity: 'error', file, pointer: '/subgroup', node: r.id, message: `subgroup "${r.subgroup}" is not one of the chapter's subgroups (${(chapter.subgroups ?? []).join(', ') || 'none'}).` });
      }
      const key = `${r.topic}|${r.subgroup ?? ''}|${r.number}`;
      if (numbers.has(key)) add({ code: 'duplicate-number', severity: 'error', file, pointer: '/number', node: r.id, message: `${r.topic}${r.subgroup ? ` (${r.subgroup})` : ''} ${r.number} is also numbered by ${numbers.get(key)}.` });
      numbers.set(key, r.id);
      if (!r.clauses.some((c) => c.grade !== null)) {
        add({ code: 'missing-grade', severity: 'error', file, pointer: '/clauses', node: r.id, message: 'a recommendation needs at least one graded clause; set the grade the text prints (A1...D2).' });
      }
    }
    const clauseIds = new Set<string>();
    r.clauses.forEach((c, i) => {
      if (clauseIds.has(c.id)) add({ code: 'duplicate-id', severity: 'error', file, pointer: `/clauses/${i}/id`, node: r.id, message: `clause id "${c.id}" is used twice in ${r.id}.` });
      clauseIds.add(c.id);
    });
  }

  // --- interventions: one label per code ----------------------------------------------------
  const labels = new Map<string, { label: string; node: string }>();
  for (const r of rules) {
    r.clauses.forEach((c, i) => {
      const seen = labels.get(c.action.intervention);
      if (seen && seen.label !== c.action.label) {
        add({ code: 'intervention-label', severity: 'error', file: fileOf('node', r.id), pointer: `/clauses/${i}/action/label`, node: r.id, message: `intervention "${c.action.intervention}" is labelled "${seen.label}" in ${seen.node}; use the same label or a different code.` });
      } else if (!seen) labels.set(c.action.intervention, { label: c.action.label, node: r.id });
    });
  }

  // --- expressions --------------------------------------------------------------------------
  const used = new Set<string>();
  for (const node of g.nodes) {
    const file = fileOf('node', node.id);
    for (const e of expressionsOf(node)) {
      checkOperators(e.logic, e.pointer, (pointer, code, message) => add({ code, severity: 'error', file, pointer, node: node.id, message }));
      for (const ref of collectVars(e.logic, e.pointer)) {
        const report = (code: string, message: string, severity: 'error' | 'warning' = 'error') => add({ code, severity, file, pointer: ref.pointer, node: node.id, message });
        const segs = ref.path.split('.');
        if (segs.some((s) => FORBIDDEN_SEGMENTS.has(s))) { report('unsafe-path', `variable path "${ref.path}" reaches the object prototype and reads nothing; use a fact name.`); continue; }
        if (ref.scoped) { checkScopedRef(ref, inputs, report); continue; }
        const name = ref.path;
        if (segs.length > 1) { report('dotted-path', `"${name}": read facts and definitions by their plain id; dotted paths are only for list items inside some/all/none/map/filter/reduce.`); continue; }
        if (tables.has(name)) { report('not-a-value', `"${name}" is a table; tables are reference data and cannot be read by rules.`); continue; }
        if (!inputs.has(name) && !defs.has(name)) {
          if (unreadable.has(name)) continue; // its own file's error is the one to fix
          report('unknown-reference', `"${name}" is neither an input nor a definition.${didYouMean(name, valueNames)} Add it to inputs/ or fix the name.`);
          continue;
        }
        if (name === node.id) { report('self-reference', `"${name}" reads itself.`); continue; }
        used.add(name);
      }
      for (const p of varsWithDefault(e.logic, e.pointer)) {
        if (inputs.has(p.name)) add({ code: 'default-hides-missing', severity: 'warning', file, pointer: p.pointer, node: node.id, message: `the default of "${p.name}" turns a missing fact into a value, so the engine can no longer say it is unknown. Remove the default unless the guideline says so.` });
      }
      checkTypes(e.logic, e.pointer, { inputs, defs }, (pointer, code, message) => add({ code, severity: 'error', file, pointer, node: node.id, message }));
    }
    if (node.kind === 'definition') checkDefinitionType(node, { inputs, defs }, (pointer, code, message) => add({ code, severity: 'error', file, pointer, node: node.id, message }));
    checkPointers(node, file, add);
  }
  try {
    definitionOrder(g);
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    add({ code: 'cycle', severity: 'error', file: fileOf('node', e.node!), pointer: '/expr', node: e.node, message: e.message });
  }

  // --- populations, list-valued actions, invariants (check-model.ts) -------------------------
  checkModel(g, add, used);
  // --- prose that names a threshold or a grade the logic no longer has (check-stale.ts) ------
  checkStale(g, add);

  // --- codes and UCUM units of the dictionary ----------------------------------------------
  for (const i of g.inputs) {
    const file = fileOf('input', i.id);
    (i.codes ?? []).forEach((c, k) => {
      const problem = codingProblem(c);
      if (problem) add({ code: 'bad-code', severity: 'error', file, pointer: `/codes/${k}`, node: i.id, message: `${problem}. Take the code from the terminology's published table, or leave it out.` });
    });
    if (i.ucum !== undefined) {
      const problem = ucumProblem(i.ucum);
      if (problem) add({ code: 'bad-ucum', severity: 'error', file, pointer: '/ucum', node: i.id, message: `not a UCUM unit: ${problem}.` });
      else if (i.type !== 'number') add({ code: 'bad-ucum', severity: 'error', file, pointer: '/ucum', node: i.id, message: `a ${i.type} input has no unit: remove "ucum".` });
    }
  }

  // --- codes of the interventions (manifest.interventions) ----------------------------------
  checkInterventionCodes(g, add);

  // --- unused -------------------------------------------------------------------------------
  // Not while a document cannot be read: what only it reads would be reported unused, wrongly.
  if (!unreadable.size) for (const i of g.inputs) {
    if (!used.has(i.id)) add({ code: 'unused-input', severity: 'error', file: fileOf('input', i.id), pointer: '', node: i.id, message: `input "${i.id}" is read by no definition or rule: use it or delete it.` });
  }
  if (!unreadable.size) for (const d of defs.values()) {
    if (!used.has(d.id) && !d.public) add({ code: 'unused-definition', severity: 'error', file: fileOf('node', d.id), pointer: '', node: d.id, message: `definition "${d.id}" is read by nothing: use it, mark it "public": true if it is a result in itself, or delete it.` });
  }

  // --- cases --------------------------------------------------------------------------------
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  for (const c of g.cases) {
    const file = fileOf('case', c.id);
    try {
      validateFacts(g.inputs, c.facts);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      for (const p of e.problems) add({ code: 'case-facts', severity: 'error', file, pointer: `/facts/${escapeSegment(p.field.split(/[.[]/)[0])}`, node: c.id, message: p.message });
      if (!e.problems.length) add({ code: 'case-facts', severity: 'error', file, pointer: '/facts', node: c.id, message: e.message });
    }
    for (const section of ['values', 'undecided'] as const) {
      for (const id of Object.keys(c.expect[section] ?? {})) {
        if (!defs.has(id) && !unreadable.has(id)) add({ code: 'unknown-reference', severity: 'error', file, pointer: `/expect/${section}/${escapeSegment(id)}`, node: c.id, message: `"${id}" is not a definition.${didYouMean(id, defs.keys())}` });
      }
    }
    for (const section of ['outcomes', 'missing'] as const) {
      for (const key of Object.keys(c.expect[section] ?? {})) {
        const [ruleId, clauseId] = key.split('.');
        const rule = ruleById.get(ruleId);
        const pointer = `/expect/${section}/${escapeSegment(key)}`;
        if (!rule && unreadable.has(ruleId)) continue;
        if (!rule) add({ code: 'unknown-reference', severity: 'error', file, pointer, node: c.id, message: `"${ruleId}" is not a recommendation or practice point.${didYouMean(ruleId, ruleById.keys())}` });
        else if (clauseId !== undefined && !rule.clauses.some((cl) => cl.id === clauseId)) add({ code: 'unknown-reference', severity: 'error', file, pointer, node: c.id, message: `${ruleId} has no clause "${clauseId}" (clauses: ${rule.clauses.map((cl) => cl.id).join(', ')}).` });
      }
    }
  }
  return sortFindings(findings);
}

function sortFindings(findings: Finding[]): Finding[] {
  const key = (f: Finding) => `${f.file ?? ''}\u0000${f.pointer}\u0000${f.code}\u0000${f.message}`;
  return findings.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

type Report = (pointer: string, code: string, message: string) => void;

function checkOperators(logic: Logic, base: string, report: Report): void {
  const stack: [JsonValue, string][] = [[logic, base]];
  while (stack.length) {
    const [l, ptr] = stack.pop()!;
    if (Array.isArray(l)) { l.forEach((x, i) => stack.push([x, `${ptr}/${i}`])); continue; }
    if (l === null || typeof l !== 'object') continue;
    const keys = Object.keys(l);
    if (keys.length !== 1) { report(ptr, 'not-an-expression', 'an object inside an expression must have exactly one key, the operator.'); continue; }
    const op = keys[0];
    if (op in FORBIDDEN_OPERATORS) report(ptr, 'forbidden-operator', `operator "${op}" is not allowed: ${FORBIDDEN_OPERATORS[op]}.`);
    else if (!ALLOWED.has(op)) report(ptr, 'unknown-operator', `"${op}" is not a JSON-Logic operator this engine runs.${didYouMean(op, ALLOWED_OPERATORS)}`);
    const raw = l[op];
    const arity = Object.prototype.hasOwnProperty.call(OPERATOR_ARITY, op) ? OPERATOR_ARITY[op] : undefined;
    const n = operands(raw).length;
    if (arity && (n < arity[0] || n > arity[1])) {
      const want = arity[0] === arity[1] ? `${arity[0]}` : arity[1] === Infinity ? `at least ${arity[0]}` : `${arity[0]} to ${arity[1]}`;
      report(ptr, 'arity', `"${op}" takes ${want} operand${want === '1' ? '' : 's'}, not ${n}.`);
    }
    if (op === 'var' && operands(raw).length && typeof operands(raw)[0] === 'object' && operands(raw)[0] !== null) {
      report(`${ptr}/var`, 'dynamic-var', 'a variable name must be written as text, not computed, so the checker can see what the rule reads.');
    }
    operands(raw).forEach((a, i) => stack.push([a, Array.isArray(raw) ? `${ptr}/${escapeSegment(op)}/${i}` : `${ptr}/${escapeSegment(op)}`]));
  }
}

function varsWithDefault(logic: Logic, base: string): { name: string; pointer: string }[] {
  const out: { name: string; pointer: string }[] = [];
  const stack: [JsonValue, string][] = [[logic, base]];
  while (stack.length) {
    const [l, ptr] = stack.pop()!;
    if (Array.isArray(l)) { l.forEach((x, i) => stack.push([x, `${ptr}/${i}`])); continue; }
    if (!isLogicObject(l)) continue;
    const op = Object.keys(l)[0];
    const raw = l[op];
    if (op === 'var' && Array.isArray(raw) && raw.length > 1 && typeof raw[0] === 'string') out.push({ name: raw[0], pointer: ptr });
    operands(raw).forEach((a, i) => stack.push([a, Array.isArray(raw) ? `${ptr}/${escapeSegment(op)}/${i}` : `${ptr}/${escapeSegment(op)}`]));
  }
  return out;
}

function checkScopedRef(ref: { path: string; list?: string; reduce?: boolean }, inputs: Map<string, InputDef>, report: (code: string, message: string) => void): void {
  const list = ref.list ? inputs.get(ref.list) : undefined;
  if (!ref.list) return; // predicate over a computed list: fields cannot be checked statically
  if (!list || list.type !== 'list') { report('not-a-list', `"${ref.list}" is not a list input, so its items have no fields.`); return; }
  const fields = Object.keys(list.items!.fields);
  let path = ref.path;
  if (ref.reduce) {
    if (path === 'accumulator') return;
    if (!path.startsWith('current.')) { report('unknown-field', `inside reduce, read "current.<field>" or "accumulator", not "${path}".`); return; }
    path = path.slice('current.'.length);
  }
  if (!fields.includes(path)) report('unknown-field', `"${path}" is not a field of ${ref.list} items.${didYouMean(path, fields)} Fields: ${fields.join(', ')}.`);
}

// --- types ------------------------------------------------------------------------------------

interface TypeInfo {
  type: 'number' | 'boolean' | 'enum' | 'string' | 'list' | 'any';
  unit?: string;
  values?: string[];
  range?: [number, number];
  /** the variable it was read from, for messages */
  name?: string;
  literal?: JsonValue;
}

interface Dict { inputs: Map<string, InputDef>; defs: Map<string, DefinitionNode> }

function fieldType(f: Field, name: string): TypeInfo {
  return {
    type: f.type,
    unit: f.unit,
    values: f.values?.map((v) => v.value),
    range: f.type === 'number' ? [f.minimum!, f.maximum!] : undefined,
    name,
  };
}

function typeOfName(name: string, d: Dict): TypeInfo {
  const input = d.inputs.get(name);
  if (input) return fieldType(input, input.id);
  const def = d.defs.get(name);
  if (def) return { type: def.type, unit: def.unit, values: def.values?.map((v) => v.value), name };
  return { type: 'any' };
}

const COMPARE = new Set(['<', '<=', '>', '>=']);
const EQUAL = new Set(['==', '===', '!=', '!==']);
const BOOLEAN_OPS = new Set([...COMPARE, ...EQUAL, '!', '!!', 'in', 'all', 'some', 'none']);
const NUMBER_OPS = new Set(['+', '-', '*', '/', '%', 'min', 'max', 'sqrt']);

/**
 * Where an expression is evaluated: at the root (undefined), inside the predicate of a list
 * operator over a list input (its item fields; `reduce`: read as current.<field>), or inside one
 * whose items cannot be known statically (null).
 */
type ItemScope = { fields: Record<string, Field>; list: string; reduce: boolean } | null | undefined;

function scopedVarType(path: string, scope: Exclude<ItemScope, undefined>): TypeInfo {
  if (!scope) return { type: 'any' };
  let field = path;
  if (scope.reduce) {
    if (!path.startsWith('current.')) return { type: 'any' };
    field = path.slice('current.'.length);
  }
  const f = Object.prototype.hasOwnProperty.call(scope.fields, field) ? scope.fields[field] : undefined;
  return f ? fieldType(f, `${scope.list}.${field}`) : { type: 'any' };
}

/** The scope of the predicate of a list operator whose list is `listArg`. */
function predicateScope(op: string, listArg: JsonValue, d: Dict, outer: ItemScope): ItemScope {
  if (outer !== undefined) return null; // nested list operators: items of items are not typed here
  if (isLogicObject(listArg) && 'var' in listArg) {
    const p = operands(listArg.var)[0];
    const input = typeof p === 'string' ? d.inputs.get(p) : undefined;
    if (input && input.type === 'list' && input.items) return { fields: input.items.fields, list: input.id, reduce: op === 'reduce' };
  }
  return null;
}

function inferType(l: JsonValue, d: Dict, scope?: ItemScope): TypeInfo {
  const scoped = scope !== undefined;
  if (l === null) return { type: 'any', literal: null };
  if (typeof l === 'number') return { type: 'number', literal: l };
  if (typeof l === 'string') return { type: 'string', literal: l };
  if (typeof l === 'boolean') return { type: 'boolean', literal: l };
  if (Array.isArray(l)) return { type: 'list' };
  if (!isLogicObject(l)) return { type: 'any' };
  const op = Object.keys(l)[0];
  const args = operands(l[op]);
  if (op === 'var') {
    if (scoped) return typeof args[0] === 'string' ? scopedVarType(args[0], scope) : { type: 'any' };
    const p = args[0];
    return typeof p === 'string' ? typeOfName(p, d) : { type: 'any' };
  }
  if (BOOLEAN_OPS.has(op)) return { type: 'boolean' };
  if (NUMBER_OPS.has(op)) {
    if (op === '+' || op === '-' || op === 'min' || op === 'max') {
      const units = new Set(args.map((a) => inferType(a, d, scope)).filter((t) => t.type === 'number' && t.unit).map((t) => t.unit));
      return { type: 'number', unit: units.size === 1 ? [...units][0] : undefined };
    }
    return { type: 'number' };
  }
  if (op === 'and' || op === 'or' || op === 'if' || op === '?:') {
    const branches = op === 'and' || op === 'or' ? args : args.filter((_, i) => i % 2 === 1 || i === args.length - 1);
    const types = branches.map((a) => inferType(a, d, scope));
    const kinds = new Set(types.map((t) => (t.type === 'string' && t.literal !== undefined ? 'string' : t.type)));
    if (kinds.size === 1) {
      const t = types[0];
      return { type: t.type, unit: types.every((x) => x.unit === t.unit) ? t.unit : undefined, values: t.values };
    }
    return { type: 'any' };
  }
  if (op === 'cat' || op === 'substr') return { type: 'string' };
  if (op === 'merge' || op === 'map' || op === 'filter' || op === 'missing' || op === 'missing_some') return { type: 'list' };
  return { type: 'any' };
}

function describeType(t: TypeInfo): string {
  if (t.literal !== undefined) return JSON.stringify(t.literal);
  if (t.name) return `"${t.name}" (${t.type}${t.unit ? `, ${t.unit}` : ''})`;
  return t.type;
}

function checkTypes(logic: Logic, base: string, d: Dict, report: Report): void {
  const scopedOps = new Set(SCOPED_OPERATORS);
  const stack: [JsonValue, string, ItemScope][] = [[logic, base, undefined]];
  while (stack.length) {
    const [l, ptr, scope] = stack.pop()!;
    if (Array.isArray(l)) { l.forEach((x, i) => stack.push([x, `${ptr}/${i}`, scope])); continue; }
    if (!isLogicObject(l)) continue;
    const op = Object.keys(l)[0];
    const raw = l[op];
    const args = operands(raw);
    const argPtr = (i: number) => (Array.isArray(raw) ? `${ptr}/${escapeSegment(op)}/${i}` : `${ptr}/${escapeSegment(op)}`);
    // The predicate of a list operator reads the list's item fields: enum values, numbers and
    // booleans are typed against the item fields as root expressions are against the dictionary.
    args.forEach((a, i) => stack.push([a, argPtr(i), scopedOps.has(op) && i === 1 ? predicateScope(op, args[0], d, scope) : scope]));
    const types = args.map((a) => inferType(a, d, scope));
    if (COMPARE.has(op)) {
      types.forEach((t, i) => {
        if (t.type === 'enum' || t.type === 'boolean' || t.type === 'list' || (t.type === 'string' && t.literal === undefined)) {
          report(argPtr(i), 'type-mismatch', `${describeType(t)} cannot be compared with ${op}: it is not a number.${t.type === 'enum' ? ` Compare it with == to one of ${t.values!.map((v) => JSON.stringify(v)).join(', ')}.` : ''}`);
        }
      });
      checkNumericOperands(types, argPtr, report);
    } else if (EQUAL.has(op) && types.length === 2) {
      const [a, b] = types;
      for (const [x, y, i] of [[a, b, 1], [b, a, 0]] as const) {
        if (x.name && y.literal !== undefined && y.literal !== null) {
          if (x.type === 'enum' && (typeof y.literal !== 'string' || !x.values!.includes(y.literal))) {
            report(argPtr(i), typeof y.literal === 'string' ? 'not-in-enum' : 'type-mismatch', `${describeType(y)} is not a value of "${x.name}".${typeof y.literal === 'string' ? didYouMean(y.literal, x.values!) : ''} Allowed: ${x.values!.map((v) => JSON.stringify(v)).join(', ')}.`);
          } else if (x.type === 'number' && typeof y.literal !== 'number') {
            report(argPtr(i), 'type-mismatch', `"${x.name}" is a number${x.unit ? ` in ${x.unit}` : ''}; compare it with a number, not ${describeType(y)}.`);
          } else if (x.type === 'boolean' && typeof y.literal !== 'boolean') {
            report(argPtr(i), 'type-mismatch', `"${x.name}" is true or false; compare it with true or false, not ${describeType(y)}.`);
          }
        }
      }
      if (a.name && b.name && a.type !== 'any' && b.type !== 'any' && a.type !== b.type) {
        report(argPtr(1), 'type-mismatch', `${describeType(a)} and ${describeType(b)} have different types and can never be equal.`);
      }
      checkNumericOperands(types, argPtr, report);
    } else if (op === 'in' && types.length === 2 && types[0].type === 'enum' && Array.isArray(args[1])) {
      (args[1] as JsonValue[]).forEach((v, i) => {
        if (typeof v !== 'string' || !types[0].values!.includes(v)) {
          report(`${argPtr(1)}/${i}`, 'not-in-enum', `${JSON.stringify(v)} is not a value of "${types[0].name}".${typeof v === 'string' ? didYouMean(v, types[0].values!) : ''} Allowed: ${types[0].values!.map((x) => JSON.stringify(x)).join(', ')}.`);
        }
      });
    } else if (op === '+' || op === '-' || op === 'min' || op === 'max') {
      checkNumericOperands(types, argPtr, report);
    } else if (op === 'sqrt' && args.length === 1) {
      checkSqrtOperand(args[0], types[0], argPtr(0), report);
    }
  }
}

/**
 * `sqrt` takes one number that is never negative (anything else stops the evaluation): a
 * literal >= 0, a number fact or item field whose plausible range starts at 0 or above, or
 * another `sqrt`. Whatever the checker cannot show to be so is refused.
 */
function checkSqrtOperand(arg: JsonValue, t: TypeInfo, ptr: string, report: Report): void {
  if (t.type !== 'number' && t.type !== 'any') {
    report(ptr, 'type-mismatch', `sqrt takes a number, not ${describeType(t)}.`);
    return;
  }
  if (typeof t.literal === 'number') {
    if (!(t.literal >= 0) || !Number.isFinite(t.literal)) report(ptr, 'negative-sqrt', `sqrt of ${t.literal}: the operand must be a number that is not negative.`);
    return;
  }
  const isVar = isLogicObject(arg) && 'var' in arg;
  if (isVar && t.type === 'number' && t.range && t.range[0] >= 0) return;
  if (isLogicObject(arg) && 'sqrt' in arg) return;
  report(ptr, 'negative-sqrt', `${isVar && t.range ? `${describeType(t)} can be as low as ${t.range[0]}` : `the checker cannot show that ${describeType(t)} is never negative`}; sqrt takes a number fact or field whose plausible range starts at 0 or above, a literal >= 0, or another sqrt.`);
}

function checkNumericOperands(types: TypeInfo[], argPtr: (i: number) => string, report: Report): void {
  const withUnit = types.map((t, i) => ({ t, i })).filter(({ t }) => t.type === 'number' && t.unit && t.literal === undefined);
  for (let k = 1; k < withUnit.length; k++) {
    if (withUnit[k].t.unit !== withUnit[0].t.unit) {
      report(argPtr(withUnit[k].i), 'unit-mismatch', `${describeType(withUnit[0].t)} and ${describeType(withUnit[k].t)} are in different units; convert one of them first.`);
    }
  }
  const ranged = types.find((t) => t.range && t.literal === undefined);
  if (!ranged) return;
  types.forEach((t, i) => {
    if (typeof t.literal === 'number' && (t.literal < ranged.range![0] || t.literal > ranged.range![1])) {
      report(argPtr(i), 'out-of-range', `${t.literal} lies outside the plausible range of "${ranged.name}" (${ranged.range![0]}–${ranged.range![1]}${ranged.unit ? ` ${ranged.unit}` : ''}), so this comparison can never change. Check the unit${ranged.unit ? ` (${ranged.unit})` : ''}.`);
    }
  });
}

function checkDefinitionType(def: DefinitionNode, d: Dict, report: Report): void {
  const t = inferType(def.expr, d);
  const literalString = t.type === 'string' && t.literal !== undefined;
  if (t.type !== 'any' && t.type !== def.type && !(def.type === 'enum' && (literalString || t.type === 'string'))) {
    report('/expr', 'type-mismatch', `definition is declared ${def.type} but its expression gives ${t.type}. Fix the "type" or the expression.`);
  }
  if (def.type === 'enum') {
    const allowed = def.values!.map((v) => v.value);
    for (const leaf of resultLeaves(def.expr, '/expr')) {
      if (typeof leaf.value === 'string' && !allowed.includes(leaf.value)) {
        report(leaf.pointer, 'not-in-enum', `${JSON.stringify(leaf.value)} is not one of the declared values (${allowed.join(', ')}).${didYouMean(leaf.value, allowed)}`);
      }
    }
  }
}

/** Literal results an expression can return through if/and/or branches. */
function resultLeaves(l: JsonValue, ptr: string): { value: JsonValue; pointer: string }[] {
  if (!isLogicObject(l)) return Array.isArray(l) ? [] : [{ value: l, pointer: ptr }];
  const op = Object.keys(l)[0];
  const raw = l[op];
  const args = operands(raw);
  const p = (i: number) => (Array.isArray(raw) ? `${ptr}/${escapeSegment(op)}/${i}` : `${ptr}/${escapeSegment(op)}`);
  if (op === 'if' || op === '?:') return args.flatMap((a, i) => (i % 2 === 1 || i === args.length - 1 ? resultLeaves(a, p(i)) : []));
  return [];
}

function checkPointers(node: GuidelineNode, file: string | undefined, add: (f: Finding) => void): void {
  (node.interpretations ?? []).forEach((it, i) => {
    if (it.about !== undefined && resolvePointer(node, it.about) === undefined) {
      add({ code: 'bad-pointer', severity: 'error', file, pointer: `/interpretations/${i}/about`, node: node.id, message: `"${it.about}" points at nothing in this node; point at the clause, condition or field the interpretation concerns.` });
    }
  });
}

function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}


/**
 * The checker's findings for one expression against a guideline's dictionary, as check() reports
 * them for an expression inside a node (operators, arity, references, types): what the property
 * tests mean by "an expression the checker accepts".
 */
export function checkExpression(g: Guideline, logic: Logic, pointer = ''): Finding[] {
  const findings: Finding[] = [];
  const report: Report = (p, code, message) => findings.push({ code, severity: 'error', pointer: p, message });
  const inputs = new Map(g.inputs.map((i) => [i.id, i]));
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  checkOperators(logic, pointer, report);
  for (const ref of collectVars(logic, pointer)) {
    const r = (code: string, message: string) => report(ref.pointer, code, message);
    const segs = ref.path.split('.');
    if (segs.some((s) => FORBIDDEN_SEGMENTS.has(s))) { r('unsafe-path', `variable path "${ref.path}" reaches the object prototype.`); continue; }
    if (ref.scoped) { checkScopedRef(ref, inputs, r); continue; }
    if (segs.length > 1) { r('dotted-path', `"${ref.path}": dotted paths are only for list items.`); continue; }
    if (!inputs.has(ref.path) && !defs.has(ref.path)) r('unknown-reference', `"${ref.path}" is neither an input nor a definition.`);
  }
  checkTypes(logic, pointer, { inputs, defs }, report);
  return findings;
}
