// Committing a merged proposal to git: the repository stays the source of truth. The author is
// the proposal's author; the message carries the rationale and trailers naming the author, the
// approvers, the chair who merged and the proposal (which makes a commit findable again when the
// server was killed between the commit and its record in the database).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Person { name: string; email: string | null }
export const emailOf = (p: Person) => p.email ?? `${p.name}@users.noreply.guideline`;
const ident = (p: Person) => `${p.name} <${emailOf(p)}>`;

function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).toString().trim();
}

const roots = new Map<string, string | undefined>();
/** The repository's top folder, or undefined when the guideline folder is not in a git work tree. */
export function gitRoot(dir: string): string | undefined {
  if (!roots.has(dir)) { try { roots.set(dir, git(dir, ['rev-parse', '--show-toplevel'])); } catch { roots.set(dir, undefined); } }
  return roots.get(dir);
}

/** The commit that recorded `proposal`, if one exists on HEAD's history (recent ones first). */
export function commitOfProposal(dir: string, proposal: string): string | undefined {
  try {
    const out = git(dir, ['log', '-n', '1', '--format=%H', '--fixed-strings', `--grep=Proposal: ${proposal}`, 'HEAD']);
    return out || undefined;
  } catch { return undefined; }
}

/** After taking over the folder from a server that died: a git index lock it left behind is stale. */
export function clearStaleIndexLock(dir: string): boolean {
  const root = gitRoot(dir);
  if (!root) return false;
  const lock = join(git(dir, ['rev-parse', '--absolute-git-dir']), 'index.lock');
  if (!existsSync(lock)) return false;
  rmSync(lock, { force: true });
  return true;
}

export interface MergeCommit {
  proposal: string;
  title: string;
  rationale: string;
  author: Person;
  approvers: Person[];
  mergedBy: Person;
  /** paths relative to the guideline folder */
  paths: string[];
}

export function commitMessage(m: MergeCommit): string {
  const trailers = [
    `Proposal: ${m.proposal}`,
    `Co-authored-by: ${ident(m.author)}`,
    ...m.approvers.map((a) => `Approved-by: ${ident(a)}`),
    `Merged-by: ${ident(m.mergedBy)}`,
  ];
  return `${m.title}\n\n${m.rationale.trim()}\n\n${trailers.join('\n')}\n`;
}

/**
 * Commit exactly `paths` (nothing else the user may have staged); the commit's sha. `recovering`:
 * the server died during this merge, so the commit may exist already (found by its trailer).
 */
export function commitMerge(dir: string, m: MergeCommit, recovering = false): string | undefined {
  if (!gitRoot(dir)) return undefined;
  if (recovering) {
    const done = commitOfProposal(dir, m.proposal);
    if (done) return done;
  }
  git(dir, ['add', '--', ...m.paths]);
  const env = { GIT_COMMITTER_NAME: 'guideline committee server', GIT_COMMITTER_EMAIL: 'server@users.noreply.guideline', GIT_AUTHOR_NAME: m.author.name, GIT_AUTHOR_EMAIL: emailOf(m.author) };
  git(dir, ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '--allow-empty', '-m', commitMessage(m), '--', ...m.paths], env);
  return git(dir, ['rev-parse', 'HEAD']);
}
