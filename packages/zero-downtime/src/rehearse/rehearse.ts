import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLoad } from '../load';
import { machineDescription } from '../load/machine';
import { openScratchDatabase, type ScratchDatabase } from '../db/scratch-database';
import { freePort } from '../db/free-port';
import { appContract } from '../core/config';
import { redactUrl } from '../core/url';
import {
  consoleReporter,
  runDeploy,
  silentReporter,
  type DeployOptions,
  type Reporter,
} from '../deploy';
import { buildRelease } from '../deploy/build';
import { Pm2 } from '../deploy/pm2';
import type { Release } from '../deploy/releases';
import { readMigrationStatus } from '../runner';
import { RehearsalError } from './errors';
import {
  commitHasFile,
  defaultBase,
  hasUncommittedChanges,
  repositoryRoot,
  resolveCommit,
} from './git';
import { startLockSampler } from './lock-sampler';
import { loadMix } from './load-mix';
import type { RehearsalOptions } from './options';
import { PhaseTracker } from './phases';
import { describeReleaseApp } from './release-app';
import {
  buildReport,
  type MigrationTiming,
  type RehearsalFacts,
  type RehearsalReport,
  type VersionFacts,
} from './report';
import { seedTables } from './seed';
import { writeReport, type ReportFiles } from './write-report';

/**
 * `npm run rehearse`: the whole deploy of this change, on this machine, under load.
 *
 * 1. The base version is deployed by the deploy pipeline's local target (a first deploy: build,
 *    its migrations, a PM2 cluster of K instances) into a temporary deploy root with its own
 *    PM2_HOME, on a fresh database; its tables are seeded from its models.
 * 2. Keep-alive load on its real routes, generated from the same models, runs throughout.
 * 3. The head commit (built beforehand, so the build's CPU does not count) is deployed by the
 *    same pipeline: pre-deploy migrations, rolling restart, post-deploy migrations.
 * 4. Every request's outcome, the lock waits and the migrations' durations become the report.
 */
export interface RehearsalResult {
  report: RehearsalReport;
  files: ReportFiles;
}

const ECOSYSTEM = 'deploy/ecosystem.config.js';

export async function runRehearsal(options: RehearsalOptions): Promise<RehearsalResult> {
  const repo = await repositoryRoot(options.source);
  const { base, head, uncommitted } = await versions(repo, options);
  if (uncommitted) options.log(`rehearsal: deploying ${head.note}`);
  const cleanup = new Cleanup(options);
  try {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-rehearsal-'));
    cleanup.add(() =>
      options.keep ? undefined : fs.rmSync(work, { recursive: true, force: true }),
    );
    const database = await openScratchDatabase('zdm_rehearsal', options.env.DATABASE_URL);
    cleanup.add(() => database.close());
    const stage = await stageDeploys(repo, work, database, options, cleanup);
    options.log(`rehearsal: building the base ${short(base.commit)} (${base.ref})`);
    const baseRelease = await buildBase(stage, base.commit);
    options.log(
      `rehearsal: deploying the base with ${options.instances} instance(s) while the head ` +
        `${short(head.commit)} builds (before the load starts, so its CPU does not count)`,
    );
    const [deployed, built] = await Promise.allSettled([
      deployBase(stage, baseRelease),
      buildHead(stage, head.commit),
    ]);
    if (deployed.status === 'rejected') throw deployed.reason;
    if (built.status === 'rejected') throw built.reason;
    const headRelease = built.value;
    return await rehearse(stage, baseRelease, headRelease, { base, head });
  } finally {
    await cleanup.run();
  }
}

async function versions(
  repo: string,
  options: RehearsalOptions,
): Promise<{ base: VersionFacts; head: VersionFacts; uncommitted: boolean }> {
  const head: VersionFacts = { ref: options.head, commit: await resolveCommit(repo, options.head) };
  const base = options.base
    ? { ref: options.base, commit: await resolveCommit(repo, options.base) }
    : await defaultBase(repo);
  if (base.commit === head.commit) {
    throw new RehearsalError(
      'REHEARSAL_BAD_OPTION',
      `the base and the head are the same commit (${short(head.commit)}): nothing to deploy. ` +
        'Name what serves today with --base (for example --base origin/master).',
    );
  }
  for (const version of [base, head]) {
    if (!(await commitHasFile(repo, version.commit, ECOSYSTEM))) {
      throw new RehearsalError(
        'REHEARSAL_BASE_UNSUPPORTED',
        `${version.ref} (${short(version.commit)}) has no ${ECOSYSTEM}: it predates the deploy ` +
          'pipeline, which the rehearsal deploys with. Pick a later --base.',
      );
    }
  }
  const uncommitted = options.head === 'HEAD' && (await hasUncommittedChanges(repo));
  if (uncommitted) {
    head.note =
      'the HEAD commit; uncommitted changes in the working tree are NOT part of it ' +
      '(the deploy builds commits): commit them to rehearse them';
  } else if (options.head === 'HEAD') {
    head.note = 'the HEAD commit';
  }
  return { base, head, uncommitted };
}

