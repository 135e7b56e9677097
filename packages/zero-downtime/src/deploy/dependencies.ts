import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runChecked } from '../core/processes';
import type { Reporter } from './reporter';

/**
 * Installed dependencies live once per package-lock.json under
 * `<root>/shared/node_modules/<lock hash>/node_modules`, and each release links to its set.
 * A release whose lock file did not change costs nothing; a new lock file costs one install.
 * The set is never modified after it is complete, so releases sharing it cannot disturb each
 * other (a rollback finds its dependencies exactly as they were).
 *
 * The set built here has the development dependencies too (the build needs TypeScript, the
 * migrations run with tsx). What the ssh target copies to its hosts is the production set
 * beside it, `<lock hash>-production`: the same tree without them, made once per lock file.
 */
const COMPLETE_MARK = '.complete';
const PRODUCTION_SUFFIX = '-production';

export function lockHash(dir: string): string {
  const lock = fs.readFileSync(path.join(dir, 'package-lock.json'));
  return createHash('sha256').update(lock).digest('hex').slice(0, 16);
}

export function dependencyStore(root: string, hash: string): string {
  return path.join(root, 'shared', 'node_modules', hash);
}

/** The production-only set for a lock file (what hosts get), beside the full one. */
export function productionStore(root: string, hash: string): string {
  return `${dependencyStore(root, hash)}${PRODUCTION_SUFFIX}`;
}

/**
 * Gives `<release>/node_modules` the installed set for its lock file, installing it first
 * when needed: hard-linked from `seedFrom/node_modules` when that checkout has the same lock
 * file (the checkout running the deploy usually does), else `npm ci`. The release's
 * node_modules is a folder of relative links into the set (so a release copied to another
 * host keeps working links), except its workspace packages (npm workspaces, such as the
 * toolkit), which link to the release's own copy: their code belongs to the commit, not to the
 * lock file.
 */
export async function linkDependencies(options: {
  root: string;
  releaseDir: string;
  seedFrom?: string;
  reporter: Reporter;
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  const store = await installDependencies({ ...options, packageDir: options.releaseDir });
  const modules = path.join(options.releaseDir, 'node_modules');
  fs.rmSync(modules, { recursive: true, force: true });
  mirrorModules(
    path.join(store, 'node_modules'),
    modules,
    workspacePackages(options.releaseDir),
    options.releaseDir,
  );
  return store;
}

/** Workspace packages of a project, from its lock file: package name -> folder. */
export function workspacePackages(projectDir: string): Map<string, string> {
  const lock = JSON.parse(fs.readFileSync(path.join(projectDir, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, { link?: boolean; resolved?: string }>;
  };
  const found = new Map<string, string>();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (entry.link && entry.resolved && key.startsWith('node_modules/')) {
      found.set(key.slice('node_modules/'.length), entry.resolved);
    }
  }
  return found;
}

function mirrorModules(
  from: string,
  to: string,
  workspaces: Map<string, string>,
  projectDir: string,
  scope = '',
): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from)) {
    const name = scope ? `${scope}/${entry}` : entry;
    const source = path.join(from, entry);
    const target = path.join(to, entry);
    if (entry === '.bin') {
      fs.mkdirSync(target);
      for (const bin of fs.readdirSync(source)) {
        fs.symlinkSync(fs.readlinkSync(path.join(source, bin)), path.join(target, bin));
      }
    } else if (entry.startsWith('.')) {
      continue;
    } else if (!scope && entry.startsWith('@')) {
      mirrorModules(source, target, workspaces, projectDir, entry);
    } else {
      const workspace = workspaces.get(name);
      const real = workspace ? path.join(projectDir, workspace) : source;
      fs.symlinkSync(path.relative(to, real), target);
    }
  }
}

