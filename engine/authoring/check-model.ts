// Checks of the clinical model the schema cannot see: populations (chapter and rule) name boolean
// definitions; list-valued actions have distinct, consistently labelled options; invariants name
// chapters and interventions that exist. Called by check() (check.ts).
import { didYouMean } from '../runtime/names.ts';
import type { DefinitionNode, Finding, Guideline, InvariantNode, RuleNode } from '../runtime/types.ts';

export function checkModel(g: Guideline, add: (f: Finding) => void, used: Set<string>): void {
  const defs = new Map(g.nodes.filter((n): n is DefinitionNode => n.kind === 'definition').map((d) => [d.id, d]));
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const fileOf = (id: string) => g.origins[`node:${id}`]?.file;

  const population = (id: string, file: string | undefined, pointer: string, node: string | undefined) => {
    const d = defs.get(id);
    if (!d) add({ code: 'unknown-reference', severity: 'error', file, pointer, ...(node ? { node } : {}), message: `population "${id}" is not a definition.${didYouMean(id, defs.keys())} Add a boolean definition (e.g. population_hcc) or fix the name.` });
    else if (d.type !== 'boolean') add({ code: 'type-mismatch', severity: 'error', file, pointer, ...(node ? { node } : {}), message: `population "${id}" is a ${d.type} definition; a population must be boolean (true: the rule concerns the patient).` });
    used.add(id);
  };
  g.manifest.chapters.forEach((c, i) => { if (c.population) population(c.population, 'manifest.json', `/chapters/${i}/population`, undefined); });
  for (const r of rules) if (r.population) population(r.population, fileOf(r.id), '/population', r.id);

  // Every intervention code a clause can offer, with its label: clause codes and option codes.
  const codes = new Map<string, { label: string; node: string }>();
  for (const r of rules) for (const c of r.clauses) if (!codes.has(c.action.intervention)) codes.set(c.action.intervention, { label: c.action.label, node: r.id });
  for (const r of rules) {
    r.clauses.forEach((c, i) => {
      const seen = new Set<string>();
      c.action.options?.forEach((o, j) => {
        const pointer = `/clauses/${i}/action/options/${j}`;
        if (seen.has(o.intervention)) add({ code: 'duplicate-id', severity: 'error', file: fileOf(r.id), pointer: `${pointer}/intervention`, node: r.id, message: `option "${o.intervention}" is listed twice in clause ${c.id}.` });
        seen.add(o.intervention);
        if (o.intervention === c.action.intervention) add({ code: 'intervention-label', severity: 'error', file: fileOf(r.id), pointer: `${pointer}/intervention`, node: r.id, message: `an option cannot reuse the clause's group code "${o.intervention}": give the option its own code.` });
        const known = codes.get(o.intervention);
        if (known && known.label !== o.label) add({ code: 'intervention-label', severity: 'error', file: fileOf(r.id), pointer: `${pointer}/label`, node: r.id, message: `intervention "${o.intervention}" is labelled "${known.label}" in ${known.node}; use the same label or a different code.` });
        else if (!known) codes.set(o.intervention, { label: o.label, node: r.id });
      });
    });
  }

  const chapters = new Set(g.manifest.chapters.map((c) => c.id));
  for (const inv of g.nodes.filter((n): n is InvariantNode => n.kind === 'invariant')) {
    const file = fileOf(inv.id);
    for (const [list, targets] of [['forbid', inv.forbid], ['require', inv.require ?? []]] as const) {
      targets.forEach((t, i) => {
        const pointer = `/${list}/${i}`;
        if (t.intervention !== '*' && !codes.has(t.intervention)) add({ code: 'unknown-intervention', severity: 'error', file, pointer: `${pointer}/intervention`, node: inv.id, message: `no clause or option offers intervention "${t.intervention}".${didYouMean(t.intervention, codes.keys())} Use an existing code or "*".` });
        if (t.chapter !== undefined && !chapters.has(t.chapter)) add({ code: 'unknown-chapter', severity: 'error', file, pointer: `${pointer}/chapter`, node: inv.id, message: `"${t.chapter}" is not a chapter of manifest.json.${didYouMean(t.chapter, chapters)}` });
      });
    }
    if (!inv.forbid.length && !inv.require?.length) add({ code: 'schema', severity: 'error', file, pointer: '/forbid', node: inv.id, message: 'an invariant must forbid or require at least one clause.' });
  }
}
