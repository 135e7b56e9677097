import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { cliSource } from '../support/project';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { readTestServerState } from '../../src/testing';
import { killWhen, scalar, someoneWaitsOnLock } from './support/kill';
import { DEBUG_LOG_ENV } from './support/logs';
import { adminQuery, waitUntil } from './support/postgres';
import { allOutput, killAll, runScript, runToEnd } from '../../src/testing';
import { createSecrets, type Secrets } from '../../src/testing';
import { differingTables, snapshot } from './support/snapshot';

/**
 * `npm run migrate:pre` killed with SIGKILL in the middle of a transactional .sql migration,
 * of a CREATE INDEX CONCURRENTLY, and of a .ts migration, and run again each time: the
 * database ends exactly as after one uninterrupted run, each migration applied once, no
 * INVALID index left. (Two runners at once is the runner's own test.)
 */

jest.setTimeout(180_000);

const MIGRATIONS: Record<string, string> = {
  'pre-deploy/20260301000000-create-widgets.sql': `
    CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);
    CREATE TABLE run_log (migration text NOT NULL);
    INSERT INTO widgets SELECT g, 'widget ' || g FROM generate_series(1, 3000) g;
    INSERT INTO run_log VALUES ('create-widgets');`,
  'pre-deploy/20260301000100-slow-column.sql': `
    ALTER TABLE widgets ADD COLUMN colour text;
    INSERT INTO run_log VALUES ('slow-column');
    SELECT pg_sleep(1);`,
  'pre-deploy/20260301000200-name-index.sql': `
    CREATE INDEX CONCURRENTLY IF NOT EXISTS widgets_name_idx ON widgets (name);`,
  'pre-deploy/20260301000300-slow-ts.ts': `
    import type { MigrationContext } from '${path.resolve(__dirname, '../../app/zero-downtime')}';
    export async function up({ query }: MigrationContext): Promise<void> {
      await query("INSERT INTO run_log VALUES ('slow-ts')");
      await query('SELECT pg_sleep(1)');
    }`,
};

let secrets: Secrets;
let killed: TestDatabase;
let reference: TestDatabase;
let migrationsDir: string;
let invalidAfterIndexKill: string[] = [];

const adminUrl = () => readTestServerState().serverUrl;

const migrate = (url: string): [string, string[], Record<string, string>] => [
  cliSource,
  ['migrate', 'pre', '--migrations-dir', migrationsDir],
  { ...DEBUG_LOG_ENV, DATABASE_URL: secrets.withCredentials(url) },
];

/** A runner statement running `pattern` right now. */
const running = (url: string, pattern: string) => async () =>
  (await scalar<number>(
    url,
    `SELECT count(*)::int FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND query LIKE $1
        AND application_name LIKE 'zdm-migrate%'`,
    [pattern],
  )) > 0;

const runnerSessions = (url: string) =>
  scalar<number>(
    url,
    `SELECT count(*)::int FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'zdm-migrate%'`,
  );

/** An open REPEATABLE READ snapshot: CREATE INDEX CONCURRENTLY waits for it to end. */
async function holdSnapshot(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'fault-snapshot' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await client.query('SELECT 1');
  return client;
}

beforeAll(async () => {
  secrets = await createSecrets(adminUrl());
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-faults-migrations-'));
  for (const [file, content] of Object.entries(MIGRATIONS)) {
    fs.mkdirSync(path.dirname(path.join(migrationsDir, file)), { recursive: true });
    fs.writeFileSync(path.join(migrationsDir, file), content);
  }
  fs.mkdirSync(path.join(migrationsDir, 'post-deploy'), { recursive: true });
  [killed, reference] = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);

  const uninterrupted = await runToEnd(...migrate(reference.url));
  if (uninterrupted.code !== 0)
    throw new Error(`uninterrupted run failed:\n${uninterrupted.output}`);

  const url = killed.url;
  await killWhen(
    runScript(...migrate(url)),
    'the .sql migration sleeping',
    running(url, '%pg_sleep(1)%'),
  );
  await waitUntil(
    'the killed runner to lose its sessions',
    async () => (await runnerSessions(url)) === 0,
  );

  const snapshotHolder = await holdSnapshot(url);
  try {
    await killWhen(runScript(...migrate(url)), 'CREATE INDEX CONCURRENTLY waiting', () =>
      someoneWaitsOnLock(url),
    );
    await waitUntil(
      'the killed runner to lose its sessions',
      async () => (await runnerSessions(url)) === 0,
    );
    invalidAfterIndexKill = (await snapshot(url)).invalidIndexes;
  } finally {
    await snapshotHolder.end();
  }

  await killWhen(
    runScript(...migrate(url)),
    'the .ts migration sleeping',
    running(url, '%pg_sleep%'),
  );
  const last = await runToEnd(...migrate(url));
  if (last.code !== 0) throw new Error(`the last run failed:\n${last.output}`);
});

afterAll(async () => {
  await killAll();
  await Promise.all([killed?.drop(), reference?.drop()]);
  await secrets?.dropRole(adminUrl());
  if (migrationsDir) fs.rmSync(migrationsDir, { recursive: true, force: true });
});

test('a runner killed during CREATE INDEX CONCURRENTLY leaves an INVALID index, and its session ends by itself', () => {
  expect(invalidAfterIndexKill).toEqual(['widgets_name_idx']);
});

test('after three kills and reruns every migration is recorded and applied exactly once', async () => {
  const names = await adminQuery<{ name: string }>(
    killed.url,
    'SELECT name FROM zdm_migrations ORDER BY name',
  );
  expect(names.map((row) => row.name)).toEqual(
    Object.keys(MIGRATIONS)
      .map((file) => path.basename(file).replace(/\.(sql|ts)$/, ''))
      .sort(),
  );
  expect(
    await adminQuery(
      killed.url,
      'SELECT migration, count(*)::int AS times FROM run_log GROUP BY 1 ORDER BY 1',
    ),
  ).toEqual([
    { migration: 'create-widgets', times: 1 },
    { migration: 'slow-column', times: 1 },
    { migration: 'slow-ts', times: 1 },
  ]);
});

test('the killed-and-rerun database equals an uninterrupted run: schema, rows, no INVALID index', async () => {
  const [after, expected] = await Promise.all([snapshot(killed.url), snapshot(reference.url)]);
  expect(after).toEqual(expected);
  expect(after.invalidIndexes).toEqual([]);
  expect(await differingTables(killed.url, reference.url, ['widgets'])).toEqual([]);
});

test('a further migrate:pre has nothing pending', async () => {
  const again = await runToEnd(...migrate(killed.url));
  expect(again.code).toBe(0);
  expect(again.output).toContain('nothing pending');
});

test('no log line of the runs carries the database password', () => {
  expect(allOutput()).toContain('"level":"info"');
  expect(secrets.foundIn(allOutput())).toEqual([]);
});
