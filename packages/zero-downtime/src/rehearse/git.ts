import {
  git,
  repositoryRoot as gitRepositoryRoot,
  resolveCommit as gitResolveCommit,
} from '../core/git';
import { RehearsalError } from './errors';

/** The git questions a rehearsal asks of the checkout it runs in. */
export async function repositoryRoot(dir: string): Promise<string> {
  const root = await gitRepositoryRoot(dir);
  if (!root) {
    throw new RehearsalError(
      'REHEARSAL_NOT_A_REPOSITORY',
      `${dir} is not inside a git repository: the rehearsal deploys commits, as the deploy does.`,
    );
  }
  return root;
}

export async function resolveCommit(dir: string, ref: string): Promise<string> {
  const commit = await gitResolveCommit(dir, ref);
  if (!commit) {
    throw new RehearsalError(
      'REHEARSAL_UNKNOWN_REF',
      `"${ref}" is not a commit of this repository. Fetch it first (for example ` +
        '`git fetch origin master`, then --base origin/master); in GitHub Actions check out ' +
        'with fetch-depth: 0.',
    );
  }
  return commit;
}

const MAIN_BRANCHES = ['origin/master', 'origin/main', 'master', 'main'];

/**
 * What served before this change: the merge base with the main branch, or, on the main branch
 * itself (or without one), the commit before HEAD.
 */
export async function defaultBase(dir: string): Promise<{ ref: string; commit: string }> {
  const head = await resolveCommit(dir, 'HEAD');
  for (const branch of MAIN_BRANCHES) {
    const base = await git(dir, ['merge-base', 'HEAD', branch]);
    if (base.ok && base.out && base.out !== head) {
      return { ref: `merge base with ${branch}`, commit: base.out };
    }
  }
  return { ref: 'HEAD~1', commit: await resolveCommit(dir, 'HEAD~1') };
}

export async function commitHasFile(dir: string, commit: string, file: string): Promise<boolean> {
  return (await git(dir, ['cat-file', '-e', `${commit}:${file}`])).ok;
}

/** Tracked files changed and not committed: the deploy builds commits, so they are left out. */
export async function hasUncommittedChanges(dir: string): Promise<boolean> {
  const result = await git(dir, ['status', '--porcelain', '--untracked-files=no']);
  return result.ok && result.out !== '';
}
