// Regression tests for issue 12 ("a decided answer never changes when a missing fact arrives;
// bad input never crashes"), one describe per finding, named after it.
import { describe, expect, it } from 'vitest';
import { EngineError, evaluate, evaluateLogic, Unknown, type JsonValue } from '../engine/runtime/index.ts';
import { check, parseSource } from '../engine/authoring/index.ts';
import { truthiness, unknownFact, type EvalContext } from '../engine/runtime/logic.ts';
import { loadGuideline, readSourceFiles } from '../engine/node/load.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);
const inputs = new Map(guideline.inputs.map((i) => [i.id, i]));

/** Evaluate an expression the way evaluate() does: facts by input id, absent ones with their domain. */
function withFacts(expr: JsonValue, facts: Record<string, JsonValue>) {
  const ctx: EvalContext = {
    mode: 'unknown', node: 'test', data: null,
    resolveRoot: (name) => (Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : unknownFact(name, inputs.get(name))),
  };
  return evaluateLogic(expr, ctx);
}

describe('finding 1: results reported as known while a missing fact could still change them', () => {
  it('finding 1a: or(unknown, "none") is not "none" while encephalopathy is missing', () => {
    const expr = { '==': [{ or: [{ var: 'encephalopathy' }, 'none'] }, 'none'] };
    const r = withFacts(expr, {});
    expect(r).toBeInstanceOf(Unknown);
    expect((r as Unknown).missing).toEqual(['encephalopathy']);
    expect(withFacts(expr, { encephalopathy: 'grade_3_4' })).toBe(false);
    // without a dictionary (plain data) it is unknown as well
    expect(evaluateLogic(expr, { mode: 'unknown', node: 't', data: {} })).toBeInstanceOf(Unknown);
    // and(unknown, false): the value is unknown (x may be 0), its truthiness is false
    const a = evaluateLogic({ '==': [{ and: [{ var: 'x' }, false] }, false] }, { mode: 'unknown', node: 't', data: {} });
    expect(a).toBeInstanceOf(Unknown);
    expect(truthiness(evaluateLogic({ and: [{ var: 'x' }, false] }, { mode: 'unknown', node: 't', data: {} }))).toBe(false);
  });

  it('finding 1b: some/all/none/map/filter/reduce over an unknown list never return the list\'s possible values', () => {
    const list = { if: [{ var: 'x' }, [1], [2]] };
    const ctx = { mode: 'unknown' as const, node: 't', data: {} };
    expect(evaluateLogic({ '!': { some: [list, { '==': [{ var: '' }, 5] }] } }, ctx)).toBe(true);
    expect(evaluateLogic({ all: [list, { '<': [{ var: '' }, 3] }] }, ctx)).toBe(true);
    expect(evaluateLogic({ none: [list, { '>': [{ var: '' }, 3] }] }, ctx)).toBe(true);
    const m = evaluateLogic({ map: [list, { '*': [{ var: '' }, 10] }] }, ctx);
    expect((m as Unknown).possible).toEqual([[10], [20]]);
    expect(evaluateLogic({ reduce: [list, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 0] }, ctx)).toBeInstanceOf(Unknown);
    expect((evaluateLogic({ filter: [list, { '>': [{ var: '' }, 1] }] }, ctx) as Unknown).possible).toEqual([[], [2]]);
    // a list that is plainly unknown gives a plainly unknown result, whatever the operator
    const u = evaluateLogic({ some: [{ var: 'l' }, { '==': [{ var: '' }, 5] }] }, ctx) as Unknown;
    expect(u.possible).toBeUndefined();
    expect(u.missing).toEqual(['l']);
  });

  it('finding 1c: a solitary 1.8 cm tumour, N0 M0, vascular invasion unknown is T1 or T2 and stage I or II (Table 5)', () => {
    const r = evaluate(guideline, { tumor_count: 1, largest_tumor_cm: 1.8, lymph_node_metastasis: false, distant_metastasis: false });
    expect(r.values.muicc_t.possible).toEqual(['T1', 'T2']);
    expect(r.values.muicc_stage.possible).toEqual(['I', 'II']);
    expect(r.values.muicc_stage.missing).toEqual(['bile_duct_invasion', 'hepatic_vein_invasion', 'portal_vein_invasion']);
    // every possible value is reached by a completion, and supplying the facts decides it
    const t1 = evaluate(guideline, { tumor_count: 1, largest_tumor_cm: 1.8, lymph_node_metastasis: false, distant_metastasis: false, portal_vein_invasion: 'vp0', hepatic_vein_invasion: false, bile_duct_invasion: false });
    expect(t1.values.muicc_stage.value).toBe('I');
    const t2 = evaluate(guideline, { tumor_count: 1, largest_tumor_cm: 1.8, lymph_node_metastasis: false, distant_metastasis: false, portal_vein_invasion: 'vp0', hepatic_vein_invasion: true, bile_duct_invasion: false });
    expect(t2.values.muicc_stage.value).toBe('II');
  });

  it('finding 1d: an if chain on the same value counts only the paths that value can take', () => {
    // b is a boolean fact nobody supplied: the chain is split over its two values
    const ctx: EvalContext = { mode: 'unknown', node: 't', data: null, resolveRoot: (name) => unknownFact(name, { type: 'boolean' }) };
    const n = { if: [{ var: 'b' }, 2, 3] };
    const r = evaluateLogic({ if: [{ '==': [n, 3] }, 'T1', { '==': [n, 2] }, 'T2', 'T4'] }, ctx) as Unknown;
    expect(r.possible).toEqual(['T1', 'T2']);
    expect(r.missing).toEqual(['b']);
    // a variable read twice is the same value: b and not b is false, never unknown
    expect(evaluateLogic({ and: [{ var: 'b' }, { '!': { var: 'b' } }] }, ctx)).toBe(false);
  });
});

