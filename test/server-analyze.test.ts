// POST /api/analyze (engine/node/server/analysis.ts) on a temporary copy of the guideline: the real
// z3 analysis, limited to two invariants and the cheap parts so the file runs in seconds.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSource } from '../engine/authoring/index.ts';
import { checkInvariants, evaluate } from '../engine/runtime/index.ts';
import { readSourceFiles } from '../engine/node/load.ts';
import { startServer, type RunningServer } from '../engine/node/server.ts';
import type { AnalysisReport } from '../engine/analysis/index.ts';
import type { AnalysisReport as ViewReport } from '../editor/analysisReport.ts';
import { GUIDELINE_DIR } from './helpers.ts';
import { Client, raw } from './server-client.ts';

const ECOG = 'hepatic-resection-no_resection_at_ecog_3_or_more';
const CHILD_C = 'hepatic-resection-no_resection_at_child_pugh_c';
const CANDIDATE = 'nodes/hepatic-resection/resection_candidate.json';
/** The editor declares the report's fields it reads; typecheck fails here when the engine's JSON drifts from them. */
const asTheViewReadsIt = (r: AnalysisReport): ViewReport => r;
const LIMIT = { invariants: [ECOG, CHILD_C], parts: ['invariants', 'boundaries'] };

let tmp: string;
let dir: string;
let server: RunningServer;
let editor: Client;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'guideline-analyze-'));
  dir = join(tmp, 'guideline');
  cpSync(GUIDELINE_DIR, dir, { recursive: true });
  const stat = join(tmp, 'static');
  mkdirSync(stat);
  writeFileSync(join(stat, 'index.html'), '<!doctype html><title>editor</title>');
  server = await startServer({ guidelineDir: dir, staticDir: stat, port: 0, goldenDir: join(tmp, 'golden') });
  editor = new Client(server.port);
  await editor.session();
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Resection's general conditions with ECOG ≤ 4 instead of ≤ 2: resection reaches ECOG 3 patients. */
function widenedEcog(): { path: string; text: string } {
  const text = readFileSync(join(dir, CANDIDATE), 'utf8');
  const widened = text.replace(/("var": "ecog"\s*\},\s*)2/, '$14');
  expect(widened).not.toBe(text);
  return { path: CANDIDATE, text: widened };
}

