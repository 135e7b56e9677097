import fs from 'node:fs';
import path from 'node:path';
import { buildRelease } from '../build';
import type { CommandResult, RunningCommand } from '../../core/processes';
import { DeployError } from '../errors';
import { waitForInstances } from '../health';
import type { DeployOptions } from '../options';
import { Pm2, pm2Exists, type Pm2Process } from '../pm2';
import {
  currentRelease,
  readRelease,
  releaseDir,
  releasesDir,
  switchCurrent,
  type Release,
} from '../releases';
import { statePath } from '../state';
import type { Step } from '../steps';
import type { RollbackOutcome, Target, TargetContext } from './index';
import { shellQuote } from './ssh';

/**
 * PM2 cluster on this machine. The app runs `<root>/current/dist/app/server.js`; a rollout
 * points `current` at the new release and has PM2 reload the workers one at a time, each old
 * worker kept until its replacement is ready. A rollback points `current` back and reloads.
 */
interface LocalData {
  /** What `current` pointed to before this deploy; null on a first deploy. */
  previous?: string | null;
  /** The workers before this deploy's rollout: pm_id -> pid. */
  workersBefore?: Record<number, number>;
}

const WATCH_EVERY_MS = 1_000;

export function createLocalTarget(options: DeployOptions): Target {
  return new LocalTarget(options);
}

class LocalTarget implements Target {
  readonly name = 'local';
  /** The `pm2 startOrReload` of a rollout that failed while it was still running. */
  private pendingReload?: RunningCommand;

  constructor(private readonly options: DeployOptions) {}

  /** PM2 runs the instances: it must be there before a build that would only wait for it. */
  async preflight(steps: readonly Step[]): Promise<void> {
    if (!steps.some((step) => step === 'rollout' || step === 'verify')) return;
    const bin = this.options.pm2Bin;
    if (pm2Exists(bin)) return;
    throw new DeployError(
      'DEPLOY_PREFLIGHT',
      (bin ? `the PM2 given (${bin}) does not exist` : 'PM2 is not installed beside the toolkit') +
        ': the local target runs the instances with it. Run `npm install` (pm2 is a ' +
        'dependency of zero-downtime-toolkit). Nothing was built or changed.',
    );
  }

  async build(context: TargetContext): Promise<Release> {
    if (this.options.release) {
      const release = readRelease(this.options.root, this.options.release);
      if (!release) {
        throw new DeployError(
          'BUILD_FAILED',
          `--release ${this.options.release}: no complete build in ` +
            releaseDir(this.options.root, this.options.release),
        );
      }
      return release;
    }
    return buildRelease({
      source: this.options.source,
      ref: this.options.ref,
      root: this.options.root,
      reporter: context.reporter,
      env: this.options.env,
    });
  }

  async rollout(context: TargetContext): Promise<void> {
    const release = requireRelease(context);
    const pm2 = this.pm2(context);
    const running = await pm2.list(this.options.appName);
    const data = context.state.targetData as LocalData;
    if (data.previous === undefined) {
      data.previous =
        this.options.previousRelease !== undefined
          ? this.options.previousRelease
          : (currentRelease(this.options.root) ?? null);
      data.workersBefore = Object.fromEntries(running.map((w) => [w.pmId, w.pid]));
      context.saveState();
    }
    context.reporter.info(
      running.length
        ? `reloading ${running.length} instance(s) one at a time onto ${release.id}`
        : `starting ${this.options.appName} from ${release.id} (first deploy on this host)`,
    );
    switchCurrent(this.options.root, release.id);
    writePm2Shim(this.options);
    await this.reloadOnto(release, running, context);
    await this.scaleIfAsked(context);
  }

  async verify(context: TargetContext): Promise<void> {
    const release = requireRelease(context);
    const answers = await this.waitForCommit(release, context);
    context.reporter.info(
      `${answers.size} instance(s) ready on commit ${release.commit.slice(0, 12)} ` +
        `(pids ${[...answers.keys()].join(', ')})`,
    );
  }

