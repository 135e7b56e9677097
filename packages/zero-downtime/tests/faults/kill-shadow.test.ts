import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { runShadowStep } from '../../src/shadow';
import { cliSource } from '../support/project';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { readTestServerState } from '../../src/testing';
import { endOrphanSessions, killWhen, scalar, someoneWaitsOnLock } from './support/kill';
import { DEBUG_LOG_ENV } from './support/logs';
import { adminQuery, lockTable } from './support/postgres';
import { allOutput, killAll, runScript, runToEnd } from '../../src/testing';
import { createSecrets, type Secrets } from '../../src/testing';
import { differingTables, invalidIndexes, snapshot } from './support/snapshot';

/**
 * A shadow-table rebuild (`npm run db:shadow -- orders <step>`) SIGKILLed in the middle of
 * every step, create to cleanup, each time with its database session ending too (the machine
 * died), then resumed with the same command. Each kill is made to land inside its step: the
 * test holds a lock (or a snapshot) the step needs, and kills once the step waits for it.
 * The database must end exactly like one where the same steps ran uninterrupted.
 */

jest.setTimeout(240_000);

const ROWS = 4_000;
const ALTER = 'ALTER COLUMN id TYPE bigint, ALTER COLUMN customer_id TYPE bigint';
const TABLES_COMPARED = ['orders', 'customers'];

interface Step {
  step: string;
  args?: string[];
  /** What the test holds so the step is caught in the middle. */
  hold: (url: string) => Promise<{ release(): Promise<void> }>;
  /** The step is in the middle of its work. */
  caught: (url: string) => Promise<boolean>;
}

const waitsOn = (relation?: string) => (url: string) => someoneWaitsOnLock(url, relation);
const nothing = async () => ({ release: async () => undefined });

const STEPS: Step[] = [
  {
    step: 'create',
    args: ['--alter', ALTER],
    hold: (url) => lockTable(url, 'orders'),
    caught: waitsOn('orders'),
  },
  { step: 'triggers', hold: (url) => lockTable(url, 'orders'), caught: waitsOn('orders') },
  {
    step: 'backfill',
    args: ['--batch-size', '100', '--pause', '40'],
    hold: nothing,
    caught: async (url) =>
      (await scalar<number>(url, 'SELECT backfill_batches FROM zdm_shadow_rebuilds')) >= 5,
  },
  { step: 'indexes', hold: holdSnapshot, caught: waitsOn() },
  {
    step: 'verify',
    hold: (url) => lockTable(url, 'orders_zdm_new'),
    caught: waitsOn('orders_zdm_new'),
  },
  {
    step: 'swap',
    args: ['--lock-timeout', '200', '--retries', '100'],
    hold: (url) => lockTable(url, 'orders'),
    caught: waitsOn('orders'),
  },
  {
    step: 'cleanup',
    hold: (url) => lockTable(url, 'orders_zdm_old'),
    caught: waitsOn('orders_zdm_old'),
  },
];

let secrets: Secrets;
let killed: TestDatabase;
let reference: TestDatabase;
let reports: string;
const leftAfterKill: Record<string, string[]> = {};
const resumedSaying: Record<string, string> = {};

const adminUrl = () => readTestServerState().serverUrl;

/** An open REPEATABLE READ snapshot: CREATE INDEX CONCURRENTLY waits for it before finishing. */
async function holdSnapshot(url: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: 'fault-snapshot' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await client.query('SELECT 1');
  return { release: () => client.end() };
}

