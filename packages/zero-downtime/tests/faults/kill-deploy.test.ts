import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { probeReady } from '../../src/deploy/health';
import { readState } from '../../src/deploy/state';
import { STEPS, type Step } from '../../src/deploy/steps';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { cliSource, freePort } from '../support/project';
import { readTestServerState } from '../../src/testing';
import {
  commitsByPid,
  createSourceRepo,
  killPm2,
  pm2Workers,
  tempDir,
  type SourceRepo,
} from '../deploy/support/fixture';
import { startLoad, type Answer, type Load, type Sent } from '../../src/testing';
import { killWhen, scalar } from './support/kill';
import { adminQuery } from './support/postgres';
import { allOutput, killAll, runScript, runToEnd, type ScriptProcess } from '../../src/testing';
import { createSecrets, type Secrets } from '../../src/testing';
import { snapshot } from './support/snapshot';

/**
 * `npm run deploy -- --target local` (PM2 cluster, real releases, real database):
 * - two deploys started together: one deploys, the other refuses, nothing is applied twice;
 * - a deploy SIGKILLed in the middle of each of its steps (its whole process tree, as a CI
 *   runner cancelling the job does), each time resumed with `--from <the step the state file
 *   shows running>`: the deploy ends as one uninterrupted deploy would, the database matches
 *   one migrated without interruption, and the service answers throughout.
 */

jest.setTimeout(900_000);

const FIRST_MIGRATION = 'migrations/pre-deploy/20300101000000-faults-first-log.sql';
const PRE_MIGRATION = 'migrations/pre-deploy/20300201000000-faults-slow-pre.sql';
const POST_MIGRATION = 'migrations/post-deploy/20300201000100-faults-slow-post.sql';

let repo: SourceRepo;
let database: TestDatabase;
let reference: TestDatabase;
let secrets: Secrets;
let root: string;
let pm2Home: string;
let port: number;
let env: Record<string, string>;
const appName = `zdm-faults-${randomBytes(3).toString('hex')}`;

const adminUrl = () => readTestServerState().serverUrl;

const deploy = (...extra: string[]): ScriptProcess =>
  runScript(
    cliSource,
    [
      'deploy',
      '--target',
      'local',
      '--source',
      repo.dir,
      '--deploy-root',
      root,
      '--app-name',
      appName,
      '--ready-timeout',
      '60000',
      ...extra,
    ],
    env,
  );

/** The step the state file shows in progress: where a killed deploy resumes. */
function runningStep(): Step | undefined {
  const state = readState(root);
  return STEPS.find((step) => state?.steps[step] === 'running');
}

const served = async () => {
  const pids = pm2Workers(pm2Home, appName).map((worker) => worker.pid);
  return { pids, commits: [...(await commitsByPid(port, pids)).values()] };
};

const migrationSleeping = async () =>
  (await scalar<number>(
    database.url,
    `SELECT count(*)::int FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%'
        AND application_name LIKE 'zdm-migrate%'`,
  )) > 0;

beforeAll(async () => {
  secrets = await createSecrets(adminUrl());
  repo = createSourceRepo();
  [database, reference] = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);
  root = tempDir('zdm-faults-deploy-root-');
  pm2Home = tempDir('zdm-faults-deploy-pm2-');
  port = await freePort();
  env = {
    DATABASE_URL: secrets.withCredentials(database.url),
    PORT: String(port),
    PM2_HOME: pm2Home,
    NODE_ENV: 'production',
    LOG_LEVEL: 'debug',
    APP_INSTANCES: '2',
    SHUTDOWN_DRAIN_DELAY_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '5000',
    DEPLOY_ROOT: '',
  };
});