  async rollback(context: TargetContext): Promise<RollbackOutcome> {
    const data = context.state.targetData as LocalData;
    const pm2 = this.pm2(context);
    await this.stopPendingReload();
    const previousId =
      this.options.previousRelease !== undefined ? this.options.previousRelease : data.previous;
    if (previousId === undefined) {
      throw new DeployError(
        'ROLLBACK_FAILED',
        `${statePath(this.options.root)} does not record what served before the last deploy, ` +
          `so nothing was changed (${currentRelease(this.options.root) ?? 'no release'} still ` +
          'serves). Name the release to put back: --rollback --previous <id> (the ids are the ' +
          `folders of ${releasesDir(this.options.root)})`,
      );
    }
    if (previousId === null) {
      // Known to be a first deploy: before it, nothing served here.
      if ((await pm2.list(this.options.appName)).length > 0) await pm2.delete(this.options.appName);
      fs.rmSync(path.join(this.options.root, 'current'), { force: true });
      return {
        summary: `there was no previous release on this host: ${this.options.appName} was removed from PM2`,
        serving: false,
      };
    }
    const previous = readRelease(this.options.root, previousId);
    if (!previous) {
      throw new DeployError(
        'ROLLBACK_FAILED',
        `the previous release ${previousId} is no longer in ${releasesDir(this.options.root)}`,
      );
    }
    switchCurrent(this.options.root, previous.id);
    await this.replaceWorkersNotReady(pm2, data.workersBefore ?? {}, context);
    const running = await pm2.list(this.options.appName);
    context.reporter.info(`reloading ${running.length} instance(s) onto ${previous.id}`);
    await this.reloadOnto(previous, running, context);
    await this.waitForCommit(previous, context);
    return {
      summary: `rolled back: every instance serves ${previous.id} (commit ${previous.commit.slice(0, 12)}) again`,
      serving: true,
    };
  }

  /**
   * `pm2 startOrReload` with the release's own ecosystem file, watched: a worker of the new
   * release not ready within the ready timeout fails the rollout while PM2 still keeps the
   * old worker it was meant to replace (the ecosystem's listen_timeout is far longer).
   */
  private async reloadOnto(
    release: Release,
    before: Pm2Process[],
    context: TargetContext,
  ): Promise<void> {
    const pm2 = this.pm2(context);
    const ecosystem = path.join(release.dir, 'deploy', 'ecosystem.config.js');
    if (!fs.existsSync(ecosystem)) {
      throw new DeployError(
        'ROLLOUT_FAILED',
        `release ${release.id} has no deploy/ecosystem.config.js`,
      );
    }
    const oldPids = new Set(before.map((worker) => worker.pid));
    const command = pm2.startOrReload(ecosystem, this.options.appName, this.appEnv());
    this.pendingReload = command;
    let result: CommandResult | undefined;
    void command.exited.then((exited) => (result = exited)).catch(() => undefined);
    const notReadySince = new Map<number, number>();
    while (!result) {
      await sleep(WATCH_EVERY_MS);
      if (result) break;
      const now = Date.now();
      for (const worker of await pm2.list(this.options.appName)) {
        const waiting = !oldPids.has(worker.pid) && worker.status !== 'online';
        if (waiting) notReadySince.set(worker.pmId, notReadySince.get(worker.pmId) ?? now);
        else notReadySince.delete(worker.pmId);
      }
      const stuck = [...notReadySince].filter(
        ([, since]) => now - since > this.options.readyTimeoutMs,
      );
      if (stuck.length > 0) {
        throw new DeployError(
          'ROLLOUT_FAILED',
          `instance ${stuck.map(([id]) => id).join(', ')} of ${release.id} did not become ready ` +
            `within ${this.options.readyTimeoutMs} ms (PM2 kept the old worker serving meanwhile); ` +
            `its log: ${pm2Command(this.options)} logs ${this.options.appName}`,
        );
      }
    }
    this.pendingReload = undefined;
    const workers = await pm2.list(this.options.appName);
    const notReplaced = workers.filter((w) => w.status !== 'online' || oldPids.has(w.pid));
    if (result.code !== 0 || workers.length === 0 || notReplaced.length > 0) {
      const shown = workers.map((w) => `${w.pmId}: pid ${w.pid} ${w.status}`).join(', ');
      throw new DeployError(
        'ROLLOUT_FAILED',
        `pm2 startOrReload of ${release.id} exited with code ${result.code}, leaving ` +
          `${workers.length} worker(s) of which ${notReplaced.length} not replaced or not online` +
          (shown ? `: ${shown}` : ''),
      );
    }
  }

  /**
   * The reload loop runs in the pm2 command (one request per worker to the daemon): killing it
   * stops further workers from being replaced; the daemon still waits for the one in hand.
   */
  private async stopPendingReload(): Promise<void> {
    const pending = this.pendingReload;
    this.pendingReload = undefined;
    if (!pending) return;
    pending.kill('SIGKILL');
    await pending.exited.catch(() => undefined);
  }