describe('finding 2: operator arity', () => {
  it('finding 2: {"*": []} and other wrong arities are checker errors, and evaluate throws only EngineError', () => {
    const g = structuredClone(guideline);
    const rule = g.nodes.find((n) => n.kind === 'recommendation')! as { clauses: { when: JsonValue }[] };
    const bad: JsonValue[] = [{ '*': [] }, { '==': [1] }, { '!': [] }, { substr: ['abc'] }, { '-': [1, 2, 3] }, { max: [] }, { some: [[1]] }];
    rule.clauses[0].when = { and: [true, ...bad.map((b) => ({ '!!': [b] }))] };
    const findings = check(g).filter((f) => f.code === 'arity');
    expect(findings.map((f) => f.pointer)).toEqual(bad.map((_, i) => `/clauses/0/when/and/${i + 1}/!!/0`).sort());
    // json-logic-js throws a TypeError on {"*": []}: it comes out as an EngineError
    let inner: unknown;
    try { evaluateLogic({ '*': [] }, { mode: 'unknown', node: 't', data: {} }); } catch (e) { inner = e; }
    expect(inner).toBeInstanceOf(EngineError);
    expect((inner as EngineError).code).toBe('evaluation-failed');
    let thrown: unknown;
    try { evaluate(g, {}); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe('evaluation-failed');
  });
});

describe('finding 3: the same id in two folders', () => {
  const files = readSourceFiles(GUIDELINE_DIR);
  const copies: [string, string, (doc: Record<string, unknown>) => void][] = [
    ['inputs/liver-function/albumin.json', 'inputs/tumor/albumin.json', () => {}],
    ['nodes/staging/extrahepatic_spread.json', 'nodes/diagnosis/extrahepatic_spread.json', (d) => { d.expr = false; }],
    ['nodes/hepatic-resection/hepatic_resection_1.json', 'nodes/surveillance/hepatic_resection_1.json', () => {}],
    ['nodes/surveillance/surveillance_nafld_high_fib4.json', 'nodes/staging/surveillance_nafld_high_fib4.json', () => {}],
    ['nodes/treatment-overview/ecog_performance_status_table.json', 'nodes/staging/ecog_performance_status_table.json', () => {}],
    ['cases/staging/distant_metastasis_is_stage_ivb.json', 'cases/diagnosis/distant_metastasis_is_stage_ivb.json', () => {}],
  ];
  it.each(copies)('finding 3: a second %s in another folder is reported in both files', (from, to, change) => {
    const original = files.find((f) => f.path === from)!;
    expect(original).toBeDefined();
    const doc = JSON.parse(original.text);
    change(doc);
    const { guideline: g, findings } = parseSource([...files, { path: to, text: JSON.stringify(doc) }]);
    const all = [...findings, ...check(g)].filter((f) => f.code === 'duplicate-id');
    expect(new Set(all.map((f) => f.file))).toEqual(new Set([from, to]));
    // the first file in path order keeps the id; the copy changes nothing that is evaluated
    const kept = [...g.inputs, ...g.nodes, ...g.cases].filter((x) => x.id === doc.id);
    expect(kept).toHaveLength(1);
  });
  it('finding 3: an input and a node with the same id, or a guideline holding an id twice, is reported for every holder', () => {
    const g = structuredClone(guideline);
    const def = g.nodes.find((n) => n.id === 'extrahepatic_spread')!;
    g.nodes.push({ ...def, expr: false } as typeof def);
    const dups = check(g).filter((f) => f.code === 'duplicate-id' && f.node === 'extrahepatic_spread');
    expect(dups).toHaveLength(2);
  });
});

describe('fuzz finding: a guideline file holding null', () => {
  // Found by the 1,000,000-run mutation property (seed 20261201, path 706:2:0:1:0:0:0): a case
  // file replaced by `null` crashed parseSource with a TypeError instead of being reported.
  const files = readSourceFiles(GUIDELINE_DIR);
  it.each(['null', '[]', '7', '"text"'])('fuzz finding: a case, a node, an input or the manifest holding %s is one finding, not a crash', (text) => {
    for (const path of ['cases/staging/distant_metastasis_is_stage_ivb.json', 'nodes/staging/extrahepatic_spread.json', 'inputs/liver-function/albumin.json', 'manifest.json']) {
      const changed = files.map((f) => (f.path === path ? { path, text } : f));
      const { guideline: g, findings } = parseSource(changed);
      const errors = [...findings, ...check(g)].filter((f) => f.severity === 'error');
      expect(errors.some((f) => f.file === path && /not a JSON object|manifest/.test(f.message))).toBe(true);
    }
  });
});

describe('fuzz finding: a key named after a built-in (toString, __proto__)', () => {
  // Found by the 1,000,000-run mutation property (seed 20261201, path 1768:6:4:...): an invariant
  // whose forbid actions became [{}, {"toString": ""}] crashed ajv's deep equality with a TypeError.
  const files = readSourceFiles(GUIDELINE_DIR);
  const path = 'invariants/hepatic-resection-no_laparoscopic_resection_at_stage_ivb.json';
  it.each(['toString', 'valueOf', '__proto__', 'constructor'])('fuzz finding: a "%s" key anywhere in a document is one finding naming its pointer', (key) => {
    const original = files.find((f) => f.path === path)!;
    const doc = JSON.parse(original.text);
    doc.forbid[0].actions = [{}, JSON.parse(`{"${key}": ""}`)];
    const { guideline: g, findings } = parseSource(files.map((f) => (f.path === path ? { path, text: JSON.stringify(doc) } : f)));
    const errors = [...findings, ...check(g)].filter((f) => f.severity === 'error' && f.file === path);
    expect(errors.map((f) => f.pointer)).toContain(`/forbid/0/actions/1/${key}`);
  });
});

describe('finding 4: enum values inside list-item predicates', () => {
  it('finding 4: a Cyrillic "sоrafenib" in a predicate over prior_systemic_therapies is a checker error', () => {
    const g = structuredClone(guideline);
    const def = g.nodes.find((n) => n.kind === 'definition' && JSON.stringify(n.expr).includes('prior_systemic_therapies'))! as { id: string; expr: JsonValue };
    const cyrillic = 's\u043erafenib';
    def.expr = { and: [def.expr, { some: [{ var: 'prior_systemic_therapies' }, { '==': [{ var: 'agent' }, cyrillic] }] }, { reduce: [{ var: 'prior_systemic_therapies' }, { or: [{ var: 'accumulator' }, { in: [{ var: 'current.agent' }, ['lenvatinib', cyrillic]] }] }, false] }] };
    const findings = check(g).filter((f) => f.node === def.id && f.code === 'not-in-enum');
    expect(findings.map((f) => f.pointer)).toEqual(['/expr/and/1/some/1/==/1', '/expr/and/2/reduce/1/or/1/in/1/1']);
    expect(findings[0].message).toContain('Did you mean "sorafenib"?');
    // the Latin spelling passes
    def.expr = { some: [{ var: 'prior_systemic_therapies' }, { '==': [{ var: 'agent' }, 'sorafenib'] }] };
    expect(check(g).filter((f) => f.node === def.id && f.severity === 'error')).toEqual([]);
  });
});

describe('finding 5: prototype gadgets', () => {
  const planted: Record<string, unknown> = {
    trustedFacts: true, trace: [], hash: 'sha256:planted', integer: true, maxItems: 0, mode: 'null', data: { ecog: 0 },
    resolveRoot: () => 'planted', node: 'planted', chapters: [], minimum: 1000, maximum: -1,
    reduce: true, boolean: true, truthy: true, table: { vars: [], domains: [], values: [] }, missing: ['planted'], possible: ['planted'],
  };
  function withPlanted<T>(run: () => T): T {
    const proto = Object.prototype as Record<string, unknown>;
    for (const [k, v] of Object.entries(planted)) Object.defineProperty(proto, k, { value: v, configurable: true, writable: true, enumerable: false });
    try { return run(); } finally { for (const k of Object.keys(planted)) delete proto[k]; }
  }
  const facts = { albumin: 3.1, bilirubin: 1.4, ascites: 'none', encephalopathy: 'none', ecog: 1, tumor_count: 1, largest_tumor_cm: 2.5, prior_systemic_therapies: [{ agent: 'sorafenib' }] };

  it('finding 5: options, contexts and the dictionary are read as own properties only', () => {
    const clean = JSON.stringify(evaluate(guideline, facts, {}));
    const cleanTrace = JSON.stringify(evaluate(guideline, facts, { trace: true }));
    const wrong = { albumin: 35 };
    const [dirty, dirtyTrace, rejected, logic] = withPlanted(() => {
      let thrown: unknown;
      try { evaluate(guideline, wrong, {}); } catch (e) { thrown = e; }
      return [JSON.stringify(evaluate(guideline, facts, {})), JSON.stringify(evaluate(guideline, facts, { trace: true })), thrown,
        evaluateLogic({ '<=': [{ var: 'ecog' }, 1] }, { mode: 'unknown', node: 't', data: {} } as EvalContext)];
    });
    expect(dirty).toBe(clean);
    expect(dirtyTrace).toBe(cleanTrace);
    expect(rejected).toBeInstanceOf(EngineError); // trustedFacts on the prototype does not switch validation off
    expect(logic).toBeInstanceOf(Unknown); // neither mode, data nor resolveRoot came from the prototype
    expect(Object.prototype).not.toHaveProperty('trustedFacts');
  });
});

describe('finding 6: "did you mean" is bounded', () => {
  it('finding 6: a 1.6 MB facts file within the documented limits is refused in well under a second', () => {
    const facts: Record<string, JsonValue> = {};
    // 8,000 unknown names of 60 characters (under the suggestion length cap: the budget bounds
    // them), 8,000 of 120, and enum values of 100 characters
    for (let i = 0; i < 8000; i++) facts[`${'albumin_'.repeat(7)}${String(i).padStart(4, '0')}`] = 1;
    for (let i = 0; i < 8000; i++) facts[`x${'y'.repeat(110)}${String(i).padStart(9, '0')}`] = 'z'.repeat(40);
    facts.encephalopathy = 'n'.repeat(100);
    facts.prior_systemic_therapies = Array.from({ length: 200 }, () => ({ agent: 's'.repeat(150), [`f${'q'.repeat(60)}`]: 1 }));
    const text = JSON.stringify(facts);
    expect(text.length).toBeGreaterThan(1_600_000);
    const started = performance.now();
    let thrown: unknown;
    try { evaluate(guideline, JSON.parse(text)); } catch (e) { thrown = e; }
    const ms = performance.now() - started;
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe('invalid-facts');
    expect(ms).toBeLessThan(1000);
  });
  it('finding 6: a plain typo still gets its suggestion', () => {
    let thrown: unknown;
    try { evaluate(guideline, { albumn: 3.5, encephalopathy: 'nnone' }); } catch (e) { thrown = e; }
    expect((thrown as EngineError).message).toContain('Did you mean "albumin"?');
    expect((thrown as EngineError).message).toContain('Did you mean "none"?');
  });
});

describe('finding 9: data limits wherever data enters', () => {
  const ctx = (data: unknown): EvalContext => ({ mode: 'unknown', node: 't', data: data as JsonValue });
  const thrownBy = (run: () => unknown): unknown => { try { run(); } catch (e) { return e; } return undefined; };
  it('finding 9: data with its own toString/valueOf gives an EngineError, not a TypeError', () => {
    for (const data of [{ a: { toString: 1 } }, { a: { valueOf: 'x', toString: null } }, { a: { toString: {} } }]) {
      for (const expr of [{ '==': [{ var: 'a' }, 1] }, { cat: [{ var: 'a' }, 'x'] }, { '<': [{ var: 'a' }, 2] }, { in: ['x', { var: 'a' }] }, { var: { var: 'a' } }] as JsonValue[]) {
        const e = thrownBy(() => evaluateLogic(expr, ctx(data)));
        if (e !== undefined) expect(e).toBeInstanceOf(EngineError);
      }
    }
    expect(thrownBy(() => evaluateLogic({ '==': [{ var: 'a' }, 1] }, ctx({ a: { toString: 1 } })))).toBeInstanceOf(EngineError);
  });
  it('finding 9: data nested 100,000 deep gives an EngineError, not a RangeError', () => {
    let deep: JsonValue = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const e = thrownBy(() => evaluateLogic({ '==': [{ var: 'a' }, { var: 'a' }] }, ctx(deep)));
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).code).toBe('data-too-large');
    let list: JsonValue = [];
    for (let i = 0; i < 100_000; i++) list = [list];
    expect(thrownBy(() => evaluateLogic({ some: [{ var: 'l' }, true] }, ctx({ l: list })))).toBeInstanceOf(EngineError);
    expect(thrownBy(() => evaluate(guideline, { prior_systemic_therapies: list }))).toBeInstanceOf(EngineError);
  });
});