/** The installed set for `packageDir`'s lock file in `root`, installed first when missing. */
export async function installDependencies(options: {
  root: string;
  packageDir: string;
  seedFrom?: string;
  reporter: Reporter;
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  const hash = lockHash(options.packageDir);
  const store = dependencyStore(options.root, hash);
  if (fs.existsSync(path.join(store, COMPLETE_MARK))) {
    options.reporter.info(`dependencies: reusing the set installed for lock file ${hash}`);
    return store;
  }
  fs.rmSync(store, { recursive: true, force: true });
  fs.mkdirSync(store, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) {
    fs.copyFileSync(path.join(options.packageDir, file), path.join(store, file));
  }
  copyWorkspaceManifests(options.packageDir, store);
  const seed = options.seedFrom && path.join(options.seedFrom, 'node_modules');
  if (seed && fs.existsSync(seed) && lockHash(options.seedFrom!) === hash) {
    // A checkout whose node_modules is itself a link: copy what it points to.
    const real = fs.realpathSync(seed);
    options.reporter.info(`dependencies: hard-linking ${real} (same package-lock.json)`);
    await copyTree(real, path.join(store, 'node_modules'), options.reporter);
  } else {
    options.reporter.info(`dependencies: npm ci for lock file ${hash}`);
    await runChecked('npm', ['ci', '--include=dev', '--no-audit', '--no-fund'], {
      cwd: store,
      env: options.env,
      reporter: options.reporter,
    });
  }
  fs.writeFileSync(path.join(store, COMPLETE_MARK), `${new Date().toISOString()}\n`);
  return store;
}

/**
 * `npm ci` of a project with workspaces needs their package.json files. Their scripts are left
 * out: the set holds no workspace code (releases link their own), so there is nothing to build.
 */
function copyWorkspaceManifests(projectDir: string, store: string): void {
  for (const folder of workspacePackages(projectDir).values()) {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(projectDir, folder, 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    delete manifest.scripts;
    fs.mkdirSync(path.join(store, folder), { recursive: true });
    fs.writeFileSync(path.join(store, folder, 'package.json'), JSON.stringify(manifest, null, 2));
  }
}

/**
 * The production dependencies of `packageDir`'s lock file, made once from the full set: a
 * hard-linked copy of it, pruned with `npm prune --omit=dev` (npm removes files and writes new
 * ones, never into a linked file: its own `.package-lock.json` is made a file of its own first,
 * so the full set stays as it was). Reused while complete.
 */
export async function installProductionDependencies(options: {
  root: string;
  packageDir: string;
  seedFrom?: string;
  reporter: Reporter;
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  const hash = lockHash(options.packageDir);
  const store = productionStore(options.root, hash);
  if (fs.existsSync(path.join(store, COMPLETE_MARK))) {
    options.reporter.info(`dependencies for the hosts: reusing the production set for ${hash}`);
    return store;
  }
  const full = await installDependencies(options);
  options.reporter.info(`dependencies for the hosts: pruning a copy of ${hash} to production`);
  fs.rmSync(store, { recursive: true, force: true });
  fs.mkdirSync(store, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) {
    fs.copyFileSync(path.join(full, file), path.join(store, file));
  }
  copyWorkspaceManifests(options.packageDir, store);
  await copyTree(
    path.join(full, 'node_modules'),
    path.join(store, 'node_modules'),
    options.reporter,
  );
  const hidden = path.join(store, 'node_modules', '.package-lock.json');
  if (fs.existsSync(hidden)) {
    const content = fs.readFileSync(hidden);
    fs.rmSync(hidden);
    fs.writeFileSync(hidden, content);
  }
  await runChecked('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], {
    cwd: store,
    env: { ...options.env, NODE_ENV: 'production' },
    reporter: options.reporter,
    label: 'npm prune',
  });
  fs.writeFileSync(path.join(store, COMPLETE_MARK), `${new Date().toISOString()}\n`);
  return store;
}

/** Hard links when source and destination share a file system, a plain copy otherwise. */
async function copyTree(from: string, to: string, reporter: Reporter): Promise<void> {
  try {
    await runChecked('cp', ['-al', from, to], { reporter });
  } catch {
    fs.rmSync(to, { recursive: true, force: true });
    await runChecked('cp', ['-a', from, to], { reporter });
  }
}

/** Removes installed sets (full and production) no remaining release links to. */
export function pruneDependencies(root: string, releaseDirs: string[]): string[] {
  const base = path.join(root, 'shared', 'node_modules');
  if (!fs.existsSync(base)) return [];
  const used = new Set(
    releaseDirs
      .filter((dir) => fs.existsSync(path.join(dir, 'package-lock.json')))
      .map((dir) => lockHash(dir)),
  );
  const removed = fs
    .readdirSync(base)
    .filter((name) => !used.has(name.replace(new RegExp(`${PRODUCTION_SUFFIX}$`), '')));
  for (const hash of removed) fs.rmSync(path.join(base, hash), { recursive: true, force: true });
  return removed;
}
