// compare() on edits of the data dictionary and of the guideline's structure (an input's range,
// unit, type or enum values; an input added or removed; a node added, removed or moved): the
// fast path (reuse the saved version's result, re-evaluate only what the edit can reach) must
// report exactly what evaluating both versions in full reports. Differential on generated
// patients and the guideline's own cases, with planted patients each edit does move, and a check
// that the full evaluation was needed only where a side of the case is an error.
import { describe, expect, it } from 'vitest';
import { compare, diffResults, type CaseChange, type CaseOutcome, type Comparison } from '../engine/authoring/index.ts';
import { EngineError, evaluate, validateFacts, type Case, type DefinitionNode, type Guideline, type InputDef, type JsonValue, type Logic, type RuleNode } from '../engine/runtime/index.ts';
import { reevaluate } from '../engine/runtime/evaluate.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';
import { patients } from './generate.ts';

const { guideline: base } = loadGuideline(GUIDELINE_DIR);
const generated: Case[] = [...patients(base, 300, 14, 0.15)].map((facts, i) => ({ id: `gen-${i}`, title: `generated ${i}`, facts, expect: {} }) as Case);
/** A patient with every fact given (the planted cases start from it). */
const full = [...patients(base, 1, 99, 0)][0];
const plant = (id: string, facts: Record<string, JsonValue>): Case => ({ id: `planted-${id}`, title: id, facts, expect: {} }) as Case;
const without = (facts: Record<string, JsonValue>, ...ids: string[]) => Object.fromEntries(Object.entries(facts).filter(([k]) => !ids.includes(k)));

const input = (g: Guideline, id: string) => g.inputs.find((f) => f.id === id)!;
const node = <T = DefinitionNode>(g: Guideline, id: string) => g.nodes.find((n) => n.id === id) as unknown as T;
const afpMax = input(base, 'afp').maximum!;
const baselineCache = new Map<Case, CaseOutcome>();
const albuminMax = input(base, 'albumin').maximum!;

/** Every {"var": id} in an expression replaced by `by`. */
function substitute(l: Logic, id: string, by: Logic): Logic {
  if (Array.isArray(l)) return l.map((x) => substitute(x, id, by));
  if (l === null || typeof l !== 'object') return l;
  if ('var' in l && (l.var === id || (Array.isArray(l.var) && l.var[0] === id))) return structuredClone(by);
  return Object.fromEntries(Object.entries(l).map(([k, v]) => [k, substitute(v, id, by)]));
}

interface Edit {
  name: string;
  change: (g: Guideline) => void;
  /** patients this edit must move (the differential alone could pass with nothing moving) */
  planted: Case[];
  /** compared from the saved version with the probes (see `probes`) */
  probed?: true;
}

