// The Review view's git side (GET /api/revisions, GET /api/revision?rev=...): the last commit and
// the last tag of the repository that holds the guideline folder, and the guideline's files as
// they were at one of them, read with git itself (no checkout, no shell, the revision name checked
// before git sees it). Behind the server's guard like every /api/ path. A folder outside any git
// repository gets a plain answer saying so, never an error page.
import { EngineError } from '../../runtime/errors.ts';
import { checkRevisionName, findRepo, readSourceFilesAtRevision, recentRevisions } from '../git.ts';

type Answer = [status: number, body: unknown];

export const NOT_A_REPO = 'The guideline folder is not in a git repository, so there is no saved history to compare with. Commit it (git init; git add; git commit) to compare with a revision.';

export function revisionsAnswer(dir: string): Answer {
  if (!findRepo(dir)) return [200, { repository: false, message: NOT_A_REPO, revisions: [] }];
  const revisions = recentRevisions(dir);
  return [200, { repository: true, revisions, ...(revisions.length ? {} : { message: 'The repository has no commit yet.' }) }];
}

export function revisionAnswer(dir: string, rev: string): Answer {
  try {
    checkRevisionName(rev);
  } catch (e) {
    return [400, { error: `refused: ${(e as Error).message}` }];
  }
  if (!findRepo(dir)) return [404, { error: NOT_A_REPO }];
  try {
    return [200, { rev, files: readSourceFilesAtRevision(dir, rev) }];
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    return [404, { error: `No guideline at revision "${rev}": ${e.message.replace(/^git \S+ failed: /, '')}` }];
  }
}