/** What every deploy of the rehearsal shares: one deploy root, one PM2 daemon, one port. */
interface Stage {
  options: RehearsalOptions;
  deployOptions: DeployOptions;
  reporter: Reporter;
  port: number;
  databaseUrl: string;
}

async function stageDeploys(
  repo: string,
  work: string,
  database: ScratchDatabase,
  options: RehearsalOptions,
  cleanup: Cleanup,
): Promise<Stage> {
  const pm2Home = path.join(work, 'pm2');
  fs.mkdirSync(pm2Home, { recursive: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    PM2_HOME: pm2Home,
    NODE_ENV: 'production',
    LOG_LEVEL: options.env.LOG_LEVEL ?? 'warn',
    DATABASE_URL: database.url,
  };
  for (const name of ['DEPLOY_ROOT', 'APP_NAME', 'APP_INSTANCES', 'PORT']) delete env[name];
  const appName = `zdm-rehearsal-${randomBytes(3).toString('hex')}`;
  cleanup.add(() => stopPm2(env, appName));
  if (options.keep) options.log(`rehearsal: deploy root, PM2 home and logs stay in ${work}`);
  const reporter = consoleReporter((line) => options.log(`  ${line}`));
  return {
    options,
    port,
    databaseUrl: database.url,
    reporter: options.verbose ? reporter : { ...reporter, output: () => undefined },
    deployOptions: {
      target: 'local',
      root: path.join(work, 'deploy'),
      source: repo,
      ref: 'HEAD',
      readyPath: appContract(repo).health.ready,
      appName,
      instances: options.instances,
      readyTimeoutMs: options.readyTimeoutMs,
      port,
      databaseUrl: database.url,
      lockWaitMs: 0,
      databaseLock: true,
      keepReleases: 5,
      env,
      ssh: { hosts: [], remoteRoot: 'app', command: 'ssh', node: 'node' },
    },
  };
}

/** The base's release, built by the deploy (which also installs the shared dependencies). */
async function buildBase(stage: Stage, commit: string): Promise<Release> {
  const result = await runDeploy(
    { ...stage.deployOptions, ref: commit, only: ['build'] },
    stage.reporter,
  );
  if (!result.ok || !result.state.release) {
    throw new RehearsalError(
      'REHEARSAL_BASE_DEPLOY_FAILED',
      `the base version did not build, so there is nothing to rehearse against:\n${result.summary}`,
    );
  }
  return result.state.release;
}

/** A first deploy of the base's release: its migrations, then its PM2 cluster. */
async function deployBase(stage: Stage, release: Release): Promise<void> {
  const result = await runDeploy(
    { ...stage.deployOptions, ref: release.commit, release: release.id },
    stage.reporter,
  );
  if (!result.ok) {
    throw new RehearsalError(
      'REHEARSAL_BASE_DEPLOY_FAILED',
      `the base version did not deploy, so there is nothing to rehearse against:\n${result.summary}`,
    );
  }
}

/**
 * The pipeline's own build, called directly: the deploy lock is the base deploy's meanwhile.
 * The dependencies installed for the base are reused when the lock file did not change.
 */
async function buildHead(stage: Stage, commit: string): Promise<Release> {
  try {
    return await buildRelease({
      source: stage.deployOptions.source,
      ref: commit,
      root: stage.deployOptions.root,
      reporter: stage.reporter,
      env: stage.deployOptions.env,
    });
  } catch (error) {
    throw new RehearsalError(
      'REHEARSAL_HEAD_BUILD_FAILED',
      `the head did not build (npm run build in its release): ${(error as Error).message}`,
    );
  }
}

async function rehearse(
  stage: Stage,
  baseRelease: Release,
  headRelease: Release,
  facts: { base: VersionFacts; head: VersionFacts },
): Promise<RehearsalResult> {
  const { options } = stage;
  const startedAt = new Date().toISOString();
  const app = await describeReleaseApp(baseRelease.dir);
  if (app.resources.length === 0) {
    throw new RehearsalError(
      'REHEARSAL_NOTHING_TO_LOAD',
      'the base version mounts no route module that serves one of its models (app/routes/index.ts ' +
        'mounting e.g. /users for the table users): there is no traffic to rehearse with.',
    );
  }
  options.log(`rehearsal: seeding ${options.rows} row(s) per table`);
  const seeded = await seedTables(stage.databaseUrl, app.shapes, options.rows);
  const mix = loadMix(app.resources, seeded);
  for (const line of mix.describe()) options.log(`rehearsal: load on ${line}`);
  const baseUrl = `http://127.0.0.1:${stage.port}`;
  const load = { baseUrl, connections: options.connections, ratePerSecond: options.rate };
  const warmup = startLoad({ ...load, nextRequest: mix.next });
  try {
    await pause(options.warmupSeconds, options.signal);
  } finally {
    await warmup.stop();
  }

  const loadAtStart = loadAverage();
  const tracker = new PhaseTracker();
  const sampler = startLockSampler(stage.databaseUrl);
  tracker.mark('before');
  const run = startLoad({ ...load, nextRequest: mix.next });
  let deploy: RehearsalFacts['deploy'];
  let deployStartedAt: number;
  let locks: Awaited<ReturnType<typeof sampler.stop>>;
  try {
    options.log(`rehearsal: load running; deploying the head in ${options.beforeSeconds} s`);
    await pause(options.beforeSeconds, options.signal);
    deployStartedAt = Date.now();
    const result = await runDeploy(
      { ...stage.deployOptions, ref: facts.head.commit, release: headRelease.id },
      tracker.reporter(stage.reporter),
    );
    deploy = {
      ok: result.ok,
      summary: result.summary,
      ...(result.state.errorCode ? { errorCode: result.state.errorCode } : {}),
      ...(result.state.failedStep ? { failedStep: result.state.failedStep } : {}),
    };
    tracker.mark('after');
    options.log(
      `rehearsal: deploy ${result.ok ? 'done' : 'FAILED'}; ${options.afterSeconds} s more load`,
    );
    await pause(options.afterSeconds, options.signal);
  } finally {
    tracker.finish();
    await run.stop();
    locks = await sampler.stop();
  }
  const report = buildReport({
    startedAt,
    machine: machineDescription(),
    loadAverage: { start: loadAtStart, end: loadAverage() },
    settings: {
      rows: options.rows,
      rate: options.rate,
      connections: options.connections,
      instances: options.instances,
      beforeSeconds: options.beforeSeconds,
      afterSeconds: options.afterSeconds,
      budgetFactor: options.budgetFactor,
      budgetFloorMs: options.budgetFloorMs,
    },
    base: facts.base,
    head: facts.head,
    database: redactUrl(stage.databaseUrl),
    resources: mix.describe(),
    seeded: seeded.map(({ table, rows, skipped }) => ({
      table,
      rows,
      ...(skipped ? { skipped } : {}),
    })),
    deploy,
    records: run.records,
    phases: tracker.phases(),
    lockSamples: locks.samples,
    ...(locks.error ? { lockSamplingError: locks.error } : {}),
    migrations: await migrationsSince(stage.databaseUrl, headRelease, deployStartedAt, tracker),
  });
  const files = writeReport(report, path.resolve(options.outDir));
  options.log(`rehearsal: report written to ${files.markdown}`);
  return { report, files };
}

/** The migrations the rehearsed deploy applied, with their durations from `zdm_migrations`. */
async function migrationsSince(
  databaseUrl: string,
  release: Release,
  since: number,
  tracker: PhaseTracker,
): Promise<MigrationTiming[]> {
  const origin = tracker.phases()[0]?.start ?? since;
  const rows = await readMigrationStatus({
    databaseUrl,
    migrationsDir: path.join(release.dir, 'migrations'),
  });
  return rows
    .filter((row) => row.appliedAt && row.appliedAt.getTime() >= since)
    .sort((a, b) => (a.appliedAt as Date).getTime() - (b.appliedAt as Date).getTime())
    .map((row) => ({
      name: row.name,
      phase: row.phase,
      durationMs: row.durationMs ?? 0,
      finishedAtS: Math.round(((row.appliedAt as Date).getTime() - origin) / 100) / 10,
    }));
}

/**
 * The rehearsal's PM2 daemon and its workers, killed by pid: the measurement is over and no
 * request is in flight, so the graceful `pm2 kill` (each worker draining in turn) would only
 * cost time. The daemon goes first, so it cannot restart the workers.
 */
async function stopPm2(env: NodeJS.ProcessEnv, appName: string): Promise<void> {
  const pm2 = new Pm2({ env, reporter: silentReporter });
  const workers = await pm2.list(appName).catch(() => []);
  const pidFile = path.join(env.PM2_HOME as string, 'pm2.pid');
  const daemon = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : undefined;
  for (const pid of [daemon, ...workers.map((worker) => worker.pid)]) {
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Waits, or rejects as soon as the rehearsal is aborted. */
function pause(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(done, seconds * 1000);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(aborted());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function aborted(): RehearsalError {
  return new RehearsalError('REHEARSAL_INTERRUPTED', 'the rehearsal was interrupted');
}

/** Undo steps, run in reverse order whatever happened, each one's failure only reported. */
class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  constructor(private readonly options: RehearsalOptions) {}

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    const started = Date.now();
    this.options.log('rehearsal: cleaning up (PM2 daemon, database, temporary files)');
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (error) {
        this.options.log(`rehearsal: cleaning up failed: ${(error as Error).message}`);
      }
    }
    this.options.log(`rehearsal: cleaned up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

function loadAverage(): number {
  return Math.round(os.loadavg()[0] * 10) / 10;
}

function short(commit: string): string {
  return commit.slice(0, 12);
}
