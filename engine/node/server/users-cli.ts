// `guideline users add NAME --role author|reviewer|chair|reader [--email E] [--db sqlite:committee.db]`
// `guideline users list [--db ...]`, `guideline users remove NAME [--db ...]`.
// The password is read from standard input (one line; typed at the prompt, or piped) or from the
// GUIDELINE_PASSWORD environment variable; it never appears on the command line.
import { parseArgs } from 'node:util';
import { addUser, listUsers, MIN_PASSWORD, removeUser, ROLES } from './accounts.ts';
import { openDb } from './db.ts';

export const USERS_USAGE = `  users add NAME --role ${ROLES.join('|')} [--email address] [--db sqlite:committee.db]
                                       add an account (password from stdin or GUIDELINE_PASSWORD)
  users list [--db ...]                the accounts and their roles
  users remove NAME [--db ...]         remove an account (disabled if it has a record)`;

interface Io { out: (s: string) => void; err: (s: string) => void }

async function readPassword(io: Io): Promise<string> {
  if (process.env.GUIDELINE_PASSWORD) return process.env.GUIDELINE_PASSWORD;
  if (process.stdin.isTTY) io.err(`password (at least ${MIN_PASSWORD} characters): `);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

export async function runUsers(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { role: { type: 'string' }, email: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (e) { io.err(`${(e as Error).message}\n\nusage:\n${USERS_USAGE}\n`); return 2; }
  const { values, positionals } = parsed;
  const [sub, name] = positionals;
  if (values.help || !sub) { (values.help ? io.out : io.err)(`usage:\n${USERS_USAGE}\n`); return values.help ? 0 : 2; }
  const usage = (m: string) => { io.err(`${m}\n\nusage:\n${USERS_USAGE}\n`); return 2; };
  if (!['add', 'list', 'remove'].includes(sub)) return usage(`unknown users command "${sub}"`);
  if ((sub === 'add' || sub === 'remove') && !name) return usage(`users ${sub} needs a NAME`);
  if (sub === 'add' && !values.role) return usage('users add needs --role');
  let db;
  try {
    db = await openDb(values.db ?? 'sqlite:committee.db');
    if (sub === 'add') {
      await addUser(db, name, values.role!, await readPassword(io), values.email);
      io.out(`added ${name} (${values.role}) to ${db.where}\n`);
    } else if (sub === 'list') {
      for (const u of await listUsers(db)) io.out(`${u.name}\t${u.role}${u.email ? `\t${u.email}` : ''}\n`);
    } else {
      if (!(await removeUser(db, name))) { io.err(`no user ${name}\n`); return 1; }
      io.out(`removed ${name}\n`);
    }
    return 0;
  } catch (e) {
    io.err(`${(e as Error).message}\n`);
    return 1;
  } finally {
    await db?.close();
  }
}
