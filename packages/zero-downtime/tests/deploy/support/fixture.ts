import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentReporter } from '../../../src/deploy';
import { installDependencies } from '../../../src/deploy/dependencies';
import { probeReady } from '../../../src/deploy/health';
import { cliSource, projectRoot, tsxCli } from '../../support/project';

/**
 * What deploy tests deploy: a throw-away git repository holding this project's last commit
 * (work in progress in the working tree stays out: releases are built from commits), where
 * tests add commits; and a way to run `npm run deploy` against it with PM2 in its own PM2_HOME.
 */
export interface SourceRepo {
  dir: string;
  head(): string;
  /** Applies the edits (path -> content, null deletes) and commits them; returns the commit. */
  commit(message: string, edits?: Record<string, string | null>): string;
  read(file: string): string;
}

export function createSourceRepo(): SourceRepo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-deploy-source-'));
  execFileSync('sh', ['-c', `git -C "${projectRoot}" archive HEAD | tar -x -C "${dir}"`]);
  // Same lock file: the deploy hard-links these instead of running npm ci.
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=deploy@test', '-c', 'user.name=deploy test', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'first release');
  return {
    dir,
    head: () => git('rev-parse', 'HEAD'),
    commit(message, edits = {}) {
      for (const [file, content] of Object.entries(edits)) {
        const target = path.join(dir, file);
        if (content === null) fs.rmSync(target, { force: true });
        else {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, content);
        }
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    read: (file) => fs.readFileSync(path.join(dir, file), 'utf8'),
  };
}

export interface DeployRun {
  code: number | null;
  output: string;
}

/** Deploy commands still running: a test that timed out leaves its deploy behind otherwise. */
const running = new Set<ChildProcess>();

/**
 * Every test file using this fixture kills, after each test, the deploys it started that are
 * still running (a test that failed or timed out), with everything they started (their process
 * group): a leftover deploy would hold the deploy lock and fail the next test.
 */
// Only under jest: the deploy benchmark imports this fixture too.
const afterEachTest: ((hook: () => void) => void) | undefined =
  typeof afterEach === 'function' ? afterEach : undefined;
afterEachTest?.(() => {
  for (const child of running) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
});

/** `zdm deploy <args>` (through tsx, from the toolkit's source), to completion. */
export function runDeployCommand(
  args: string[],
  env: Record<string, string | undefined>,
  cwd = projectRoot,
  onOutput?: (soFar: string) => void,
): Promise<DeployRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsxCli, cliSource, 'deploy', ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, output });
    });
  });
}

/** Stops the PM2 daemon of a PM2_HOME and every app it runs. */
export function killPm2(pm2Home: string): void {
  try {
    execFileSync(process.execPath, [require.resolve('pm2/bin/pm2'), 'kill'], {
      env: { ...process.env, PM2_HOME: pm2Home },
      stdio: 'ignore',
      timeout: 60_000,
    });
  } catch {
    // Nothing was running.
  }
}

export function pm2Workers(
  pm2Home: string,
  name: string,
): { pmId: number; pid: number; status: string }[] {
  const output = execFileSync(process.execPath, [require.resolve('pm2/bin/pm2'), 'jlist'], {
    env: { ...process.env, PM2_HOME: pm2Home },
    encoding: 'utf8',
  });
  const json = output
    .split('\n')
    .reverse()
    .find((line) => line.startsWith('['));
  return (
    JSON.parse(json ?? '[]') as {
      pm_id: number;
      name: string;
      pid: number;
      pm2_env: { status: string };
    }[]
  )
    .filter((entry) => entry.name === name)
    .map((entry) => ({ pmId: entry.pm_id, pid: entry.pid, status: entry.pm2_env.status }));
}

/** The commit each worker reports on /health/ready, asked on fresh connections until all answered. */
export async function commitsByPid(
  port: number,
  pids: number[],
): Promise<Map<number, string | null>> {
  const seen = new Map<number, string | null>();
  for (let attempt = 0; attempt < pids.length * 20 && seen.size < pids.length; attempt++) {
    const answer = await probeReady(`http://127.0.0.1:${port}`);
    if (answer?.status === 200 && pids.includes(answer.pid)) seen.set(answer.pid, answer.commit);
  }
  return seen;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** This project's dependencies, installed in a deploy root as a deploy would (hard links). */
export async function seedDependencies(root: string): Promise<void> {
  await installDependencies({
    root,
    packageDir: projectRoot,
    seedFrom: projectRoot,
    reporter: silentReporter,
  });
}
