// Checks of the clinical model the schema cannot see: populations (chapter and rule) name boolean
// definitions; list-valued actions have distinct, consistently labelled options; invariants name
// chapters and interventions that exist. Called by check() (check.ts).
import { codingProblem } from '../runtime/codes.ts';
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

const INTERVENTION_SYSTEMS = new Set(['http://snomed.info/sct', 'http://www.whocc.no/atc', 'http://www.nlm.nih.gov/research/umls/rxnorm']);

/** The coded dictionary of interventions (manifest.interventions), when the manifest has one: an
 * entry for every intervention a clause or option offers and for nothing else; SNOMED CT, ATC or
 * RxNorm codes only, each well-formed; an intervention without codes is either a group of coded
 * options or marked needs-terminology-review; an entry with an uncertain code is marked too. */
export function checkInterventionCodes(g: Guideline, add: (f: Finding) => void): void {
  const dict = g.manifest.interventions;
  if (!dict) return;
  const rules = g.nodes.filter((n): n is RuleNode => n.kind === 'recommendation' || n.kind === 'practice-point');
  const offered = new Map<string, { node: string; group: boolean }>();
  for (const r of rules) for (const c of r.clauses) {
    const prev = offered.get(c.action.intervention);
    offered.set(c.action.intervention, { node: prev?.node ?? r.id, group: (prev?.group ?? false) || !!c.action.options?.length });
    for (const o of c.action.options ?? []) if (!offered.has(o.intervention)) offered.set(o.intervention, { node: r.id, group: false });
  }
  const file = 'manifest.json';
  for (const [code, where] of offered) {
    // A warning, not an error: a committee member adding a recommendation can save it before a
    // terminologist codes its intervention; the finding stays on the list until someone does.
    if (!Object.prototype.hasOwnProperty.call(dict, code)) add({ code: 'uncoded-intervention', severity: 'warning', file, pointer: '/interventions', node: where.node, message: `intervention "${code}" has no entry in manifest.json's interventions yet: add its SNOMED CT (procedure) or ATC/RxNorm (drug) codes, or an empty list with "review": "needs-terminology-review" and a note.` });
  }
  for (const [code, entry] of Object.entries(dict)) {
    const pointer = `/interventions/${code}`;
    const where = offered.get(code);
    if (!where) { add({ code: 'unknown-intervention', severity: 'error', file, pointer, message: `no clause or option offers intervention "${code}".${didYouMean(code, offered.keys())}` }); continue; }
    entry.codes.forEach((c, k) => {
      const problem = INTERVENTION_SYSTEMS.has(c.system) ? codingProblem(c) : `an intervention is coded in SNOMED CT, ATC or RxNorm, not "${c.system}"`;
      if (problem) add({ code: 'bad-code', severity: 'error', file, pointer: `${pointer}/codes/${k}`, node: where.node, message: `${problem}. Take the code from the terminology's published table, or leave it out and mark the entry "needs-terminology-review".` });
      if (c.maps !== undefined) add({ code: 'bad-code', severity: 'error', file, pointer: `${pointer}/codes/${k}/maps`, node: where.node, message: '"maps" is for input codes (a related laboratory result); an intervention code names the intervention or one of its components.' });
    });
    if (!entry.codes.length && !where.group && !entry.review) add({ code: 'uncoded-intervention', severity: 'error', file, pointer, node: where.node, message: `intervention "${code}" has no code: give one, or mark it "review": "needs-terminology-review" with a note, never leave it silently uncoded.` });
    if (entry.codes.some((c) => c.review) && !entry.review) add({ code: 'uncoded-intervention', severity: 'error', file, pointer: `${pointer}/review`, node: where.node, message: `a code of "${code}" needs terminology review, so the entry must say so too ("review": "needs-terminology-review").` });
  }
}
