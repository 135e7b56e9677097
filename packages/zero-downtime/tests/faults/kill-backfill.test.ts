import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { cliSource } from '../support/project';
import { readTestServerState } from '../../src/testing';
import { endOrphanSessions, killWhen, scalar } from './support/kill';
import { DEBUG_LOG_ENV } from './support/logs';
import { adminQuery } from './support/postgres';
import { allOutput, killAll, runScript, runToEnd } from '../../src/testing';
import { createSecrets, type Secrets } from '../../src/testing';
import { differingTables, snapshot } from './support/snapshot';

/**
 * `npm run db:backfill` killed with SIGKILL at several points (before its first batch commits,
 * early, midway, in its last batches), each time resumed with the same command, must leave the
 * database exactly as one uninterrupted run does, every row updated exactly once.
 */

jest.setTimeout(180_000);

const ROWS = 2_000;
const BATCH = 50;
const BATCHES = ROWS / BATCH;
/** Batches committed when the kill comes (the kill lands in the next batch's transaction). */
const KILL_AFTER = [0, 3, BATCHES / 2, BATCHES - 5];

let secrets: Secrets;
let killed: TestDatabase;
let reference: TestDatabase;
let url: string;
let referenceUrl: string;
const killedAt: number[] = [];

const adminUrl = () => readTestServerState().serverUrl;

/**
 * A statement trigger makes every batch hold its transaction open a little while, so a kill
 * right after a commit lands inside the next batch. `touched` counts how often a row was
 * updated: a batch applied twice cannot hide.
 */
async function seed(databaseUrl: string): Promise<void> {
  await adminQuery(
    databaseUrl,
    `CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL, w int, touched int NOT NULL DEFAULT 0);
     INSERT INTO items (id, v) SELECT g, g FROM generate_series(1, ${ROWS}) g;
     CREATE FUNCTION slow_batch() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN PERFORM pg_sleep(0.08); RETURN NULL; END $$;
     CREATE TRIGGER items_slow_batch AFTER UPDATE ON items
       FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();`,
  );
}

const command = (databaseUrl: string) => ({
  args: [
    'backfill',
    ...['--name', 'fill-w', '--table', 'items', '--set', 'w = v * 2, touched = touched + 1'],
    ...['--batch-size', String(BATCH)],
  ],
  env: { ...DEBUG_LOG_ENV, DATABASE_URL: secrets.withCredentials(databaseUrl) },
});

const batchesDone = async (): Promise<number | undefined> => {
  const exists = await scalar<boolean>(url, "SELECT to_regclass('zdm_backfills') IS NOT NULL");
  if (!exists) return undefined;
  return scalar<number | undefined>(
    url,
    "SELECT batches_done FROM zdm_backfills WHERE name = 'fill-w'",
  );
};

beforeAll(async () => {
  secrets = await createSecrets(adminUrl());
  [killed, reference] = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);
  url = killed.url;
  referenceUrl = reference.url;
  await Promise.all([seed(url), seed(referenceUrl)]);

  const uninterrupted = command(referenceUrl);
  const run = await runToEnd(cliSource, uninterrupted.args, uninterrupted.env);
  if (run.code !== 0) throw new Error(`the uninterrupted backfill failed:\n${run.output}`);

  const interrupted = command(url);
  for (const after of KILL_AFTER) {
    const proc = runScript(cliSource, interrupted.args, interrupted.env);
    await killWhen(proc, `${after} committed batches`, async () => {
      const done = await batchesDone();
      return done !== undefined && done >= after;
    });
    await endOrphanSessions(url);
    killedAt.push((await batchesDone()) ?? -1);
  }
  const resumed = await runToEnd(cliSource, interrupted.args, interrupted.env);
  if (resumed.code !== 0) throw new Error(`the resumed backfill failed:\n${resumed.output}`);
});

afterAll(async () => {
  await killAll();
  await Promise.all([killed?.drop(), reference?.drop()]);
  await secrets?.dropRole(adminUrl());
});

test('each kill landed where it was aimed, before the backfill finished', () => {
  expect(killedAt).toHaveLength(KILL_AFTER.length);
  killedAt.forEach((done, index) => {
    expect(done).toBeGreaterThanOrEqual(KILL_AFTER[index]);
    expect(done).toBeLessThan(BATCHES);
  });
});

test('after four kills and the same command again, every row is updated exactly once', async () => {
  expect(
    await scalar<number>(url, 'SELECT count(*)::int FROM items WHERE w = v * 2 AND touched = 1'),
  ).toBe(ROWS);
  expect(await scalar<number>(url, 'SELECT max(touched) FROM items')).toBe(1);
  expect(
    await adminQuery(
      url,
      "SELECT status, rows_done::int, batches_done FROM zdm_backfills WHERE name = 'fill-w'",
    ),
  ).toEqual([{ status: 'finished', rows_done: ROWS, batches_done: BATCHES }]);
});

test('the killed-and-resumed database equals an uninterrupted run: schema, rows, no INVALID index', async () => {
  const [after, expected] = await Promise.all([snapshot(url), snapshot(referenceUrl)]);
  expect(after).toEqual(expected);
  expect(after.invalidIndexes).toEqual([]);
  expect(await differingTables(url, referenceUrl, ['items'])).toEqual([]);
});

test('running the command once more changes nothing: the backfill is finished', async () => {
  const again = command(url);
  const run = await runToEnd(cliSource, again.args, again.env);
  expect(run.code).toBe(0);
  expect(run.output).toContain('already finished');
  expect(await scalar<number>(url, 'SELECT max(touched) FROM items')).toBe(1);
});

test('no log line of the backfill commands carries the database password', () => {
  expect(allOutput()).toContain('"level":"info"');
  expect(secrets.foundIn(allOutput())).toEqual([]);
});
