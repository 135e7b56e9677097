import fs from 'node:fs';
import path from 'node:path';
import { CompatError } from './errors';
import {
  git,
  repositoryRoot as gitRepositoryRoot,
  resolveCommit as gitResolveCommit,
} from '../core/git';

/** The base version checked out beside the head, sharing its object store. */
export interface Worktree {
  dir: string;
  commit: string;
  remove(): Promise<void>;
}

export async function repositoryRoot(dir: string): Promise<string> {
  const root = await gitRepositoryRoot(dir);
  if (!root) {
    throw new CompatError(
      'COMPAT_NOT_A_REPOSITORY',
      `${dir} is not inside a git repository: the compat gate checks out the base version with git worktree.`,
    );
  }
  return root;
}

export async function resolveCommit(repoDir: string, ref: string): Promise<string> {
  const commit = await gitResolveCommit(repoDir, ref);
  if (!commit) {
    throw new CompatError(
      'COMPAT_UNKNOWN_REF',
      `the base "${ref}" is not a commit of this repository. Fetch it first (for example ` +
        `\`git fetch origin master\` then --base origin/master); in GitHub Actions check out ` +
        `with fetch-depth: 0.`,
    );
  }
  return commit;
}

/** A short description of the head: its commit, and whether uncommitted changes are included. */
export async function describeHead(repoDir: string): Promise<string> {
  const commit = (await git(repoDir, ['rev-parse', '--short', 'HEAD'])).out;
  const dirty = (await git(repoDir, ['status', '--porcelain', '--untracked-files=no'])).out;
  return dirty.trim() ? `${commit} + uncommitted changes` : commit;
}

export async function addWorktree(repoDir: string, commit: string, dir: string): Promise<Worktree> {
  const result = await git(repoDir, ['worktree', 'add', '--detach', dir, commit]);
  if (!result.ok) {
    throw new CompatError('COMPAT_WORKTREE_FAILED', `git worktree add failed: ${result.out}`);
  }
  return { dir, commit, remove: () => removeWorktree(repoDir, dir) };
}

/**
 * The shared node_modules is a symlink into the head: it is unlinked first, so nothing that
 * removes the worktree can ever reach the head's dependencies.
 */
async function removeWorktree(repoDir: string, dir: string): Promise<void> {
  const modules = path.join(dir, 'node_modules');
  if (fs.lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(modules);
  const removed = await git(repoDir, ['worktree', 'remove', '--force', dir]);
  if (!removed.ok) {
    fs.rmSync(dir, { recursive: true, force: true });
    await git(repoDir, ['worktree', 'prune']);
  }
}