async function seed(url: string): Promise<void> {
  await adminQuery(
    url,
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 40) g;
     CREATE TABLE orders (
       id serial PRIMARY KEY,
       customer_id int NOT NULL REFERENCES customers (id),
       total numeric(10, 2) NOT NULL CHECK (total >= 0),
       note text,
       code text UNIQUE);
     CREATE INDEX orders_customer_id_idx ON orders (customer_id);
     INSERT INTO orders (customer_id, total, note, code)
       SELECT 1 + g % 40, g % 500, CASE WHEN g % 9 = 0 THEN NULL ELSE 'note ' || g END, 'code-' || g
         FROM generate_series(1, ${ROWS}) g;`,
  );
}

/** The same writes on both databases while the mirror triggers are in place. */
async function write(url: string, round: number): Promise<void> {
  const base = 100_000 + round * 1_000;
  await adminQuery(
    url,
    `INSERT INTO orders (id, customer_id, total, note, code)
       SELECT ${base} + g, 1 + g % 40, g, 'written ${round}', 'w${round}-' || g FROM generate_series(1, 30) g;
     UPDATE orders SET total = total + 1, note = 'updated ${round}' WHERE id % 97 = ${round};
     DELETE FROM orders WHERE id % 89 = ${round};`,
  );
}

const shadowCommand = (url: string, step: Step): [string, string[], Record<string, string>] => [
  cliSource,
  [
    'shadow',
    'orders',
    step.step,
    ...(step.args ?? []),
    ...(step.step === 'verify' ? ['--out', path.join(reports, `verify-${Date.now()}.jsonl`)] : []),
  ],
  { ...DEBUG_LOG_ENV, DATABASE_URL: secrets.withCredentials(url) },
];

async function runUninterrupted(url: string): Promise<void> {
  const client = new Client({
    connectionString: secrets.withCredentials(url),
    application_name: 'fault-reference',
  });
  await client.connect();
  const session = { client, log: () => undefined };
  try {
    for (const step of STEPS) {
      await runShadowStep(session, 'orders', step.step, {
        alter: ALTER,
        batchSize: 100,
        out: path.join(reports, 'reference-verify.jsonl'),
      });
      if (step.step === 'triggers' || step.step === 'backfill')
        await write(url, STEPS.indexOf(step));
    }
  } finally {
    await client.end();
  }
}

/** Starts the step, kills it once caught in the middle, then resumes it with the same command. */
async function killAndResume(url: string, step: Step): Promise<void> {
  const held = await step.hold(url);
  try {
    const proc = runScript(...shadowCommand(url, step));
    await killWhen(proc, `${step.step} in the middle of its work`, () => step.caught(url));
    await endOrphanSessions(url);
    leftAfterKill[step.step] = await invalidIndexes(url);
  } finally {
    await held.release();
  }
  const resumed = await runToEnd(...shadowCommand(url, step));
  if (resumed.code !== 0) throw new Error(`resuming ${step.step} failed:\n${resumed.output}`);
  resumedSaying[step.step] = resumed.output.trim();
  if (step.step === 'triggers' || step.step === 'backfill') await write(url, STEPS.indexOf(step));
}

beforeAll(async () => {
  secrets = await createSecrets(adminUrl());
  reports = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-faults-shadow-'));
  [killed, reference] = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);
  // The role that runs db:shadow owns the table, as the migration role does in production.
  const asOwner = (url: string) => secrets.withCredentials(url);
  await Promise.all([seed(asOwner(killed.url)), seed(asOwner(reference.url))]);
  await runUninterrupted(reference.url);
  for (const step of STEPS) await killAndResume(killed.url, step);
});

afterAll(async () => {
  await killAll();
  await Promise.all([killed?.drop(), reference?.drop()]);
  await secrets?.dropRole(adminUrl());
  if (reports) fs.rmSync(reports, { recursive: true, force: true });
});

test('every step was killed in the middle and resumed: the rebuild is finished and swapped', async () => {
  expect(Object.keys(resumedSaying)).toEqual(STEPS.map((step) => step.step));
  // Each resumed command still had its step's work to do: the kill came before it was done.
  for (const said of Object.values(resumedSaying)) expect(said).not.toContain('nothing to do');
  expect(
    await adminQuery(killed.url, 'SELECT done, swapped, mirror_error FROM zdm_shadow_rebuilds'),
  ).toEqual([{ done: 'cleanup', swapped: true, mirror_error: null }]);
});

test('the kill inside the indexes step left an INVALID index, which the resumed step replaced', () => {
  expect(leftAfterKill.indexes.length).toBeGreaterThan(0);
});

test('the killed-and-resumed database equals an uninterrupted rebuild: schema, rows, no INVALID index', async () => {
  const [after, expected] = await Promise.all([snapshot(killed.url), snapshot(reference.url)]);
  expect(after).toEqual(expected);
  expect(after.invalidIndexes).toEqual([]);
  expect(await differingTables(killed.url, reference.url, TABLES_COMPARED)).toEqual([]);
});

test('no shadow table, old table, mirror trigger or trigger function is left behind', async () => {
  const after = await snapshot(killed.url);
  const leftovers = [...after.relations, ...after.triggers, ...after.functions].filter(
    (line) => /zdm_new|zdm_old|zdm_shadow/.test(line) && !line.startsWith('zdm_shadow_rebuilds'),
  );
  expect(leftovers).toEqual([]);
  expect(
    await adminQuery(
      killed.url,
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'orders'::regclass AND attname IN ('id', 'customer_id') ORDER BY attname`,
    ),
  ).toEqual([{ type: 'bigint' }, { type: 'bigint' }]);
});

test('no log line of the shadow commands carries the database password', () => {
  expect(allOutput()).toContain('The rebuild is finished');
  expect(secrets.foundIn(allOutput())).toEqual([]);
});