const edits: Edit[] = [
  {
    name: 'a number range narrowed (afp maximum)',
    change: (g) => { input(g, 'afp').maximum = afpMax - 1; },
    planted: [plant('afp-at-maximum', { ...full, afp: afpMax })],
  },
  {
    name: 'a number range widened (afp maximum)',
    change: (g) => { input(g, 'afp').maximum = afpMax + 1; },
    planted: [plant('afp-past-maximum', { ...full, afp: afpMax + 1 })],
  },
  {
    name: 'a unit changed (afp): only error messages quote it',
    change: (g) => { input(g, 'afp').unit = 'µg/L'; },
    planted: [plant('afp-out-of-range', { ...full, afp: afpMax * 2 })],
  },
  {
    name: 'a title and hint changed (albumin)',
    change: (g) => { Object.assign(input(g, 'albumin'), { title: 'Serum albumin', hint: 'In g/dL, not g/L.' }); },
    planted: [plant('albumin-out-of-range', { ...full, albumin: albuminMax * 10 })],
  },
  {
    name: 'a small integer range narrowed (ecog 0-4): the missing value changes too',
    change: (g) => { input(g, 'ecog').maximum = 4; },
    planted: [plant('ecog-5', { ...full, ecog: 5 }), plant('no-ecog', without(full, 'ecog'))],
    probed: true,
  },
  {
    name: 'a small integer range widened past a finite domain (pain score 0-11)',
    change: (g) => { input(g, 'pain_score').maximum = 11; },
    planted: [plant('pain-11', { ...full, pain_score: 11 }), plant('no-pain-score', without(full, 'pain_score'))],
    probed: true,
  },
  {
    name: 'an enum value added (ascites)',
    change: (g) => { input(g, 'ascites').values!.push({ value: 'massive', label: 'Massive' }); },
    planted: [plant('ascites-massive', { ...full, ascites: 'massive' }), plant('no-ascites', without(full, 'ascites'))],
    probed: true,
  },
  {
    name: 'an enum value removed (ascites moderate)',
    change: (g) => { const f = input(g, 'ascites'); f.values = f.values!.filter((v) => v.value !== 'moderate'); },
    // a patient without ascites recorded: the points and the Child-Pugh class can no longer be 3 / C
    planted: [plant('ascites-moderate', { ...full, ascites: 'moderate' })],
  },
  {
    name: 'an enum label changed (nothing moves)',
    change: (g) => { input(g, 'ascites').values![0].label = 'No ascites'; },
    planted: [],
  },
  {
    name: 'a type changed (cirrhosis boolean to enum)',
    change: (g) => { Object.assign(input(g, 'cirrhosis'), { type: 'enum', values: [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }] }); },
    planted: [plant('cirrhosis-true', { ...full, cirrhosis: true }), plant('cirrhosis-missing', without(full, 'cirrhosis'))],
  },
  {
    name: 'an input added that nothing reads',
    change: (g) => { g.inputs.push({ kind: 'input', id: 'new_fact', title: 'New fact', description: 'Added.', type: 'boolean' } as InputDef); },
    planted: [plant('gives-new-fact', { ...full, new_fact: true })],
  },
  {
    name: "an input added with a definition's id (its readers now read the fact)",
    change: (g) => { g.inputs.push({ kind: 'input', id: 'good_performance_status', title: 'Good PS', description: 'Added.', type: 'boolean' } as InputDef); },
    planted: [plant('ecog-0', { ...full, ecog: 0 })],
  },
  {
    name: 'an input removed and its reader rewritten (pain score)',
    change: (g) => {
      g.inputs = g.inputs.filter((f) => f.id !== 'pain_score');
      node(g, 'pain_severity').expr = 'moderate';
    },
    planted: [plant('gives-pain-score', { ...full, pain_score: 3 }), plant('no-pain-score', without(full, 'pain_score'))],
  },
  {
    name: 'a definition added',
    change: (g) => { g.nodes.push({ kind: 'definition', id: 'afp_over_10', title: 'AFP over 10', type: 'boolean', expr: { '>': [{ var: 'afp' }, 10] }, citations: [] } as DefinitionNode); },
    planted: [plant('any', full)],
  },
  {
    name: 'a rule removed (haic_1)',
    change: (g) => { g.nodes = g.nodes.filter((n) => n.id !== 'haic_1'); },
    planted: [plant('any', full)],
  },
  {
    name: 'a definition inlined into its reader and removed (alt_square_root)',
    change: (g) => {
      const d = node(g, 'alt_square_root');
      for (const n of g.nodes) if (n.kind === 'definition') n.expr = substitute(n.expr, d.id, d.expr);
      g.nodes = g.nodes.filter((n) => n !== (d as unknown));
    },
    planted: [plant('any', full)],
  },
  {
    name: 'a rule moved to another chapter (its population changes)',
    change: (g) => { g.origins['node:haic_1'] = { ...g.origins['node:haic_1'], folder: 'prevention' }; },
    planted: [plant('no-hcc', { ...full, hcc_diagnosed: false })],
  },
  {
    name: "a chapter's population changed (cancer pain: everyone)",
    change: (g) => { g.manifest.chapters.find((c) => c.id === 'cancer-pain')!.population = 'population_everyone'; },
    planted: [plant('no-hcc', { ...full, hcc_diagnosed: false })],
  },
  {
    name: 'a definition threshold and an input range at once',
    change: (g) => {
      (node(g, 'good_performance_status').expr as { '<=': [Logic, number] })['<='][1] = 2;
      input(g, 'ecog').maximum = 4;
    },
    planted: [plant('ecog-2', { ...full, ecog: 2 }), plant('ecog-5', { ...full, ecog: 5 })],
  },
];

