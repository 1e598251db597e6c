// The CDS Hooks 2.0 service over HTTP on loopback: discovery, a patient-view request answered with
// well-formed, graded, sourced cards (the same recommendations as recommend()), and its refusals.
// The README's examples run here as shown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardsFor, factsToFhir, type CdsCard } from '../../engine/interop/index.ts';
import { loadGuideline, main, startCdsHooksServer, type RunningCdsHooks } from '../../engine/node/index.ts';
import { recommend, type Guideline, type RecommendationNode } from '../../engine/runtime/index.ts';
import { GUIDELINE_DIR, ROOT } from '../helpers.ts';

const g = loadGuideline(GUIDELINE_DIR).guideline;
const NOW = '2026-12-01';
const SERVICE = '/cds-services/klca-ncc-2022-patient-view';
let server: RunningCdsHooks;
beforeAll(async () => { server = await startCdsHooksServer({ guideline: g, now: NOW }); });
afterAll(async () => { await server?.close(); });

function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return new Promise((ok, fail) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port: server.port, method, path, agent: false, headers: { connection: 'close', ...(data ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => ok({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', fail);
    req.end(data);
  });
}

const GRADE = /\[(A1|A2|B1|B2|C1|C2|D1|D2|ungraded)\]$/;
function wellFormed(cards: CdsCard[]) {
  expect(cards.length).toBeGreaterThan(0);
  expect(cards.length).toBeLessThanOrEqual(6);
  for (const c of cards) {
    expect(c.summary.length, c.summary).toBeLessThan(140);
    expect(['info', 'warning', 'critical']).toContain(c.indicator);
    expect(c.source.label).toBeTruthy();
    expect(c.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  for (const c of cards.filter((x) => !x.summary.startsWith('Ask next'))) {
    // a drug order against a safety rule (invariant) has no grade of its own: it says so
    if (c.summary.endsWith('[safety rule]')) expect(c.detail).toMatch(/\n\n\*Source:\* .+/);
    else {
      expect(c.summary).toMatch(GRADE);
      expect(c.detail).toMatch(/\n\n> .+\n\n\*Source:\* /);
    }
    expect(c.source.url).toBe('http://e-jlc.org');
  }
  expect(cards.filter((c) => c.summary.startsWith('Ask next')).length).toBeLessThanOrEqual(1);
  for (const c of cards.filter((x) => x.suggestions)) {
    expect(c.selectionBehavior).toBe('at-most-one');
    for (const sg of c.suggestions!) {
      expect(sg.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(sg.actions.length).toBeGreaterThan(0);
      for (const a of sg.actions.filter((x) => x.type === 'create')) {
        expect(['MedicationRequest', 'ServiceRequest']).toContain(a.resource!.resourceType);
        const cc = (a.resource!.medicationCodeableConcept ?? a.resource!.code) as { coding: { system: string }[] };
        for (const k of cc.coding) expect(['http://www.whocc.no/atc', 'http://snomed.info/sct', 'http://www.nlm.nih.gov/research/umls/rxnorm']).toContain(k.system);
      }
    }
  }
}
const patientView = (bundle: { entry: { resource: unknown }[] }) => ({ hook: 'patient-view', hookInstance: 'a4b1f2de-5c3a-4f9e-8b7d-1e2f3a4b5c6d', context: { patientId: 'p1', userId: 'Practitioner/1' }, prefetch: { all: bundle } });

describe('CDS Hooks discovery', () => {
  it('lists a patient-view service whose prefetch templates come from the dictionary codes', async () => {
    const r = await http('GET', '/cds-services');
    expect(r.status).toBe(200);
    const [s, o] = r.json.services;
    expect(r.json.services).toHaveLength(2);
    expect(s).toMatchObject({ hook: 'patient-view', id: 'klca-ncc-2022-patient-view' });
    expect(o).toMatchObject({ hook: 'order-select', id: 'klca-ncc-2022-order-select' });
    expect(s.prefetch.medicationStatements).toBe('MedicationStatement?patient={{context.patientId}}');
    expect(s.prefetch.patient).toBe('Patient/{{context.patientId}}');
    expect(s.prefetch.observations).toContain('http://loinc.org|1751-7');
    expect(s.prefetch.observations).not.toContain('6301-6');
    expect(s.prefetch.conditions).toContain('http://snomed.info/sct|19943007');
  });
});

describe('CDS Hooks patient-view', () => {
  it('answers coded FHIR patients of the cases with the cards of their recommendations', async () => {
    // every 4th case a bundle can carry, so that the lines of therapy (MedicationStatements) are among them
    const cases = g.cases.filter((c) => factsToFhir(g, c.facts, { now: NOW }).skipped.length === 0).filter((_, k) => k % 4 === 0).filter((c) => recommend(g, c.facts).recommendations.length > 0).slice(0, 16);
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(cases.filter((c) => Array.isArray(c.facts.prior_systemic_therapies)).length).toBeGreaterThan(0);
    let suggested = 0;
    for (const c of cases) {
      const { bundle } = factsToFhir(g, c.facts, { now: NOW });
      const r = await http('POST', SERVICE, patientView(bundle as any));
      expect(r.status, c.id).toBe(200);
      wellFormed(r.json.cards);
      // the same recommendations as the facts give, as cards
      expect(r.json.cards, c.id).toEqual(JSON.parse(JSON.stringify(cardsFor(g, recommend(g, c.facts), { patientId: 'p1' }))));
      suggested += r.json.cards.filter((x: CdsCard) => x.suggestions).length;
    }
    expect(suggested).toBeGreaterThan(0);
  });
  it('ranks by grade and shows a conflict as a warning first', () => {
    // No shipped case has a conflict any more, so one is planted in a copy: "switch from TACE"
    // applies to a patient who is offered cTACE.
    const planted = structuredClone(g) as Guideline;
    (planted.nodes.find((n) => n.id === 'tace_and_radioembolization_6') as RecommendationNode).clauses[0].when = true;
    const withConflict = planted.cases.find((c) => c.id === 'two_4_cm_tumors_ineligible_for_curative_treatment_get_ctace');
    expect(withConflict, 'the cTACE case').toBeDefined();
    expect(recommend(planted, withConflict!.facts).conflicts.length).toBeGreaterThan(0);
    const cards = cardsFor(planted, recommend(planted, withConflict!.facts));
    expect(cards[0].indicator).toBe('warning');
    expect(cards[0].summary).toMatch(/^Conflict: /);
    const order = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'D1', 'D2', 'ungraded'];
    const ranks = cards.filter((x) => x.indicator === 'info' && !x.summary.startsWith('Ask next')).map((x) => order.indexOf(GRADE.exec(x.summary)![1]));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
  it('refuses a foreign Host, a missing prefetch, another hook and non-JSON', async () => {
    expect((await http('GET', '/cds-services', undefined, { host: 'attacker.example:80' })).status).toBe(403);
    expect((await http('POST', SERVICE, { hook: 'patient-view', hookInstance: 'x', context: { patientId: 'p1' } })).status).toBe(412);
    expect((await http('POST', SERVICE, { hook: 'order-select', hookInstance: 'x', context: { patientId: 'p1' }, prefetch: {} })).status).toBe(400);
    expect((await http('POST', SERVICE, '{not json')).status).toBe(400);
    expect((await http('GET', '/nope')).status).toBe(404);
  });
});

describe('the README examples', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Into the hospital: FHIR in, CDS Hooks out'));
  const blocks = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1].trimEnd().split('\n'));
  it('eval --fhir prints what the README shows', async () => {
    let out = '';
    const code = await main(['eval', '--fhir', join(GUIDELINE_DIR, 'examples', 'sample-patient.fhir.json'), '--now', NOW], { out: (s) => { out += s; }, err: (s) => { out += s; } });
    expect(code).toBe(0);
    expect(blocks[0].length).toBeGreaterThan(5);
    for (const line of blocks[0]) expect(out.split('\n'), line).toContain(line);
  });
  it('the patient-view request gives the cards the README shows', async () => {
    const body = JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'cds-hooks-patient-view.json'), 'utf8'));
    const r = await http('POST', SERVICE, body);
    expect(r.status).toBe(200);
    wellFormed(r.json.cards);
    expect(r.json.cards.map((c: CdsCard) => `${c.indicator} ${c.summary}`)).toEqual(blocks[1]);
  });
  it('the order-select request gives the card the README shows', async () => {
    const body = JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'cds-hooks-order-select.json'), 'utf8'));
    const r = await http('POST', '/cds-services/klca-ncc-2022-order-select', body);
    expect(r.status).toBe(200);
    const shown = r.json.cards.flatMap((c: CdsCard) => [`${c.indicator} ${c.summary}`, ...(c.suggestions ?? []).map((x) => `  suggestion: ${x.label}`)]);
    expect(shown).toEqual(blocks[2]);
  });
});

