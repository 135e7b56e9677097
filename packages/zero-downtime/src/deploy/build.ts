import fs from 'node:fs';
import path from 'node:path';
import { runChecked, startCommand, commandFailure } from '../core/processes';
import { resolveCommit as gitResolveCommit } from '../core/git';
import { linkDependencies, workspacePackages } from './dependencies';
import { DeployError } from './errors';
import { markBuilding, markComplete, readRelease, releaseDir, type Release } from './releases';
import type { Reporter } from './reporter';

export interface BuildOptions {
  /** A git checkout holding the commit to deploy. */
  source: string;
  /** Any commit-ish of `source`. */
  ref: string;
  root: string;
  reporter: Reporter;
  env?: NodeJS.ProcessEnv;
}

/** The commit a ref names, in full. */
export async function resolveCommit(source: string, ref: string): Promise<string> {
  const commit = await gitResolveCommit(source, ref);
  if (!commit) {
    throw new DeployError('BUILD_FAILED', `${ref} is not a commit of the git checkout ${source}`);
  }
  return commit;
}

export function releaseIdFor(commit: string): string {
  return commit.slice(0, 12);
}

/**
 * Builds `<root>/releases/<commit>`: the files of the commit (git archive, so nothing
 * uncommitted slips in), its dependencies, `npm run build`, and REVISION holding the commit
 * (what /health reports). A release already built for that commit is reused as it is.
 */
export async function buildRelease(options: BuildOptions): Promise<Release> {
  const commit = await resolveCommit(options.source, options.ref);
  const id = releaseIdFor(commit);
  const existing = readRelease(options.root, id);
  if (existing) {
    options.reporter.info(`release ${id} is already built; reusing it`);
    return existing;
  }
  const dir = releaseDir(options.root, id);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // Until markComplete: pruning leaves a folder alone while its builder runs.
  markBuilding(dir);
  options.reporter.info(`building release ${id} (commit ${commit}) in ${dir}`);
  try {
    await extractCommit(options.source, commit, dir, options.reporter);
    fs.writeFileSync(path.join(dir, 'REVISION'), `${commit}\n`);
    linkSharedEnv(options.root, dir, options.reporter);
    await linkDependencies({
      root: options.root,
      releaseDir: dir,
      seedFrom: options.source,
      reporter: options.reporter,
      env: options.env,
    });
    // The compiler runs at low CPU priority (nice): on a host that also serves, the instances
    // keep their throughput while the next release builds beside them.
    for (const folder of workspacePackages(dir).values()) {
      await runChecked('nice', ['-n', '10', 'npm', 'run', 'build', '--if-present', '--silent'], {
        cwd: path.join(dir, folder),
        env: options.env,
        reporter: options.reporter,
        label: `npm run build (${folder})`,
      });
    }
    await runChecked('nice', ['-n', '10', 'npm', 'run', 'build', '--silent'], {
      cwd: dir,
      env: options.env,
      reporter: options.reporter,
      label: 'npm run build',
    });
  } catch (error) {
    throw new DeployError(
      'BUILD_FAILED',
      `building release ${id} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const release = { id, commit, dir };
  markComplete(release, { ref: options.ref });
  return release;
}

async function extractCommit(
  source: string,
  commit: string,
  dir: string,
  reporter: Reporter,
): Promise<void> {
  const archive = startCommand('git', ['-C', source, 'archive', '--format=tar', commit], {
    reporter,
    rawStdout: true,
  });
  const extract = startCommand('tar', ['-x', '-C', dir], { reporter, stdin: archive.stdout });
  const [archived, extracted] = await Promise.all([archive.exited, extract.exited]);
  if (archived.code !== 0) throw commandFailure('git', ['archive', commit], archived);
  if (extracted.code !== 0) throw commandFailure('tar', ['-x', '-C', dir], extracted);
}

/** Secrets stay out of git: `<root>/shared/.env`, when present, is linked into the release. */
function linkSharedEnv(root: string, dir: string, reporter: Reporter): void {
  const shared = path.join(root, 'shared', '.env');
  if (!fs.existsSync(shared)) return;
  const target = path.join(dir, '.env');
  if (fs.existsSync(target)) {
    reporter.warn(`the commit contains a .env file; ${shared} is not linked over it`);
    return;
  }
  fs.symlinkSync(path.relative(dir, shared), target);
}