afterAll(async () => {
  await killAll();
  if (pm2Home) killPm2(pm2Home);
  await Promise.all([database?.drop(), reference?.drop()]);
  await secrets?.dropRole(adminUrl());
  for (const dir of [repo?.dir, root, pm2Home])
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('two deploys started together', () => {
  let outcomes: { code: number | null; output: string }[] = [];

  beforeAll(async () => {
    repo.commit('first release with a migration that logs each application', {
      [FIRST_MIGRATION]:
        'CREATE TABLE first_log (at timestamptz DEFAULT now());\nINSERT INTO first_log DEFAULT VALUES;\n',
    });
    const both = [deploy(), deploy()];
    outcomes = await Promise.all(
      both.map(async (proc) => ({ code: await proc.exited, output: proc.output() })),
    );
  });

  test('one deploys and the other refuses, naming the deploy that holds the lock', () => {
    const codes = outcomes.map((outcome) => outcome.code).sort();
    expect({ codes, outputs: outcomes.map((o) => o.output.slice(-600)) }).toMatchObject({
      codes: [0, 1],
    });
    const refused = outcomes.find((outcome) => outcome.code === 1);
    expect(refused?.output).toMatch(/another deploy (is running|holds the deploy lock)/);
  });

  test('nothing was applied twice and every instance serves the release', async () => {
    expect(await scalar<number>(database.url, 'SELECT count(*)::int FROM first_log')).toBe(1);
    const names = await adminQuery<{ name: string }>(
      database.url,
      'SELECT name FROM zdm_migrations',
    );
    expect(new Set(names.map((row) => row.name)).size).toBe(names.length);
    const { pids, commits } = await served();
    expect(pids).toHaveLength(2);
    expect(commits).toEqual([repo.head(), repo.head()]);
  });
});

describe('a deploy killed in the middle of each step, resumed with --from', () => {
  const KILLS: { step: Step; caught: () => Promise<boolean> }[] = [
    { step: 'build', caught: async () => runningStep() === 'build' },
    {
      step: 'migrate-pre',
      caught: async () => runningStep() === 'migrate-pre' && (await migrationSleeping()),
    },
    {
      step: 'rollout',
      caught: async () => {
        if (runningStep() !== 'rollout') return false;
        const answer = await probeReady(`http://127.0.0.1:${port}`);
        return answer?.commit === release;
      },
    },
    { step: 'verify', caught: async () => runningStep() === 'verify' },
    {
      step: 'migrate-post',
      caught: async () => runningStep() === 'migrate-post' && (await migrationSleeping()),
    },
  ];
  let release: string;
  let load: Load;
  let answers: Answer[] = [];
  const killedAt: (Step | undefined)[] = [];
  let last: { code: number | null; output: string };

  beforeAll(async () => {
    release = repo.commit('second release: slow pre- and post-deploy migrations', {
      [PRE_MIGRATION]:
        "CREATE TABLE fault_log (migration text NOT NULL);\nINSERT INTO fault_log VALUES ('pre');\nSELECT pg_sleep(1.5);\n",
      [POST_MIGRATION]: "INSERT INTO fault_log VALUES ('post');\nSELECT pg_sleep(1.5);\n",
    });
    load = startLoad(port, {
      loops: 4,
      next: (loop, count): Sent =>
        loop % 2 === 0
          ? {
              method: 'GET',
              path: '/users?limit=5',
              headers: { authorization: `Bearer ${secrets.bearerToken}` },
            }
          : {
              method: 'POST',
              path: '/users',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${secrets.bearerToken}`,
              },
              body: JSON.stringify({ email: `deploy-${count}@example.com`, name: `D ${count}` }),
            },
      maxRequests: 100_000,
      maxMs: 600_000,
      pauseMs: 20,
      timeoutMs: 30_000,
    });
    try {
      let proc = deploy();
      for (const kill of KILLS) {
        await killWhen(proc, `the deploy in ${kill.step}`, kill.caught, 300_000);
        killedAt.push(runningStep());
        proc = deploy('--from', runningStep() ?? kill.step);
      }
      last = { code: await proc.exited, output: proc.output() };
    } finally {
      answers = await load.stop();
    }
    const migrationsDir = path.join(repo.dir, 'migrations');
    for (const phase of ['pre', 'post']) {
      const run = await runToEnd(cliSource, ['migrate', phase, '--migrations-dir', migrationsDir], {
        DATABASE_URL: reference.url,
      });
      if (run.code !== 0) throw new Error(`reference migrate:${phase} failed:\n${run.output}`);
    }
  });

  test('each kill landed in the step it aimed at, and the last resumed deploy succeeded', () => {
    expect(killedAt).toEqual(KILLS.map((kill) => kill.step));
    expect({ code: last.code, tail: last.output.slice(-800) }).toMatchObject({ code: 0 });
    expect(readState(root)).toMatchObject({
      status: 'succeeded',
      steps: Object.fromEntries(STEPS.map((step) => [step, 'done'])),
    });
  });

  test('every instance serves the new release, and no stray worker is left', async () => {
    const { pids, commits } = await served();
    expect(pids).toHaveLength(2);
    expect(commits).toEqual([release, release]);
    expect(fs.readlinkSync(path.join(root, 'current'))).toBe(`releases/${release.slice(0, 12)}`);
  });

  test('each migration was applied once, and the schema equals an uninterrupted migration', async () => {
    expect(
      await adminQuery(
        database.url,
        'SELECT migration, count(*)::int AS times FROM fault_log GROUP BY 1 ORDER BY 1',
      ),
    ).toEqual([
      { migration: 'post', times: 1 },
      { migration: 'pre', times: 1 },
    ]);
    const [after, expected] = await Promise.all([snapshot(database.url), snapshot(reference.url)]);
    expect(after).toEqual(expected);
    expect(after.invalidIndexes).toEqual([]);
  });

  test('the service answered every request while the deploy was killed and resumed five times', () => {
    const unanswered = answers.filter(
      (answer) => answer.status === undefined || answer.status >= 500,
    );
    expect(answers.length).toBeGreaterThan(100);
    expect(
      unanswered.map(
        (answer) => `${answer.method} ${answer.path} ${answer.status ?? answer.failure}`,
      ),
    ).toEqual([]);
  });
});

test('no line of the deploy output or of the instances logs carries the password or the bearer token', () => {
  const logs = path.join(pm2Home, 'logs');
  const instanceLogs = fs.existsSync(logs)
    ? fs
        .readdirSync(logs)
        .map((file) => fs.readFileSync(path.join(logs, file), 'utf8'))
        .join('\n')
    : '';
  expect(instanceLogs).toContain('"level":"debug"');
  expect(secrets.foundIn(allOutput())).toEqual([]);
  expect(secrets.foundIn(instanceLogs)).toEqual([]);
});
