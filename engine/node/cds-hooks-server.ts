// `guideline serve --cds-hooks [--port N] [--now YYYY-MM-DD] [--lookback-days N] [--feedback-log file] [--dir dir | --bundle file]`:
// a CDS Hooks 2.0 service on 127.0.0.1 only. GET /cds-services (discovery), POST
// /cds-services/<id> (patient-view: prefetch in, cards out; engine/interop/cds-hooks.ts), POST
// /cds-services/<id>-order-select (draft drug orders checked; engine/interop/order-select.ts), POST
// /cds-services/<id>/feedback (accepted / overridden cards with reasons, one JSON line each, to the
// --feedback-log file the committee reads next to the recommendation: each line names the
// recommendation clause of the card, "recommendation": "<rule>.<clause>").
// Security as the editor's server: loopback only, and a Host header other than 127.0.0.1:<port>
// or localhost:<port> is refused (DNS rebinding); JSON bodies only, at most 2 MB; no outbound fetch
// (a request without prefetch gets 412: the EHR must send the prefetched resources).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { discovery, orderSelectCards, orderSelectServiceId, patientViewCards, serviceId, uuidOf, type CdsCard } from '../interop/index.ts';
import { EngineError, readBundle, type Guideline } from '../runtime/index.ts';

const MAX_BODY = 2 * 1024 * 1024;

export interface CdsHooksServerOptions {
  guideline: Guideline;
  port?: number;
  /** the evaluation date for every request (default: today, read at each request) */
  now?: string;
  lookbackDays?: number;
  maxCards?: number;
  /** where the feedback endpoint appends one JSON line per card outcome (none: feedback is refused with 404) */
  feedbackLog?: string;
}
export interface RunningCdsHooks { url: string; port: number; close(): Promise<void> }

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCdsHooksServer(options: CdsHooksServerOptions): Promise<RunningCdsHooks> {
  const g = options.guideline;
  const id = serviceId(g);
  const orderId = orderSelectServiceId(g);
  // card uuid -> the recommendation (rule.clause) it shows, so the feedback log names it: every
  // recommendation card's uuid is known in advance (it is derived from rule.clause), the others
  // (conflicts, orders) are remembered when issued (at most 10,000, oldest first out)
  const cardOf = new Map<string, { recommendation?: string; summary?: string }>();
  for (const n of g.nodes) {
    if (n.kind !== 'recommendation' && n.kind !== 'practice-point') continue;
    for (const c of n.clauses) {
      cardOf.set(uuidOf(`${n.id}.${c.id}`), { recommendation: `${n.id}.${c.id}` });
      for (const o of c.action.options ?? []) cardOf.set(uuidOf(`${n.id}.${c.id}.${o.intervention}`), { recommendation: `${n.id}.${c.id}` });
    }
  }
  const remember = (cards: CdsCard[]) => {
    for (const c of cards) {
      if (cardOf.size > 10000 + 2000) cardOf.delete(cardOf.keys().next().value!);
      cardOf.set(c.uuid, { ...(c.source.topic ? { recommendation: c.source.topic.code } : {}), summary: c.summary });
    }
  };
  let port = 0;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, (e as { status?: number }).status ?? 500, { error: (e as Error).message });
      else res.end();
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 403, { error: `refused: Host "${host}" is not this loopback service` });
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/+$/, '');
    if (path === '/cds-services') {
      if (req.method !== 'GET') return send(res, 405, { error: 'use GET' });
      return send(res, 200, discovery(g));
    }
    if (path === `/cds-services/${id}` || path === `/cds-services/${orderId}`) {
      const hook = path === `/cds-services/${id}` ? 'patient-view' : 'order-select';
      if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send JSON (content-type: application/json)' });
      let body: { hook?: string; hookInstance?: string; context?: { patientId?: string; draftOrders?: unknown; selections?: string[] }; prefetch?: Record<string, unknown> };
      try { body = JSON.parse(await readBody(req)); } catch (e) {
        if ((e as { status?: number }).status) throw e;
        return send(res, 400, { error: 'the body is not valid JSON' });
      }
      if (body?.hook !== hook) return send(res, 400, { error: `this service answers the ${hook} hook, not "${body?.hook}"` });
      if (!body.context?.patientId) return send(res, 400, { error: 'context.patientId is required' });
      if (hook === 'order-select' && (body.context.draftOrders as { resourceType?: string } | undefined)?.resourceType !== 'Bundle') return send(res, 400, { error: 'context.draftOrders (a Bundle of the draft orders) is required' });
      if (!body.prefetch || typeof body.prefetch !== 'object') return send(res, 412, { error: 'prefetch is required: this service does not query the FHIR server itself' });
      const now = options.now ?? new Date().toISOString().slice(0, 10);
      const opts = { now, ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}), ...(options.maxCards !== undefined ? { maxCards: options.maxCards } : {}) };
      const { cards } = hook === 'patient-view' ? patientViewCards(g, body, opts) : orderSelectCards(g, body, opts);
      remember(cards);
      return send(res, 200, { cards });
    }
    const feedbackOf = [id, orderId].find((s) => path === `/cds-services/${s}/feedback`);
    if (feedbackOf && options.feedbackLog) {
      // CDS Hooks 2.0 feedback: {feedback: [{card, outcome: accepted|overridden, overrideReason?, outcomeTimestamp}]}
      if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, { error: 'send JSON (content-type: application/json)' });
      let body: { feedback?: { card?: string; outcome?: string; overrideReason?: { reason?: { code?: string; display?: string }; userComment?: string }; outcomeTimestamp?: string }[] };
      try { body = JSON.parse(await readBody(req)); } catch (e) {
        if ((e as { status?: number }).status) throw e;
        return send(res, 400, { error: 'the body is not valid JSON' });
      }
      const items = Array.isArray(body?.feedback) ? body.feedback : [];
      if (!items.length || items.some((f) => typeof f?.card !== 'string' || !['accepted', 'overridden'].includes(f?.outcome ?? ''))) return send(res, 400, { error: 'feedback: a list of {card, outcome: "accepted" | "overridden"}' });
      const lines = items.map((f) => JSON.stringify({ service: feedbackOf, guideline: `${g.manifest.id}@${g.manifest.version}`, card: f.card, ...(cardOf.get(f.card!) ?? {}), outcome: f.outcome, ...(f.overrideReason ? { overrideReason: f.overrideReason } : {}), ...(f.outcomeTimestamp ? { outcomeTimestamp: f.outcomeTimestamp } : {}) }) + '\n');
      appendFileSync(options.feedbackLog, lines.join(''));
      res.writeHead(200); return res.end();
    }
    return send(res, 404, { error: 'unknown path: see /cds-services' });
  }
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

