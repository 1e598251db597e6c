// Clinician-facing words for ids: a fact as its title with its unit ("Serum albumin (g/dL)"), a
// definition or rule by its title or label, a case by its sentence. Used wherever the editor
// shows text an engine function wrote with ids in it (Review reasons, "needs", the trace).
import type { Guideline } from '../engine/runtime/index.ts';
import { outcomeLabel } from './model.ts';

/** A fact or definition id (or a list-item path "treatments[0].agent") as its title, with the unit. */
export function factName(g: Guideline, id: string): string {
  const root = id.split(/[.[]/)[0];
  const input = g.inputs.find((i) => i.id === root);
  if (input) return `${input.title}${input.unit && input.type === 'number' ? ` (${input.unit})` : ''}`;
  const node = g.nodes.find((n) => n.id === root);
  return node ? node.title ?? outcomeLabel(g, root) : id;
}

/** "needs albumin, ecog" → "Serum albumin (g/dL), ECOG performance status". */
export const needsText = (g: Guideline, missing: readonly string[] | undefined): string => [...new Set((missing ?? []).map((m) => factName(g, m)))].join(', ');

/**
 * A sentence with ids in it, in words: node ids (and "rule.clause") by their label, fact ids by
 * their title and unit, case ids by the case's sentence in quotes. Other words stay as they are.
 */
export function humanize(g: Guideline, text: string): string {
  const nodes = new Set(g.nodes.map((n) => n.id));
  const inputs = new Set(g.inputs.map((i) => i.id));
  const cases = new Map(g.cases.map((c) => [c.id, c.title]));
  return text.replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\.[a-z0-9]+)?\b|\b[a-z][a-z0-9]+\b/g, (tok) => {
    const [id, clause] = tok.split('.');
    if (nodes.has(id)) return clause !== undefined || g.nodes.find((n) => n.id === id)?.kind !== 'definition' ? outcomeLabel(g, tok) : factName(g, id);
    if (clause === undefined && inputs.has(id)) return factName(g, id);
    if (clause === undefined && cases.has(id)) return `“${cases.get(id)!.replace(/\.$/, '')}”`;
    return tok;
  });
}