function edited(change: (g: Guideline) => void, from: Guideline = base): Guideline {
  const g = structuredClone(from);
  change(g);
  return g;
}

/**
 * Definitions decided for a patient without the fact only while the input's domain is the saved
 * one (ECOG 0-5, a pain score 0-10, three ascites grades): the edits of those domains must move
 * such a patient, through the missing fact's value alone. One saved version holds them all.
 */
const probes: Record<string, Logic> = {
  probe_ecog: { '!=': [{ var: 'ecog' }, 5] },
  probe_pain: { '<=': [{ var: 'pain_score' }, 10] },
  probe_ascites: { '!=': [{ var: 'ascites' }, 'massive'] },
};
const probedBase = edited((g) => {
  for (const [id, expr] of Object.entries(probes)) g.nodes.push({ kind: 'definition', id, title: id, type: 'boolean', expr, citations: [] } as DefinitionNode);
});
const probedCache = new Map<Case, CaseOutcome>();
const savedFor = (edit: Edit) => (edit.probed ? { base: probedBase, cache: probedCache } : { base, cache: baselineCache });

/** One side of a case the reference way: validate, then evaluate the whole guideline. */
function side(g: Guideline, c: Case): CaseOutcome {
  try {
    validateFacts(g.inputs, c.facts);
  } catch (e) {
    if (e instanceof EngineError) return { error: e.message };
    throw e;
  }
  return { result: evaluate(g, c.facts) };
}

const baseSides = new WeakMap<Guideline, Map<Case, CaseOutcome>>();
/** What compare() must report: both versions evaluated in full for every case. */
function reference(draft: Guideline, cases: Case[], saved: Guideline = base): { comparison: Comparison; errors: number } {
  const changed: CaseChange[] = [];
  let errors = 0;
  let sides = baseSides.get(saved);
  if (!sides) baseSides.set(saved, (sides = new Map()));
  for (const c of cases) {
    let a = sides.get(c);
    if (!a) sides.set(c, (a = side(saved, c)));
    const b = side(draft, c);
    if (a.error || b.error) {
      errors++;
      if (a.error !== b.error) changed.push({ id: c.id, title: c.title, outcomes: [], values: [], error: { before: a.error, after: b.error } });
      continue;
    }
    const { grades, ...d } = diffResults(a.result!, b.result!);
    if (d.outcomes.length || d.values.length || grades.length) changed.push({ id: c.id, title: c.title, ...d, ...(grades.length ? { grades } : {}) });
  }
  return { comparison: { casesCompared: cases.length, changed }, errors };
}