describe('CDS Hooks order-select', () => {
  const ORDERS = '/cds-services/klca-ncc-2022-order-select';
  const base = () => JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'cds-hooks-order-select.json'), 'utf8'));
  const med = (id: string, code: string) => ({ resource: { resourceType: 'MedicationRequest', id, status: 'draft', intent: 'order', medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code }] } } });
  const withOrders = (...entries: unknown[]) => { const b = base(); b.context.draftOrders.entry = entries; delete b.context.selections; return b; };
  it('warns of a drug the guideline advises against for the patient, and suggests what it offers instead', async () => {
    const r = await http('POST', ORDERS, base());
    expect(r.status).toBe(200);
    const [card] = r.json.cards;
    expect(r.json.cards).toHaveLength(1);
    expect(card.indicator).toBe('warning');
    expect(card.summary).toMatch(/^Not recommended for this patient: Sorafenib/);
    expect(card.detail).toMatch(/No sorafenib again after progression on it/);
    const labels = card.suggestions.map((x: { label: string }) => x.label);
    expect(labels).toContain('Order instead: Regorafenib');
    const rego = card.suggestions.find((x: { label: string }) => x.label === 'Order instead: Regorafenib');
    expect(rego.actions[0]).toEqual({ type: 'delete', description: 'Remove the draft order MedicationRequest/sorafenib-again', resourceId: ['MedicationRequest/sorafenib-again'] });
    expect(rego.actions[1].resource).toMatchObject({ resourceType: 'MedicationRequest', status: 'draft', intent: 'proposal', subject: { reference: 'Patient/p2' }, medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'L01EX05' }] } });
    wellFormed(r.json.cards);
  });
  it('confirms a recommended order, orders a combination by its components, and says nothing of a drug it does not know', async () => {
    const rego = await http('POST', ORDERS, withOrders(med('r', 'L01EX05')));
    expect(rego.json.cards.map((c: CdsCard) => `${c.indicator} ${c.summary}`)).toEqual(['info Recommended: Regorafenib [A1]']);
    const unknown = await http('POST', ORDERS, withOrders(med('e', 'J05AF10')));
    expect(unknown.json.cards).toEqual([]);
    const { orderSelectCards, ordersOf } = await import('../../engine/interop/index.ts');
    const combo = ordersOf(g, { resourceType: 'Bundle', entry: [med('a', 'L01FF05'), med('b', 'L01FG01'), med('n', 'L01FF01')] });
    expect(combo.orders.map((o) => [o.resource, o.agent])).toEqual([['MedicationRequest/a+MedicationRequest/b', 'atezolizumab_bevacizumab'], ['MedicationRequest/n', 'nivolumab']]);
    // Child-Pugh C: every systemic therapy is forbidden by an invariant
    const c = orderSelectCards(g, { context: { patientId: 'p', draftOrders: { resourceType: 'Bundle', entry: [med('l', 'L01EX08')] } }, prefetch: { all: factsToFhir(g, { hcc_diagnosed: true, albumin: 2.5, bilirubin: 3.5, prothrombin_time_prolonged_s: 7, ascites: 'moderate', encephalopathy: 'none', ecog: 1 }, { now: NOW }).bundle } }, { now: NOW });
    expect(c.cards.map((x) => `${x.indicator} ${x.summary}`)).toEqual(['warning Not recommended for this patient: Lenvatinib [safety rule]']);
    expect(c.cards[0].detail).toMatch(/No systemic therapy at Child-Pugh C/);
  });
  it('refuses another hook and a request without draft orders', async () => {
    expect((await http('POST', ORDERS, { ...base(), hook: 'patient-view' })).status).toBe(400);
    const b = base(); delete b.context.draftOrders;
    expect((await http('POST', ORDERS, b)).status).toBe(400);
  });
});

