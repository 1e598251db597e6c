// Accounts of the shared server: local users with a role, passwords hashed with scrypt
// (node:crypto; N=2^15, r=8, p=1, 16-byte salt, 64-byte key) and compared in constant time,
// sessions as random tokens kept only as their sha256 in the database, and login rate limiting.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from './db.ts';

export const ROLES = ['author', 'reviewer', 'chair', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do. Nobody approves their own proposal, whatever the role (checked apart). */
export const PERMISSIONS = {
  read: ['reader', 'author', 'reviewer', 'chair'],
  propose: ['author', 'chair'],
  comment: ['author', 'reviewer', 'chair'],
  review: ['reviewer', 'chair'],
  merge: ['chair'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;
export const may = (role: string, p: Permission): boolean => (PERMISSIONS[p] as readonly string[]).includes(role);

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** Lower the cost of new hashes (tests only: a stored hash carries its own cost). */
export function setScryptCost(N: number): void { SCRYPT.N = N; }
const scrypt = (password: string, salt: Buffer, len: number, o: ScryptOptions) =>
  new Promise<Buffer>((ok, fail) => scryptCb(password, salt, len, o, (e, k) => (e ? fail(e) : ok(k))));

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 64, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// A hash to compare against when the user does not exist, so that both answers take as long.
let dummy: Promise<string> | undefined;

export const NAME = /^[a-z][a-z0-9._-]{0,39}$/;
export const MIN_PASSWORD = 10;

export interface User { name: string; role: Role; email: string | null; created_at: string }

export async function addUser(db: Db, name: string, role: string, password: string, email?: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`"${name}": a user name is lower-case letters, digits, ".", "_" or "-", starting with a letter, at most 40 characters`);
  if (!(ROLES as readonly string[]).includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  if (password.length < MIN_PASSWORD) throw new Error(`the password must have at least ${MIN_PASSWORD} characters`);
  if (email !== undefined && !/^[^\s<>@]+@[^\s<>@]+$/.test(email)) throw new Error(`"${email}" is not an e-mail address`);
  const hash = await hashPassword(password);
  await db.transaction(async () => {
    if (await db.get('SELECT name FROM users WHERE name = ?', [name])) throw new Error(`the user ${name} exists already`);
    await db.run('INSERT INTO users (name, role, email, password, created_at) VALUES (?, ?, ?, ?, ?)', [name, role, email ?? null, hash, new Date().toISOString()]);
  });
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.all<User>('SELECT name, role, email, created_at FROM users ORDER BY name');
}

export async function removeUser(db: Db, name: string): Promise<boolean> {
  return db.transaction(async () => {
    await db.run('DELETE FROM sessions WHERE user_name = ?', [name]);
    // A member who wrote or reviewed stays in the records: the account is disabled, not deleted.
    const used = await db.get('SELECT 1 AS x FROM audit WHERE actor = ?', [name]);
    if (used) return (await db.run("UPDATE users SET password = 'disabled' WHERE name = ?", [name])) > 0;
    return (await db.run('DELETE FROM users WHERE name = ?', [name])) > 0;
  });
}

export async function checkLogin(db: Db, name: string, password: string): Promise<User | undefined> {
  const row = NAME.test(name) ? await db.get<User & { password: string }>('SELECT name, role, email, created_at, password FROM users WHERE name = ?', [name]) : undefined;
  if (!row) {
    dummy ??= hashPassword('not a password of anyone');
    await verifyPassword(password, await dummy);
    return undefined;
  }
  if (!(await verifyPassword(password, row.password))) return undefined;
  const { password: _, ...user } = row;
  return user;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const SESSION_HOURS = 12;

export async function createSession(db: Db, user: string): Promise<{ token: string; csrf: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const now = new Date();
  await db.run('INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [sha256(token), user, csrf, now.toISOString(), new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString()]);
  return { token, csrf };
}

export async function sessionOf(db: Db, token: string): Promise<{ user: string; role: Role; csrf: string } | undefined> {
  const row = await db.get<{ user_name: string; role: Role; csrf: string; expires_at: string }>(
    'SELECT s.user_name, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?', [sha256(token)]);
  if (!row || row.expires_at < new Date().toISOString()) return undefined;
  return { user: row.user_name, role: row.role, csrf: row.csrf };
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.run('DELETE FROM sessions WHERE token_hash = ?', [sha256(token)]);
}

/**
 * At most `limit` failed logins per user name, and `ipLimit` per client address (keys `ip:...`;
 * higher, since a committee may sit behind one address), in `windowMs`.
 */
export class LoginLimiter {
  private failures = new Map<string, number[]>();
  constructor(private limit = 5, private windowMs = 15 * 60_000, private ipLimit = 50, private now = () => Date.now()) {}
  private recent(key: string): number[] {
    const t = this.now();
    const list = (this.failures.get(key) ?? []).filter((x) => t - x < this.windowMs);
    this.failures.set(key, list);
    return list;
  }
  /** seconds to wait, or 0 when a try is allowed */
  retryAfter(keys: string[]): number {
    let wait = 0;
    for (const k of keys) {
      const list = this.recent(k);
      if (list.length >= (k.startsWith('ip:') ? this.ipLimit : this.limit)) wait = Math.max(wait, Math.ceil((list[0] + this.windowMs - this.now()) / 1000));
    }
    return wait;
  }
  fail(keys: string[]): void { for (const k of keys) this.recent(k).push(this.now()); }
  succeed(key: string): void { this.failures.delete(key); }
}
