// Static structure of a guideline: which names each expression reads, and the order in which
// definitions must be computed (dependencies first).
import { EngineError } from './errors.ts';
import { isLogicObject, operands, SCOPED_OPERATORS, varPath } from './logic.ts';
import type { DefinitionNode, Guideline, GuidelineNode, JsonValue, Logic, RuleNode } from './types.ts';

export interface VarRef {
  /** variable path as written */
  path: string;
  /** JSON pointer of the var expression inside the node */
  pointer: string;
  /** true inside the item predicate of some/all/none/map/filter/reduce */
  scoped: boolean;
  /** for scoped refs: the list expression's variable, when it is one */
  list?: string;
  /** scoped refs inside reduce read "current" / "accumulator" */
  reduce?: boolean;
}

const SCOPED = new Set(SCOPED_OPERATORS);

/** Every {"var": ...} of an expression, without recursion limits being hit (depth is checked before). */
export function collectVars(logic: Logic, base = ''): VarRef[] {
  const out: VarRef[] = [];
  const walk = (l: JsonValue, ptr: string, scope: { scoped: boolean; list?: string; reduce?: boolean }) => {
    if (Array.isArray(l)) { l.forEach((x, i) => walk(x, `${ptr}/${i}`, scope)); return; }
    if (!isLogicObject(l)) return;
    const op = Object.keys(l)[0];
    const raw = l[op];
    const args = operands(raw);
    const p = (i: number) => (Array.isArray(raw) ? `${ptr}/${esc(op)}/${i}` : `${ptr}/${esc(op)}`);
    if (op === 'var') {
      const path = varPath(raw);
      if (path !== undefined) out.push({ path, pointer: ptr, ...scope });
      args.slice(1).forEach((a, i) => walk(a, p(i + 1), scope));
      if (typeof args[0] === 'object') walk(args[0], p(0), scope);
      return;
    }
    if (SCOPED.has(op)) {
      walk(args[0], p(0), scope);
      const list = isLogicObject(args[0]) && 'var' in args[0] ? varPath(args[0].var) : undefined;
      if (args.length > 1) walk(args[1], p(1), { scoped: true, list, reduce: op === 'reduce' });
      if (args.length > 2) walk(args[2], p(2), scope);
      return;
    }
    args.forEach((a, i) => walk(a, p(i), scope));
  };
  walk(logic, base, { scoped: false });
  return out;
}

function esc(s: string) { return s.replace(/~/g, '~0').replace(/\//g, '~1'); }

/** The expressions of a node with their pointers. */
export function expressionsOf(node: GuidelineNode): { pointer: string; logic: Logic; clause?: string }[] {
  if (node.kind === 'definition') return [{ pointer: '/expr', logic: node.expr }];
  if (node.kind === 'table') return [];
  if (node.kind === 'invariant') return [{ pointer: '/when', logic: node.when }];
  const out: { pointer: string; logic: Logic; clause?: string }[] = [];
  const rule = node as RuleNode;
  // A rule's own population reads that definition (the chapter's population is the manifest's).
  if (rule.population) out.push({ pointer: '/population', logic: { var: rule.population } });
  rule.clauses.forEach((c, i) => {
    out.push({ pointer: `/clauses/${i}/when`, logic: c.when, clause: c.id });
    c.action.options?.forEach((o, j) => { if (o.when !== undefined) out.push({ pointer: `/clauses/${i}/action/options/${j}/when`, logic: o.when, clause: c.id }); });
  });
  return out;
}

/** Root names one expression reads (inputs and definitions), first path segment only. */
export function expressionRoots(logic: Logic, pointer = '', names = new Set<string>()): Set<string> {
  for (const ref of collectVars(logic, pointer)) if (!ref.scoped) names.add(ref.path.split('.')[0]);
  return names;
}

/** Root names a node reads (inputs and definitions), first path segment only. */
export function rootNames(node: GuidelineNode): Set<string> {
  const names = new Set<string>();
  for (const e of expressionsOf(node)) expressionRoots(e.logic, e.pointer, names);
  return names;
}

/** Definitions sorted so that each comes after the definitions it reads; throws on a cycle. */
export function definitionOrder(g: Guideline): DefinitionNode[] {
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const order: DefinitionNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, chain: string[]) => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(id)), id];
      throw new EngineError('definition-cycle', `definitions read each other in a cycle: ${cycle.join(' → ')}. Break the cycle.`, { node: id, pointer: '/expr' });
    }
    state.set(id, 'visiting');
    const def = defs.get(id)!;
    for (const dep of [...rootNames(def)].sort()) if (defs.has(dep)) visit(dep, [...chain, id]);
    state.set(id, 'done');
    order.push(def);
  };
  for (const id of [...defs.keys()].sort()) visit(id, []);
  return order;
}
