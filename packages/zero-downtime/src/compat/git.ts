import fs from 'node:fs';
import path from 'node:path';
import { CompatError } from './errors';
import { runCommand } from './processes';

/** The base version checked out beside the head, sharing its object store. */
export interface Worktree {
  dir: string;
  commit: string;
  remove(): Promise<void>;
}

async function git(repoDir: string, args: string[]) {
  return runCommand('git', args, { cwd: repoDir, env: process.env });
}

export async function repositoryRoot(dir: string): Promise<string> {
  const result = await git(dir, ['rev-parse', '--show-toplevel']);
  if (result.code !== 0) {
    throw new CompatError(
      'COMPAT_NOT_A_REPOSITORY',
      `${dir} is not inside a git repository: the compat gate checks out the base version with git worktree.`,
    );
  }
  return result.output.trim();
}

export async function resolveCommit(repoDir: string, ref: string): Promise<string> {
  const result = await git(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (result.code !== 0) {
    throw new CompatError(
      'COMPAT_UNKNOWN_REF',
      `the base "${ref}" is not a commit of this repository. Fetch it first (for example ` +
        `\`git fetch origin master\` then --base origin/master); in GitHub Actions check out ` +
        `with fetch-depth: 0.`,
    );
  }
  return result.output.trim();
}

/** A short description of the head: its commit, and whether uncommitted changes are included. */
export async function describeHead(repoDir: string): Promise<string> {
  const commit = (await git(repoDir, ['rev-parse', '--short', 'HEAD'])).output.trim();
  const dirty = (await git(repoDir, ['status', '--porcelain', '--untracked-files=no'])).output;
  return dirty.trim() ? `${commit} + uncommitted changes` : commit;
}

export async function addWorktree(repoDir: string, commit: string, dir: string): Promise<Worktree> {
  const result = await git(repoDir, ['worktree', 'add', '--detach', dir, commit]);
  if (result.code !== 0) throw new Error(`git worktree add failed: ${result.output.trim()}`);
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
  if (removed.code !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    await git(repoDir, ['worktree', 'prune']);
  }
}