  /**
   * A worker of the failed release that never sent `ready` is replaced from the release
   * `current` points to again, with the deploy's environment (`--update-env`, in case the
   * failed release's ecosystem file brought a bad one). The daemon's pending reload then
   * completes with that worker, and only then stops the old worker it kept: once that one has
   * exited, PM2 accepts the next reload.
   */
  private async replaceWorkersNotReady(
    pm2: Pm2,
    workersBefore: Record<number, number>,
    context: TargetContext,
  ): Promise<void> {
    for (const worker of await pm2.list(this.options.appName)) {
      if (worker.status === 'online') continue;
      context.reporter.info(
        `replacing instance ${worker.pmId} (pid ${worker.pid}, ${worker.status})`,
      );
      await pm2.restart(worker.pmId).catch(async (error: unknown) => {
        // PM2 may restart a crashing worker on its own while `restart` runs, and then reports
        // "process already started": what counts is that the stuck pid is gone.
        const now = (await pm2.list(this.options.appName)).find((w) => w.pmId === worker.pmId);
        if (!now || now.pid === worker.pid) throw error;
      });
    }
    const until = Date.now() + this.options.readyTimeoutMs * 2;
    for (;;) {
      const workers = await pm2.list(this.options.appName);
      const waiting = workers.filter(
        (w) => w.status !== 'online' || isAlive(workersBefore[w.pmId], w.pid),
      );
      if (waiting.length === 0) return;
      if (Date.now() > until) {
        throw new DeployError(
          'ROLLBACK_FAILED',
          `instance(s) ${waiting.map((w) => w.pmId).join(', ')} did not come back on the previous ` +
            `release in time; see ${pm2Command(this.options)} ls and ` +
            `${pm2Command(this.options)} logs ${this.options.appName}`,
        );
      }
      await sleep(WATCH_EVERY_MS);
    }
  }

  private waitForCommit(release: Release, context: TargetContext) {
    const pm2 = this.pm2(context);
    return waitForInstances({
      baseUrl: `http://127.0.0.1:${this.options.port}`,
      pids: async () => (await pm2.list(this.options.appName)).map((worker) => worker.pid),
      commit: release.commit,
      timeoutMs: this.options.readyTimeoutMs,
      readyPath: this.options.readyPath,
    });
  }

  private async scaleIfAsked(context: TargetContext): Promise<void> {
    const wanted = this.options.instances;
    if (!wanted) return;
    const pm2 = this.pm2(context);
    const running = await pm2.list(this.options.appName);
    if (running.length === wanted) return;
    context.reporter.info(
      `scaling ${this.options.appName} from ${running.length} to ${wanted} instance(s)`,
    );
    await pm2.scale(this.options.appName, wanted);
  }

  /** What the ecosystem file reads; the workers get this environment too. */
  private appEnv(): NodeJS.ProcessEnv {
    return {
      DEPLOY_ROOT: path.resolve(this.options.root),
      APP_NAME: this.options.appName,
      PORT: String(this.options.port),
      ...(this.options.instances ? { APP_INSTANCES: String(this.options.instances) } : {}),
      ...(this.options.databaseUrl ? { DATABASE_URL: this.options.databaseUrl } : {}),
    };
  }

  private pm2(context: TargetContext): Pm2 {
    return new Pm2({
      env: { ...this.options.env, ...this.appEnv() },
      reporter: context.reporter,
      bin: this.options.pm2Bin,
    });
  }
}

/**
 * `<root>/bin/pm2`: the PM2 the deploy drives, for a person on the host (`pm2 logs <app>`,
 * `pm2 startup`, `pm2 save`), with the same PM2_HOME. It runs the PM2 of the release that
 * serves (`current`), or PM2_BIN, with the node that ran the deploy. Rewritten on every
 * rollout (a new file renamed over the old one).
 */
export function pm2ShimPath(root: string): string {
  return path.join(path.resolve(root), 'bin', 'pm2');
}

function writePm2Shim(options: DeployOptions): void {
  const root = path.resolve(options.root);
  const bin = options.pm2Bin ?? path.join(root, 'current', 'node_modules', 'pm2', 'bin', 'pm2');
  const pm2Home = options.env.PM2_HOME;
  const lines = [
    '#!/bin/sh',
    `# Written by the deploy of ${root}: the PM2 that runs the app there. Put ${path.dirname(pm2ShimPath(root))} on PATH.`,
    ...(pm2Home ? [`PM2_HOME=${shellQuote(pm2Home)}`, 'export PM2_HOME'] : []),
    `exec ${shellQuote(process.execPath)} ${shellQuote(bin)} "$@"`,
    '',
  ];
  const shim = pm2ShimPath(root);
  fs.mkdirSync(path.dirname(shim), { recursive: true });
  const temporary = `${shim}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, lines.join('\n'), { mode: 0o755 });
  fs.renameSync(temporary, shim);
}

/** How a message names PM2 for a person on this host: the shim, once a rollout wrote it. */
function pm2Command(options: DeployOptions): string {
  const shim = pm2ShimPath(options.root);
  return fs.existsSync(shim) ? shim : 'pm2';
}

/** Whether the worker that had this pm_id before the deploy still runs (not yet drained). */
function isAlive(pidBefore: number | undefined, pidNow: number): boolean {
  if (!pidBefore || pidBefore === pidNow) return false;
  try {
    process.kill(pidBefore, 0);
    return true;
  } catch {
    return false;
  }
}

function requireRelease(context: TargetContext): Release {
  const release = context.state.release;
  if (!release) {
    throw new DeployError('DEPLOY_NO_STATE', 'no release was built yet: run the build step first');
  }
  return release;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