export interface ServeIo { out(s: string): void; err(s: string): void }

/** The CLI entry: parses its own options, starts the service and keeps running until interrupted. */
export async function serveCommand(argv: string[], io: ServeIo, load: (dir?: string) => Guideline | undefined): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { 'cds-hooks': { type: 'boolean' }, port: { type: 'string' }, now: { type: 'string' }, 'lookback-days': { type: 'string' }, 'feedback-log': { type: 'string' }, dir: { type: 'string' }, bundle: { type: 'string' } }, strict: true }));
  } catch (e) {
    throw new EngineError('usage', `serve: ${(e as Error).message}`);
  }
  if (!values['cds-hooks']) throw new EngineError('usage', 'serve needs --cds-hooks (the editor is started with npm start)');
  const port = values.port !== undefined ? Number(values.port) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new EngineError('usage', `--port must be a port number, not "${values.port}"`);
  const g = values.bundle ? readBundle(readFileSync(String(values.bundle), 'utf8')) : load(values.dir ? resolve(String(values.dir)) : undefined);
  if (!g) return 1;
  const lookbackDays = values['lookback-days'] !== undefined ? Number(values['lookback-days']) : undefined;
  const running = await startCdsHooksServer({ guideline: g, port, ...(values.now ? { now: String(values.now) } : {}), ...(lookbackDays !== undefined ? { lookbackDays } : {}), ...(values['feedback-log'] ? { feedbackLog: resolve(String(values['feedback-log'])) } : {}) });
  io.out(`CDS Hooks service on ${running.url}/cds-services (patient-view: ${running.url}/cds-services/${serviceId(g)}, order-select: ${running.url}/cds-services/${orderSelectServiceId(g)}); Ctrl-C stops it\n`);
  await new Promise<void>((ok) => { process.once('SIGINT', ok); process.once('SIGTERM', ok); });
  await running.close();
  return 0;
}
