// `guideline serve` (and `npm start`): the editor's server for one person on 127.0.0.1, or with
// --shared the committee's server with accounts, proposals and reviews. Its own module with its
// own argument parsing (node:util parseArgs), reached from cli.ts by one dispatch line.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer } from './server.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SERVE_USAGE = `  serve [--dir dir] [--port 5174] [--host 127.0.0.1] [--public-name host[:port]]... [--dev | --static dist/editor]
        [--shared [--db sqlite:committee.db | --db postgres://...] [--approvals 2]]
                                       the editor's server (127.0.0.1 only unless --host; a
                                       non-loopback --host needs --shared and accounts)`;

interface Io { out: (s: string) => void; err: (s: string) => void }
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export function guidelineDirOf(dir: string | undefined): string {
  if (dir) return resolve(dir);
  const root = join(ROOT, 'guideline');
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'manifest.json'))) : [];
  if (dirs.length !== 1) throw new Error(`cannot choose a guideline folder under ${root} (found ${dirs.length}); pass --dir`);
  return join(root, dirs[0]);
}

/** `guideline serve ...`: starts the server and keeps running until SIGINT/SIGTERM. Resolves to an exit code only on failure to start. */
export async function runServe(argv: string[], io: Io = stdio): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'public-name': { type: 'string', multiple: true },
        dev: { type: 'boolean' }, static: { type: 'string' }, shared: { type: 'boolean' }, db: { type: 'string' }, approvals: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) { io.err(`${(e as Error).message}\n\nusage:\n${SERVE_USAGE}\n`); return 2; }
  try {
    const guidelineDir = guidelineDirOf(values.dir);
    const port = Number(values.port ?? process.env.PORT ?? 5174);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: not a port number`);
    let committee;
    if (values.shared) {
      const { openCommittee } = await import('./server/committee-api.ts');
      const approvals = Number(values.approvals ?? 2);
      if (!Number.isInteger(approvals) || approvals < 1) throw new Error('--approvals must be a whole number of at least 1');
      committee = await openCommittee({ db: values.db ?? 'sqlite:committee.db', approvals, secureCookies: true });
    } else if (values.db || values.approvals) throw new Error('--db and --approvals belong to the shared mode: add --shared');
    const s = await startServer({ guidelineDir, port, dev: values.dev, staticDir: values.static, host: values.host, publicNames: values['public-name'], committee });
    io.out(`Guideline ${values.shared ? 'committee server' : 'editor'} for ${guidelineDir}\n`);
    io.out(`Open ${s.url} in your browser (Ctrl+C stops the server${values.shared ? '' : '; unsaved drafts stay in the browser'}).\n`);
    const stop = () => { s.close().then(() => process.exit(0)); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return 0;
  } catch (e) {
    io.err(`${(e as Error).message}\n`);
    return 1;
  }
}

/** The dispatch entry of cli.ts: `serve` and `users`. */
export async function runServerCommand(command: 'serve' | 'users', argv: string[], io: Io = stdio): Promise<number> {
  if (command === 'serve') return runServe(argv, io);
  const { runUsers } = await import('./server/users-cli.ts');
  return runUsers(argv, io);
}
