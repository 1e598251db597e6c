// Who may talk to the server at all. Checked before anything else, on every request:
//
// - Host must name this server: 127.0.0.1, localhost or [::1] with its port, or a configured
//   public name. A DNS-rebinding page (http://evil.example:5174 resolving to 127.0.0.1) sends
//   `Host: evil.example:5174`: 421 Misdirected Request, nothing read, nothing written.
// - Origin, when the request carries one, must be this server's own: a foreign page's request is
//   refused with 403, reads included (a GET with a foreign Origin is a page probing us).
// - A state-changing request (anything but GET/HEAD/OPTIONS) needs either
//     * a browser proof: Origin is ours AND the X-CSRF-Token header holds the session's token
//       (one per server in local mode, one per login in shared mode), or
//     * a non-browser proof: `Authorization: Bearer <token>` (the server's token, written to the
//       lock file readable by its owner only), for the CLI and scripts.
//   A state-changing request with no Origin and no bearer token is refused (403). Every browser
//   in use sends Origin on a non-GET fetch, form post or XHR, same-origin or not, so a request
//   without it is either not from a browser (then it can carry the token) or from a browser or
//   extension that strips it, where we cannot tell the user's page from an attacker's: refusing
//   is the only safe answer. A custom header (X-CSRF-Token, Authorization) cannot be added to a
//   cross-origin request without a CORS preflight, and the server grants none.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface GuardOptions {
  port: number;
  /** extra host names the server answers to (a public name behind a reverse proxy), with or without :port */
  publicNames?: string[];
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

export function allowedHosts(o: GuardOptions): Set<string> {
  const hosts = new Set<string>();
  for (const h of LOOPBACK) {
    hosts.add(`${h}:${o.port}`);
    if (o.port === 80) hosts.add(h);
  }
  for (const n of o.publicNames ?? []) hosts.add(n.toLowerCase());
  return hosts;
}

export function allowedOrigins(o: GuardOptions): Set<string> {
  const origins = new Set<string>();
  for (const h of allowedHosts(o)) {
    const isPublic = !LOOPBACK.some((l) => h === l || h.startsWith(`${l}:`));
    origins.add(`http://${h}`);
    if (isPublic) origins.add(`https://${h}`);
  }
  return origins;
}

export const sameSecret = (a: string | undefined, b: string | undefined): boolean => {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export type Verdict = { ok: true; via: 'read' | 'browser' | 'token' } | { ok: false; status: 421 | 403; error: string };

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The Host and Origin checks (the CSRF token is checked by the caller, who knows the session). */
export function checkRequest(req: IncomingMessage, o: GuardOptions, serverToken: string): Verdict & { needsCsrf?: boolean } {
  const host = (header(req, 'host') ?? '').toLowerCase();
  if (!allowedHosts(o).has(host)) return { ok: false, status: 421, error: `refused: this server does not answer to the host "${host}" (DNS rebinding protection)` };
  const origin = header(req, 'origin');
  if (origin !== undefined && !allowedOrigins(o).has(origin.toLowerCase())) return { ok: false, status: 403, error: `refused: requests from ${origin} are not accepted` };
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return { ok: true, via: 'read' };
  const auth = header(req, 'authorization');
  if (auth !== undefined) {
    const m = /^Bearer (.+)$/.exec(auth);
    if (m && sameSecret(m[1], serverToken)) return { ok: true, via: 'token' };
    return { ok: false, status: 403, error: 'refused: the bearer token is not this server\'s' };
  }
  if (origin === undefined) return { ok: false, status: 403, error: 'refused: a request that changes something must come from the editor (Origin header) or carry the server\'s token (Authorization: Bearer ...)' };
  return { ok: true, via: 'browser', needsCsrf: true };
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}
