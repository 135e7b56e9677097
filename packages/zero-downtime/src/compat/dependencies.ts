import fs from 'node:fs';
import path from 'node:path';
import { CompatError } from './errors';
import { runCommand } from '../core/processes';
import { tail } from './processes';

export type DependencySource = 'shared with the head (same package-lock.json)' | 'npm ci';

/**
 * The base needs its own dependencies to run its own code. When its lock file is the head's,
 * the head's node_modules is the same tree and is linked; otherwise `npm ci` installs the base's.
 */
export async function provideDependencies(
  headDir: string,
  baseDir: string,
  logFile: string,
): Promise<DependencySource> {
  const headModules = path.join(headDir, 'node_modules');
  if (!fs.existsSync(headModules)) {
    throw new CompatError(
      'COMPAT_DEPENDENCIES_FAILED',
      `${headModules} does not exist: run \`npm ci\` in the project before the compat gate.`,
    );
  }
  if (sameLockFile(headDir, baseDir)) {
    fs.symlinkSync(fs.realpathSync(headModules), path.join(baseDir, 'node_modules'), 'dir');
    return 'shared with the head (same package-lock.json)';
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = await runCommand(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: baseDir,
    env: process.env,
    logFile,
  });
  if (result.code !== 0) {
    throw new CompatError(
      'COMPAT_DEPENDENCIES_FAILED',
      `npm ci failed in the base's worktree (full log: ${logFile}):\n${tail(result.output)}`,
    );
  }
  return 'npm ci';
}

function sameLockFile(headDir: string, baseDir: string): boolean {
  const read = (dir: string) => fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
  try {
    return read(headDir) === read(baseDir);
  } catch {
    return false;
  }
}