describe('compare on structural edits', () => {
  it.each(edits.map((e) => [e.name, e] as const))('%s: the fast path reports what full evaluation reports', (_name, edit) => {
    const saved = savedFor(edit);
    const draft = edited(edit.change, saved.base);
    const cases = [...base.cases, ...generated, ...edit.planted];
    const expected = reference(draft, cases, saved.base);
    const counts = { full: 0, patched: 0, reused: 0 };
    expect(compare(saved.base, draft, cases, { baselineCache: saved.cache, counts })).toEqual(expected.comparison);
    // The full evaluation only where a side is an error (its message is the outcome).
    expect(counts.full).toBe(expected.errors);
    expect(counts.full + counts.patched + counts.reused).toBe(cases.length);
    const moved = new Set(expected.comparison.changed.map((c) => c.id));
    for (const p of edit.planted) expect(moved, `${p.id} moves`).toContain(p.id);
  }, 60_000);

  it('the label edit moves nothing and re-evaluates nothing', () => {
    const counts = { full: 0, patched: 0, reused: 0 };
    const r = compare(base, edited(edits.find((e) => e.name.startsWith('an enum label'))!.change), generated, { baselineCache, counts });
    expect(r.changed).toEqual([]);
    expect(counts).toEqual({ full: 0, patched: 0, reused: generated.length });
  });

  it('an enum value removed moves patients that lack the fact, not only those that give it', () => {
    const draft = edited(edits.find((e) => e.name.startsWith('an enum value removed'))!.change);
    const r = compare(base, draft, generated, { baselineCache });
    const lacking = new Set(generated.filter((c) => !('ascites' in c.facts)).map((c) => c.id));
    expect(r.changed.filter((c) => lacking.has(c.id) && !c.error).length).toBeGreaterThan(0);
    expect(r).toEqual(reference(draft, generated).comparison);
  });

  it('without a baseline cache gives the same', () => {
    const draft = edited(edits[4].change);
    expect(compare(base, draft, generated)).toEqual(reference(draft, generated).comparison);
  });

  it('an input removed that a node still reads fails as the full evaluation fails', () => {
    const draft = edited((g) => { g.inputs = g.inputs.filter((f) => f.id !== 'pain_score'); });
    const cases = generated.filter((c) => !('pain_score' in c.facts)).slice(0, 5);
    expect(cases.length).toBeGreaterThan(0);
    let message = '';
    try { evaluate(draft, cases[0].facts); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/pain_score/);
    expect(() => compare(base, draft, cases)).toThrow(message);
    expect(() => compare(base, draft, cases, { incremental: false })).toThrow(message);
  });

  it('a definition removed that a node still reads fails as the full evaluation fails', () => {
    const draft = edited((g) => { g.nodes = g.nodes.filter((n) => n.id !== 'alt_square_root'); });
    let message = '';
    try { evaluate(draft, generated[0].facts); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/alt_square_root/);
    expect(() => compare(base, draft, generated.slice(0, 3))).toThrow(message);
  });

  it('a recommendation turned practice point is re-evaluated (its kind is in the result)', () => {
    const draft = edited((g) => {
      const r = node<RuleNode>(g, 'haic_1') as unknown as Record<string, unknown>;
      Object.assign(r, { kind: 'practice-point', title: 'HAIC' });
    });
    expect(compare(base, draft, generated, { baselineCache })).toEqual(reference(draft, generated).comparison);
  });
});

describe('compare on a definition edit that keeps an unknown value as it reads', () => {
  // `ascites == "none"` and `ascites == "slight"` are both "undecided: ascites" for a patient
  // without it, but what reads them can still tell them apart (d2 is false with the first, as no
  // ascites is both none and slight; undecided with the second): the readers must be re-evaluated.
  const def = (id: string, expr: Logic) => ({ kind: 'definition', id, title: id, type: 'boolean', expr, citations: [] }) as DefinitionNode;
  const saved = edited((g) => { g.nodes.push(def('d1', { '==': [{ var: 'ascites' }, 'none'] }), def('d2', { and: [{ var: 'd1' }, { '==': [{ var: 'ascites' }, 'slight'] }] })); });
  const draft = edited((g) => { node(g, 'd1').expr = { '==': [{ var: 'ascites' }, 'slight'] }; }, saved);

  it('moves the patient without ascites, as full evaluation does', () => {
    const cases = [...generated, plant('no-ascites', without(full, 'ascites'))];
    const expected = reference(draft, cases, saved).comparison;
    expect(expected.changed.find((c) => c.id === 'planted-no-ascites')?.values).toContainEqual({ id: 'd2', before: false, after: { undecided: ['ascites'] } });
    expect(compare(saved, draft, cases)).toEqual(expected);
  });

  it('re-evaluates the readers when the earlier result was read back from JSON (its unknown content is lost)', () => {
    const facts = validateFacts(draft.inputs, without(full, 'ascites'));
    const earlier = evaluate(saved, facts);
    const orderOf = (g: Guideline) => ['d1', 'd2'].map((id) => node(g, id));
    const order = orderOf(draft);
    const options = { changed: new Set(['d1']), reads: new Map([['d1', ['ascites']], ['d2', ['d1', 'ascites']]]) };
    const undecided = { missing: ['ascites'] };
    // in process, the earlier Unknown's content is at hand and differs: d2 is re-evaluated
    expect(reevaluate(draft, facts, earlier, order, options).values.d2).toEqual(undecided);
    // from JSON, it cannot be compared: d1 counts as moved, and d2 is re-evaluated all the same
    const fromJson = JSON.parse(JSON.stringify(earlier)) as typeof earlier;
    expect(reevaluate(draft, facts, fromJson, order, options).values.d2).toEqual(undecided);
    // and with nothing changed in d1's content, its reader keeps its earlier result
    expect(reevaluate(saved, facts, earlier, orderOf(saved), options).values.d2).toBeUndefined();
  });
});