/** Ask until neither run is queued or running (the answer comes at once; the client polls). */
async function settle(body: unknown): Promise<any> {
  for (let i = 0; i < 240; i++) {
    const r = await editor.send('POST', '/api/analyze', body);
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    const a = r.json();
    if (!a.running) return a;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error('the analysis did not finish in 60 s');
}

describe('POST /api/analyze', () => {
  it('analyses the saved guideline: the chosen invariants proved, with their time, and boundary coverage', async () => {
    const first = await editor.send('POST', '/api/analyze', LIMIT);
    expect(first.status).toBe(200);
    expect(['queued', 'running', 'done']).toContain(first.json().saved.state);
    const a = await settle(LIMIT);
    expect(a.saved.state).toBe('done');
    expect(a.draft).toBeUndefined();
    const inv = asTheViewReadsIt(a.saved.report).invariants;
    expect(inv.map((i: { id: string }) => i.id).sort()).toEqual([ECOG, CHILD_C].sort());
    for (const i of inv) { expect(i.status).toBe('proved'); expect(typeof i.ms).toBe('number'); }
    expect(a.saved.report.boundaries.total).toBeGreaterThan(10);
    expect(a.saved.report.conflicts).toEqual([]); // not asked for: not run
  }, 90_000);

  it('analyses a draft beside the saved guideline: the widened threshold refutes the invariant with a witness the engine reproduces', async () => {
    const before = await settle(LIMIT);
    const draft = widenedEcog();
    const a = await settle({ ...LIMIT, drafts: [draft] });
    // the saved guideline's run is reused, not repeated
    expect(a.saved.key).toBe(before.saved.key);
    expect(a.saved.startedAt).toBe(before.saved.startedAt);
    expect(a.draft.state).toBe('done');
    expect(a.draft.key).not.toBe(a.saved.key);
    const broken = a.draft.report.invariants.find((i: { id: string }) => i.id === ECOG);
    expect(broken.status).toBe('refuted');
    expect(broken.witness.facts.ecog).toBeGreaterThanOrEqual(3);
    const g = parseSource(readSourceFiles(dir).filter((f) => f.path !== CANDIDATE).concat(draft)).guideline;
    expect(checkInvariants(g, evaluate(g, broken.witness.facts)).some((b) => b.invariant === ECOG)).toBe(true);
    expect(a.draft.report.invariants.find((i: { id: string }) => i.id === CHILD_C).status).toBe('proved');
    expect(readFileSync(join(dir, CANDIDATE), 'utf8')).not.toBe(draft.text); // nothing written
  }, 90_000);

  it('refuses a cross-origin request and one without the CSRF token', async () => {
    const evil = await raw(server.port, 'POST', '/api/analyze', { origin: 'http://evil.example', 'content-type': 'application/json' }, JSON.stringify(LIMIT));
    expect(evil.status).toBe(403);
    expect(evil.json().error).toMatch(/evil\.example/);
    const noToken = await raw(server.port, 'POST', '/api/analyze', { origin: `http://127.0.0.1:${server.port}`, 'content-type': 'application/json' }, JSON.stringify(LIMIT));
    expect(noToken.status).toBe(403);
    expect(noToken.json().error).toMatch(/CSRF/);
    const rebinding = await raw(server.port, 'POST', '/api/analyze', { host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}`, 'content-type': 'application/json' }, JSON.stringify(LIMIT));
    expect(rebinding.status).toBe(421);
  });

  it('answers a malformed draft with a clear error naming the file or the field', async () => {
    const notJson = await editor.send('POST', '/api/analyze', { ...LIMIT, drafts: [{ path: CANDIDATE, text: '{"kind": "definition",' }] });
    expect(notJson.status).toBe(422);
    expect(notJson.json().error).toMatch(/draft of nodes\/hepatic-resection\/resection_candidate\.json cannot be analysed: The text is not valid JSON/);
    const outside = await editor.send('POST', '/api/analyze', { drafts: [{ path: '../manifest.json', text: '{}' }] });
    expect(outside.status).toBe(400);
    expect(outside.json().error).toMatch(/drafts\[0\]: "\.\.\/manifest\.json" is not an input, node, case or invariant file/);
    const noText = await editor.send('POST', '/api/analyze', { drafts: [{ path: CANDIDATE }] });
    expect(noText.status).toBe(400);
    expect(noText.json().error).toMatch(/drafts\[0\] needs "path".*and "text"/);
    const notList = await editor.send('POST', '/api/analyze', { drafts: { path: CANDIDATE } });
    expect(notList.status).toBe(400);
    expect(notList.json().error).toMatch(/"drafts" must be a list/);
    const badInvariant = await editor.send('POST', '/api/analyze', { invariants: ['no_such_invariant'] });
    expect(badInvariant.status).toBe(400);
    expect(badInvariant.json().error).toMatch(/no such invariant "no_such_invariant"/);
    // valid JSON, but the checker refuses it: no analysis, the findings say why
    const doc = JSON.parse(readFileSync(join(dir, CANDIDATE), 'utf8'));
    doc.expr = { and: [{ '<=': [{ var: 'ecogg' }, 2] }] };
    const unchecked = await editor.send('POST', '/api/analyze', { ...LIMIT, drafts: [{ path: CANDIDATE, text: JSON.stringify(doc) }] });
    expect(unchecked.status).toBe(422);
    expect(unchecked.json().error).toMatch(/the analysis runs once the checker passes/);
    expect(unchecked.json().findings.some((f: { message: string }) => /ecogg/.test(f.message))).toBe(true);
  });
});