describe('CDS Hooks feedback', () => {
  it('appends accepted and overridden cards with the override reason to the log, and refuses malformed feedback', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cds-feedback-'));
    const log = join(dir, 'feedback.jsonl');
    const other = await startCdsHooksServer({ guideline: g, now: NOW, feedbackLog: log });
    const saved = server;
    server = other;
    try {
      const body = { feedback: [
        { card: '939bb585-679b-4a8b-8b48-678c88bd43e1', outcome: 'accepted', outcomeTimestamp: '2026-12-01T10:00:00Z' },
        { card: 'a4b1f2de-5c3a-4f9e-8b7d-1e2f3a4b5c6d', outcome: 'overridden', overrideReason: { reason: { code: 'patient-declined', display: 'Patient declined' }, userComment: 'prefers TACE' }, outcomeTimestamp: '2026-12-01T10:01:00Z' },
      ] };
      expect((await http('POST', `${SERVICE}/feedback`, body)).status).toBe(200);
      const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.outcome)).toEqual(['accepted', 'overridden']);
      expect(lines[1].overrideReason.userComment).toBe('prefers TACE');
      expect(lines[0].guideline).toBe(`klca-ncc-2022@${g.manifest.version}`);
      // a card the service issued is logged with its recommendation, for the committee to read beside it
      const shown = await http('POST', SERVICE, JSON.parse(readFileSync(join(GUIDELINE_DIR, 'examples', 'cds-hooks-patient-view.json'), 'utf8')));
      const first = shown.json.cards[0] as CdsCard;
      expect((await http('POST', `${SERVICE}/feedback`, { feedback: [{ card: first.uuid, outcome: 'overridden', overrideReason: { userComment: 'already done' } }] })).status).toBe(200);
      const last = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!);
      expect(last).toMatchObject({ card: first.uuid, recommendation: first.source.topic!.code, outcome: 'overridden' });
      expect((await http('POST', `${SERVICE}/feedback`, { feedback: [{ card: 'x', outcome: 'maybe' }] })).status).toBe(400);
    } finally {
      server = saved;
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await http('POST', `${SERVICE}/feedback`, { feedback: [] })).status).toBe(404);
  });
});

describe('guideline serve', () => {
  it('a bad port is bad usage (exit 2)', async () => {
    let err = '';
    expect(await main(['serve', '--cds-hooks', '--port', 'eighty'], { out: () => {}, err: (s) => { err += s; } })).toBe(2);
    expect(err).toMatch(/--port must be a port number/);
  });
});
