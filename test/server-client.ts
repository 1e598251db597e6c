// A raw HTTP client for the server tests: sends exactly the headers given (Host, Origin, Cookie,
// X-CSRF-Token, Authorization), as an attacker's page or a script would.
import { request } from 'node:http';

export interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; json(): any }

export function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        ok({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', fail);
    });
    req.on('error', (e) => {
      // The server may answer (413) and close before the whole body is sent.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET') ok({ status: -1, headers: {}, text: String(e), json: () => ({}) });
      else fail(e);
    });
    if (body !== undefined) req.end(body); else req.end();
  });
}

/** A client that behaves like the editor in a browser tab: own Origin, the session's CSRF token, its cookie. */
export class Client {
  cookie?: string;
  csrf?: string;
  constructor(public port: number, public origin = `http://127.0.0.1:${port}`) {}
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { origin: this.origin, ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}), ...extra };
  }
  async session(): Promise<any> {
    const r = await raw(this.port, 'GET', '/api/session', this.headers());
    const s = r.json();
    this.csrf = s.csrf;
    return s;
  }
  get(path: string): Promise<Answer> { return raw(this.port, 'GET', path, this.headers()); }
  send(method: string, path: string, body: unknown): Promise<Answer> {
    return raw(this.port, method, path, this.headers({ 'content-type': 'application/json' }), JSON.stringify(body));
  }
  async login(name: string, password: string): Promise<Answer> {
    const r = await raw(this.port, 'POST', '/api/login', this.headers({ 'content-type': 'application/json' }), JSON.stringify({ name, password }));
    const set = r.headers['set-cookie'];
    const c = (Array.isArray(set) ? set : set ? [set] : []).find((x) => x.startsWith('gl_session='));
    if (c) this.cookie = c.split(';')[0];
    if (r.status === 200) this.csrf = r.json().csrf;
    return r;
  }
}
