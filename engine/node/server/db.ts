// One database layer for the committee: SQLite embedded (better-sqlite3), PostgreSQL for a shared
// deployment (the `pg` client, loaded only when a postgres:// URL is given) and PGlite in process
// (PostgreSQL compiled to WebAssembly: the tests, and a server without a database server). One
// schema, written once in the SQL both accept, and versioned migrations recorded in
// schema_migrations; the few statements that differ (the triggers keeping the audit trail
// append-only) are given per dialect. Statements use `?` placeholders, numbered for PostgreSQL.
//
// Every statement runs through one queue: a transaction holds the queue until it commits, so no
// statement of another request slips into it on the single connection.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  dialect: Dialect;
  /** where it lives, for messages */
  where: string;
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
  /** the number of rows changed */
  run(sql: string, params?: unknown[]): Promise<number>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface Driver {
  all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, params: unknown[]): Promise<number>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

const numbered = (sql: string) => { let i = 0; return sql.replace(/\?/g, () => `$${++i}`); };

async function sqliteDriver(path: string): Promise<Driver> {
  const { default: Database } = await import('better-sqlite3');
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // a commit is on disk before it is acknowledged
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return {
    all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, unknown>[],
    run: async (sql, params) => db.prepare(sql).run(...params).changes,
    exec: async (sql) => { db.exec(sql); },
    close: async () => { db.close(); },
  };
}

async function pgliteDriver(dataDir: string | undefined): Promise<Driver> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = dataDir ? new PGlite(dataDir) : new PGlite();
  await pg.waitReady;
  return {
    all: async (sql, params) => (await pg.query(numbered(sql), params)).rows as Record<string, unknown>[],
    run: async (sql, params) => (await pg.query(numbered(sql), params)).affectedRows ?? 0,
    exec: async (sql) => { await pg.exec(sql); },
    close: async () => { await pg.close(); },
  };
}

async function postgresDriver(url: string): Promise<Driver> {
  let pgModule: { default?: { Client: new (o: { connectionString: string }) => PgClient }; Client?: new (o: { connectionString: string }) => PgClient };
  try {
    pgModule = await import(/* @vite-ignore */ ['p', 'g'].join(''));
  } catch {
    throw new Error('a postgres:// database needs the PostgreSQL client: npm install pg (or use --db sqlite:committee.db, or --db pglite:<folder>)');
  }
  const Client = pgModule.default?.Client ?? pgModule.Client!;
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    all: async (sql, params) => (await client.query(numbered(sql), params)).rows,
    run: async (sql, params) => (await client.query(numbered(sql), params)).rowCount ?? 0,
    exec: async (sql) => { await client.query(sql); },
    close: async () => { await client.end(); },
  };
}
interface PgClient { connect(): Promise<void>; query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>; end(): Promise<void> }

/** `sqlite:<file>` (or `sqlite::memory:`), `pglite:` (in memory) / `pglite:<folder>`, `postgres://...`. */
export async function openDb(spec: string): Promise<Db> {
  let driver: Driver;
  let dialect: Dialect;
  if (spec.startsWith('sqlite:')) { driver = await sqliteDriver(spec.slice('sqlite:'.length) || ':memory:'); dialect = 'sqlite'; } else if (spec.startsWith('pglite:')) { driver = await pgliteDriver(spec.slice('pglite:'.length) || undefined); dialect = 'postgres'; } else if (/^postgres(ql)?:\/\//.test(spec)) { driver = await postgresDriver(spec); dialect = 'postgres'; } else throw new Error(`--db ${spec}: expected sqlite:<file>, pglite:[<folder>] or postgres://...`);

  const inTx = new AsyncLocalStorage<boolean>();
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    if (inTx.getStore()) return fn();
    const job = queue.then(fn);
    queue = job.catch(() => undefined);
    return job;
  };
  const db: Db = {
    dialect,
    where: spec.replace(/\/\/[^@/]*@/, '//***@'),
    all: (sql, params = []) => serial(() => driver.all(sql, params)) as Promise<never[]>,
    get: async (sql, params = []) => (await serial(() => driver.all(sql, params)))[0] as never,
    run: (sql, params = []) => serial(() => driver.run(sql, params)),
    transaction: (fn) => serial(() => inTx.run(true, async () => {
      await driver.exec(dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN');
      try {
        const r = await fn();
        await driver.exec('COMMIT');
        return r;
      } catch (e) {
        await driver.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    })),
    close: () => serial(() => driver.close()),
  };
  await migrate(db, driver);
  return db;
}

// ---------------------------------------------------------------------------------------------
// The schema. Text ids (random), ISO timestamps as text, integers for counts and flags: types both
// dialects read the same way.

interface Migration { version: number; name: string; sql: string[]; sqlite?: string[]; postgres?: string[] }

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'accounts, sessions, proposals, reviews, comments, audit trail',
    sql: [
      `CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('author', 'reviewer', 'chair', 'reader')),
        email TEXT,
        password TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
      `CREATE TABLE proposals (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        rationale TEXT NOT NULL,
        author TEXT NOT NULL REFERENCES users(name),
        status TEXT NOT NULL CHECK (status IN ('open', 'merging', 'merged', 'withdrawn')),
        revision INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        merged_at TEXT,
        merged_by TEXT REFERENCES users(name),
        merge_commit TEXT
      )`,
      `CREATE TABLE proposal_files (
        proposal_id TEXT NOT NULL REFERENCES proposals(id),
        path TEXT NOT NULL,
        base_version TEXT,
        text TEXT NOT NULL,
        PRIMARY KEY (proposal_id, path)
      )`,
      `CREATE TABLE reviews (
        id TEXT PRIMARY KEY,
        proposal_id TEXT NOT NULL REFERENCES proposals(id),
        reviewer TEXT NOT NULL REFERENCES users(name),
        revision INTEGER NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'request-changes')),
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE comments (
        id TEXT PRIMARY KEY,
        proposal_id TEXT NOT NULL REFERENCES proposals(id),
        author TEXT NOT NULL REFERENCES users(name),
        node TEXT,
        clause TEXT,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        proposal_id TEXT,
        node TEXT,
        detail TEXT NOT NULL
      )`,
      'CREATE INDEX audit_node ON audit (node, seq)',
      'CREATE INDEX reviews_proposal ON reviews (proposal_id, revision)',
    ],
    // The audit trail is append-only: the database itself refuses UPDATE and DELETE.
    sqlite: [
      `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END`,
      `CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END`,
    ],
    postgres: [
      `CREATE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$ LANGUAGE plpgsql`,
      'CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()',
    ],
  },
];

async function migrate(db: Db, driver: Driver): Promise<void> {
  await driver.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    await db.transaction(async () => {
      for (const s of [...m.sql, ...(db.dialect === 'sqlite' ? m.sqlite ?? [] : m.postgres ?? [])]) await driver.exec(s);
      await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
    });
  }
}

/** The migrations applied, in order (for `guideline users` and the tests). */
export async function schemaVersion(db: Db): Promise<number[]> {
  return (await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
}
