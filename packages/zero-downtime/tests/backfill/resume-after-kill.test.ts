import { Client } from 'pg';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { killAll, runScript, type ScriptProcess } from '../../src/testing';
import { cliSource } from '../support/project';

/**
 * The command-line backfill as an operator runs it: killed with SIGKILL in the middle, run
 * again with the same command. A statement-level trigger appends one audit row per committed
 * batch, and each row counts its own updates, so a batch applied twice cannot hide.
 */

const ROWS = 600;
const BATCH = 20;
const BATCHES_NEEDED = ROWS / BATCH + (ROWS % BATCH === 0 ? 0 : 1);

let database: TestDatabase;
let db: Client;

beforeEach(async () => {
  database = await createEmptyDatabase();
  db = new Client({ connectionString: database.url });
  await db.connect();
  await db.query(`CREATE TABLE items (
    id bigint PRIMARY KEY, v int NOT NULL, w int, touched int NOT NULL DEFAULT 0)`);
  await db.query(`INSERT INTO items (id, v) SELECT g, g FROM generate_series(1, ${ROWS}) g`);
  await db.query('CREATE TABLE batch_audit (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
  // One audit row per committed UPDATE statement that changed rows (an empty last page changes none).
  await db.query(`CREATE FUNCTION audit_batch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM changed) THEN INSERT INTO batch_audit DEFAULT VALUES; END IF;
      RETURN NULL;
    END $$`);
  await db.query(`CREATE TRIGGER items_batch_audit AFTER UPDATE ON items
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION audit_batch()`);
});

afterEach(async () => {
  await killAll();
  await db.end();
  await database.drop();
});

const args = (...extra: string[]) => [
  ...['--name', 'fill-w', '--table', 'items', '--set', 'w = v * 2, touched = touched + 1'],
  ...['--batch-size', String(BATCH)],
  ...extra,
];

/** `zdm backfill` from source, in a process group of its own (a SIGKILL reaches all of it). */
function runBackfill(scriptArgs: string[]): ScriptProcess {
  return runScript(cliSource, ['backfill', ...scriptArgs], { DATABASE_URL: database.url });
}

const startBackfill = (...extra: string[]): ScriptProcess => runBackfill(args(...extra));

async function scalar<T>(sql: string): Promise<T> {
  const { rows } = await db.query(sql);
  return Object.values(rows[0])[0] as T;
}

async function batchesDone(): Promise<number> {
  const { rows } = await db.query("SELECT batches_done FROM zdm_backfills WHERE name = 'fill-w'");
  return rows[0]?.batches_done ?? 0;
}

async function waitForBatches(count: number, child: ScriptProcess): Promise<void> {
  const until = Date.now() + 30_000;
  while (
    (await db.query("SELECT to_regclass('zdm_backfills') AS t")).rows[0].t === null ||
    (await batchesDone()) < count
  ) {
    if (Date.now() > until) throw new Error(`no ${count} batches within 30 s:\n${child.output()}`);
    if (!child.running()) throw new Error(`backfill exited early:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a backfill killed with SIGKILL resumes after its last committed batch and applies no batch twice', async () => {
  const first = startBackfill('--pause', '100');
  await waitForBatches(5, first);
  first.signal('SIGKILL');
  await first.exited;

  const committed = await batchesDone();
  expect(committed).toBeGreaterThanOrEqual(5);
  expect(committed).toBeLessThan(BATCHES_NEEDED);
  expect(await scalar<number>('SELECT count(*)::int FROM batch_audit')).toBe(committed);
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1')).toBe(
    committed * BATCH,
  );

  const second = startBackfill();
  expect(`exit ${await second.exited}\n${second.output()}`).toMatch(/^exit 0/);
  expect(
    await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1 AND w = v * 2'),
  ).toBe(ROWS);
  expect(await scalar<number>('SELECT max(touched) FROM items')).toBe(1);
  expect(await scalar<number>('SELECT count(*)::int FROM batch_audit')).toBe(BATCHES_NEEDED);
  expect(await batchesDone()).toBe(BATCHES_NEEDED);
  expect(await scalar<string>("SELECT status FROM zdm_backfills WHERE name = 'fill-w'")).toBe(
    'finished',
  );
  expect(second.output()).toContain(`resuming after key (${committed * BATCH})`);

  const third = startBackfill();
  expect(await third.exited).toBe(0);
  expect(third.output()).toContain('already finished');
  expect(await scalar<number>('SELECT count(*)::int FROM batch_audit')).toBe(BATCHES_NEEDED);
}, 60_000);

test('Ctrl-C finishes the batch in flight, exits 130, and the same command resumes', async () => {
  const first = startBackfill('--pause', '100');
  await waitForBatches(3, first);
  first.signal('SIGINT');
  expect(await first.exited).toBe(130);
  expect(first.output()).toContain('run the same command to resume');
  const stoppedAt = await batchesDone();
  expect(await scalar<string>("SELECT status FROM zdm_backfills WHERE name = 'fill-w'")).toBe(
    'stopped',
  );
  expect(await scalar<number>('SELECT count(*)::int FROM batch_audit')).toBe(stoppedAt);

  const second = startBackfill();
  expect(await second.exited).toBe(0);
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1')).toBe(ROWS);
  expect(await scalar<number>('SELECT count(*)::int FROM batch_audit')).toBe(BATCHES_NEEDED);
}, 60_000);

test('the command refuses bad input with its error code and exit code 1, writing nothing', async () => {
  const child = runBackfill(['--name', 'x', '--table', 'items', '--set', 'nope = 1']);
  expect(await child.exited).toBe(1);
  expect(child.output()).toContain('[BACKFILL_UNKNOWN_COLUMN]');
  expect(await scalar<boolean>("SELECT to_regclass('zdm_backfills') IS NULL")).toBe(true);
}, 30_000);

test('--dry-run prints the plan and writes nothing', async () => {
  const child = startBackfill('--dry-run');
  expect(await child.exited).toBe(0);
  expect(child.output()).toContain(`batches:        ${BATCHES_NEEDED} of ${BATCH} keys`);
  expect(child.output()).toContain(`key range:      from the start up to id ${ROWS} (`);
  expect(child.output()).toContain('dry run: nothing was written.');
  // Piped: what it does before the plan, in plain lines, at once.
  expect(child.output()).toContain('backfill: opening the database...\n');
  expect(child.output()).toContain('backfill: checking items and counting the rows to update...\n');
  expect(await scalar<boolean>("SELECT to_regclass('zdm_backfills') IS NULL")).toBe(true);
}, 30_000);
