import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { freePort } from '../tests/support/project';
import {
  createSourceRepo,
  killPm2,
  runDeployCommand,
  tempDir,
  type DeployRun,
} from '../tests/deploy/support/fixture';
import {
  failureKind,
  formatSummary,
  splitByWindows,
  startLoad,
  summarize,
  usersMix,
  type RequestRecord,
} from '../src/load';
import { machineDescription } from '../src/load/machine';
import { openScratchDatabase } from '../src/db/scratch-database';

/**
 * `npm run bench:deploy`: three deploys in a row of a PM2 cluster under keep-alive load
 * mixing reads and writes on /users, the middle one with a pre- and a post-deploy migration,
 * and every single request's outcome counted. The claim it checks: zero failed requests
 * (no unexpected status, no socket error, no timeout) across the deploys.
 *
 * Everything is temporary: a git repository holding this project's last commit (the
 * migrations of the middle deploy are a commit there, the project's own are untouched), a
 * deploy root, a PM2_HOME and a database (on DATABASE_URL's server, else embedded).
 */
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 2);
const DRAIN_DELAY_MS = Number(process.env.BENCH_DRAIN_DELAY_MS ?? 1000);
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 5000);
const WRITE_SHARE = Number(process.env.BENCH_WRITE_SHARE ?? 0.25);

interface DeployWindow {
  label: string;
  start: number;
  end: number;
  run: DeployRun;
}

async function main(): Promise<number> {
  const database = await openScratchDatabase('bench_deploy', process.env.DATABASE_URL);
  const repo = createSourceRepo();
  const root = tempDir('zdm-bench-deploy-root-');
  const pm2Home = tempDir('zdm-bench-deploy-pm2-');
  const port = await freePort();
  const appName = `zdm-bench-deploy-${randomBytes(3).toString('hex')}`;
  const args = [
    '--target',
    'local',
    '--source',
    repo.dir,
    '--deploy-root',
    root,
    '--app-name',
    appName,
  ];
  const env = {
    DATABASE_URL: database.url,
    PORT: String(port),
    PM2_HOME: pm2Home,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    APP_INSTANCES: String(INSTANCES),
    SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    SHUTDOWN_TIMEOUT_MS: '10000',
    DEPLOY_ROOT: undefined,
  };
  const deploy = async (label: string): Promise<DeployWindow> => {
    const start = Date.now();
    const run = await runDeployCommand(args, env);
    const window = { label, start, end: Date.now(), run };
    log(
      `${label}: exit ${run.code} after ${((window.end - start) / 1000).toFixed(1)} s (${stepTimes(run.output)})`,
    );
    if (run.code !== 0) process.stdout.write(run.output);
    return window;
  };

  try {
    log(`machine: ${machineDescription()}`);
    log('first deploy (starts the cluster, no load yet)');
    if ((await deploy('initial deploy')).run.code !== 0) return 1;

    const load = startLoad({
      baseUrl: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      ratePerSecond: RATE,
      nextRequest: usersMix(WRITE_SHARE).next,
    });
    const windows: DeployWindow[] = [];
    await sleep(PAUSE_MS * 2);
    repo.commit('bench: first deploy under load');
    windows.push(await deploy('deploy 1 of 3'));
    await sleep(PAUSE_MS);
    repo.commit('bench: second deploy, with a pre- and a post-deploy migration', {
      'migrations/pre-deploy/20990101000000-add-users-nickname.sql':
        'ALTER TABLE users ADD COLUMN nickname text;\n',
      'migrations/post-deploy/20990101000001-index-users-created-at.sql':
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at);\n',
    });
    windows.push(await deploy('deploy 2 of 3 (pre- and post-deploy migration)'));
    await sleep(PAUSE_MS);
    repo.commit('bench: third deploy under load');
    windows.push(await deploy('deploy 3 of 3'));
    await sleep(PAUSE_MS);
    const records = await load.stop();

    report(records, windows, args);
    const failed = records.some((record) => record.outcome !== 'ok');
    const deploysOk = windows.every((window) => window.run.code === 0);
    return failed || !deploysOk ? 1 : 0;
  } finally {
    killPm2(pm2Home);
    await database.close();
    for (const dir of [repo.dir, root, pm2Home]) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(records: RequestRecord[], windows: DeployWindow[], args: string[]): void {
  const all = summarize(records);
  const { inside, outside } = splitByWindows(records, windows);
  const deployMs = windows.reduce((sum, w) => sum + (w.end - w.start), 0);
  const totalMs = records.length ? records[records.length - 1].endedAt - records[0].startedAt : 0;
  const during = summarize(inside, deployMs);
  const between = summarize(outside, Math.max(totalMs - deployMs, 1));
  const failures = records.filter((record) => record.outcome !== 'ok');
  const lines = [
    '',
    'measured by: npm run bench:deploy',
    `each deploy: npm run deploy -- ${args.join(' ')}`,
    `  with NODE_ENV=production APP_INSTANCES=${INSTANCES} SHUTDOWN_DRAIN_DELAY_MS=${DRAIN_DELAY_MS} ` +
      'SHUTDOWN_TIMEOUT_MS=10000, its own PM2_HOME and a fresh database',
    `load: ${CONNECTIONS} keep-alive connections, aiming at ${RATE} requests/s, /users reads and writes ` +
      `(${Math.round(WRITE_SHARE * 100)}% writes: POST 201, PATCH 200; reads: GET list 200, GET one 200); ` +
      `${INSTANCES} PM2 workers, drain delay ${DRAIN_DELAY_MS} ms`,
    `deploys: ${windows.map((w) => `${w.label} ${w.run.code === 0 ? 'ok' : `FAILED (exit ${w.run.code})`} in ${((w.end - w.start) / 1000).toFixed(1)} s`).join('; ')}`,
    formatSummary('all requests', all),
    formatSummary('during the deploys', during),
    formatSummary('outside the deploys', between),
    `throughput during the deploys / outside them: ${(during.ratePerSecond / Math.max(between.ratePerSecond, 1)).toFixed(2)} ` +
      `(${during.ratePerSecond.toFixed(0)} / ${between.ratePerSecond.toFixed(0)} requests/s; goal at least 0.9)`,
    `failed requests: ${failures.length}` +
      (failures.length
        ? ` (${Object.entries(all.failuresByKind)
            .map(([kind, count]) => `${kind}: ${count}`)
            .join(', ')}); first: ` +
          failures
            .slice(0, 5)
            .map(
              (r) =>
                `${r.method} ${r.route} ${failureKind(r)} at +${r.startedAt - records[0].startedAt} ms`,
            )
            .join('; ')
        : ''),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(
    `BENCH_JSON ${JSON.stringify({
      benchmark: 'deploy',
      all,
      during,
      outside: between,
      throughputRatio: during.ratePerSecond / Math.max(between.ratePerSecond, 1),
      deploys: windows.map((w) => ({ label: w.label, code: w.run.code, ms: w.end - w.start })),
    })}\n`,
  );
}

function stepTimes(output: string): string {
  return [...output.matchAll(/deploy: (\S+) done in ([\d.]+) s/g)]
    .map((m) => `${m[1]} ${m[2]} s`)
    .join(', ');
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:deploy failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
