import { Client } from 'pg';
import { createCliLogger } from '../../src/core/logger';
import {
  backfill,
  BackfillError,
  type BackfillOptions,
  type BackfillProgress,
} from '../../src/backfill';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';

let database: TestDatabase;
let db: Client;

beforeEach(async () => {
  database = await createEmptyDatabase();
  db = new Client({ connectionString: database.url });
  await db.connect();
});

afterEach(async () => {
  await db.end();
  await database.drop();
});

/** `items` with `rows` rows; `touched` counts how often each row was updated by a backfill. */
async function createItems(rows: number): Promise<void> {
  await db.query(`CREATE TABLE items (
    id bigint PRIMARY KEY, v int NOT NULL, w int, touched int NOT NULL DEFAULT 0)`);
  await db.query(`INSERT INTO items (id, v) SELECT g, g FROM generate_series(1, ${rows}) g`);
}

const run = (options: Partial<BackfillOptions>) =>
  backfill({
    databaseUrl: database.url,
    name: 'fill-w',
    table: 'items',
    set: 'w = v * 2, touched = touched + 1',
    ...options,
  });

async function scalar<T>(sql: string): Promise<T> {
  const { rows } = await db.query(sql);
  return Object.values(rows[0])[0] as T;
}

async function checkpointTableExists(): Promise<boolean> {
  return scalar<boolean>("SELECT to_regclass('zdm_backfills') IS NOT NULL");
}

test('a backfill updates every row once in batches and records its progress', async () => {
  await createItems(1_050);
  const progress: BackfillProgress[] = [];
  const result = await run({ batchSize: 100, onProgress: (event) => progress.push(event) });
  expect(result).toMatchObject({ status: 'finished', rowsDone: 1_050, batchesDone: 11 });
  expect(
    await scalar<number>('SELECT count(*)::int FROM items WHERE w = v * 2 AND touched = 1'),
  ).toBe(1_050);
  const { rows } = await db.query("SELECT * FROM zdm_backfills WHERE name = 'fill-w'");
  expect(rows[0]).toMatchObject({
    table_name: 'public.items',
    set_expression: 'w = v * 2, touched = touched + 1',
    status: 'finished',
    batches_done: 11,
    last_key: ['1050'],
    upper_key: ['1050'],
  });
  expect(rows[0].finished_at).toBeInstanceOf(Date);
  expect(progress.at(-1)).toMatchObject({
    rowsDone: 1_050,
    batchesDone: 11,
    estimatedTotalRows: 1_050,
  });
});

test('a finished backfill reruns as a no-op that says so', async () => {
  await createItems(300);
  await run({ batchSize: 100 });
  const again = await run({ batchSize: 100 });
  expect(again).toMatchObject({ status: 'already-finished', rowsThisRun: 0, batchesDone: 3 });
  expect(await scalar<number>('SELECT max(touched) FROM items')).toBe(1);
});

test('a rerun with the same name but another --set is refused; --restart starts it over', async () => {
  await createItems(200);
  await run({ batchSize: 100 });
  await expect(run({ set: 'w = v * 3' })).rejects.toMatchObject({
    code: 'BACKFILL_NAME_CONFLICT',
    message: expect.stringContaining('--restart'),
  });
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE w = v * 2')).toBe(200);
  const restarted = await run({ set: 'w = v * 3', restart: true });
  expect(restarted).toMatchObject({ status: 'finished', rowsDone: 200 });
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE w = v * 3')).toBe(200);
});

test('--where limits the rows updated', async () => {
  await createItems(500);
  const result = await run({ where: 'v % 5 = 0', batchSize: 30 });
  expect(result).toMatchObject({ status: 'finished', rowsDone: 100, batchesDone: 4 });
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1')).toBe(100);
  expect(
    await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1 AND v % 5 <> 0'),
  ).toBe(0);
});

test('a composite primary key is walked in key order', async () => {
  await db.query(`CREATE TABLE events (
    tenant text NOT NULL, seq int NOT NULL, payload text, copied text,
    PRIMARY KEY (tenant, seq))`);
  await db.query(`INSERT INTO events (tenant, seq, payload)
    SELECT t, s, t || '-' || s FROM unnest(ARRAY['acme', 'b''s "shop"', 'zeta']) t,
    generate_series(1, 70) s`);
  const result = await backfill({
    databaseUrl: database.url,
    name: 'events-copy',
    table: 'events',
    set: 'copied = upper(payload)',
    batchSize: 25,
  });
  expect(result).toMatchObject({ status: 'finished', rowsDone: 210, batchesDone: 9 });
  expect(
    await scalar<number>('SELECT count(*)::int FROM events WHERE copied = upper(payload)'),
  ).toBe(210);
});

test('a batch that waits on a row lock is retried after the lock timeout and the backfill finishes', async () => {
  await createItems(300);
  const blocker = new Client({ connectionString: database.url });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM items WHERE id = 150 FOR UPDATE');
    let log = '';
    const logger = createCliLogger({ json: true, write: (line) => (log += `${line}\n`) });
    const running = run({ batchSize: 100, lockTimeoutMs: 100, logger });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await blocker.query('COMMIT');
    const result = await running;
    expect(result).toMatchObject({ status: 'finished', rowsDone: 300, batchesDone: 3 });
    expect(log).toContain('batch 2 waited too long for a lock');
  } finally {
    await blocker.end();
  }
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1')).toBe(300);
});

test('aborting finishes the batch in flight, records it, and the same backfill resumes after it', async () => {
  await createItems(1_000);
  const stop = new AbortController();
  const first = await run({
    batchSize: 100,
    signal: stop.signal,
    onProgress: (event) => event.batchesDone === 3 && stop.abort(),
  });
  expect(first).toMatchObject({ status: 'stopped', batchesDone: 3, rowsDone: 300 });
  expect(await scalar<string>("SELECT status FROM zdm_backfills WHERE name = 'fill-w'")).toBe(
    'stopped',
  );
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1')).toBe(300);
  const second = await run({ batchSize: 100 });
  expect(second).toMatchObject({ status: 'finished', batchesDone: 10, rowsThisRun: 700 });
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched = 1')).toBe(1_000);
});

test('a backfill terminates while rows keep being inserted, updating the rows up to the key fixed at start', async () => {
  await createItems(2_000);
  const inserter = new Client({ connectionString: database.url });
  await inserter.connect();
  let inserting = true;
  let inserted = 0;
  const insertLoop = (async () => {
    while (inserting) {
      await inserter.query('INSERT INTO items (id, v) VALUES ($1::bigint, $1::int)', [
        2_001 + inserted,
      ]);
      inserted += 1;
    }
  })();
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await run({ batchSize: 50, pauseMs: 5 });
    const insertedByTheEnd = inserted;
    expect(result.status).toBe('finished');
    const upper = await scalar<string[]>(
      "SELECT upper_key FROM zdm_backfills WHERE name = 'fill-w'",
    );
    const bound = Number(upper[0]);
    expect(bound).toBeGreaterThan(2_000);
    expect(result.rowsDone).toBe(bound);
    expect(
      await scalar<number>(
        `SELECT count(*)::int FROM items WHERE id <= ${bound} AND touched = 1 AND w = v * 2`,
      ),
    ).toBe(bound);
    expect(
      await scalar<number>(`SELECT count(*)::int FROM items WHERE id > ${bound} AND touched > 0`),
    ).toBe(0);
    // Rows kept arriving after the bound was fixed, and the backfill still finished.
    expect(2_000 + insertedByTheEnd).toBeGreaterThan(bound);
  } finally {
    inserting = false;
    await insertLoop;
    await inserter.end();
  }
});

test('--dry-run reports the rows and the batch plan and writes nothing', async () => {
  await createItems(1_234);
  const result = await run({ dryRun: true, batchSize: 500 });
  expect(result.status).toBe('dry-run');
  expect(result.plan).toMatchObject({
    table: 'public.items',
    keyColumns: ['id'],
    upperKey: ['1234'],
    countedRows: 1_234,
    batches: 3,
    batchSize: 500,
  });
  expect(result.plan?.statement).toContain('UPDATE "public"."items"');
  expect(await checkpointTableExists()).toBe(false);
  expect(await scalar<number>('SELECT count(*)::int FROM items WHERE touched > 0')).toBe(0);
});

describe('bad input is refused before anything is written', () => {
  beforeEach(async () => {
    await createItems(300);
    await db.query('CREATE TABLE no_key (a int, b int)');
  });

  afterEach(async () => {
    expect(await checkpointTableExists()).toBe(false);
    expect(
      await scalar<number>('SELECT count(*)::int FROM items WHERE touched > 0 OR w IS NOT NULL'),
    ).toBe(0);
  });

  const cases: [string, Partial<BackfillOptions>, string, RegExp][] = [
    ['an unknown table', { table: 'itemz' }, 'BACKFILL_UNKNOWN_TABLE', /"itemz" does not exist/],
    [
      'an unknown column',
      { set: 'wx = 1' },
      'BACKFILL_UNKNOWN_COLUMN',
      /"wx" does not exist in public\.items/,
    ],
    [
      'a table without primary key',
      { table: 'no_key', set: 'b = a' },
      'BACKFILL_NO_PRIMARY_KEY',
      /no primary key/,
    ],
    [
      'an expression of the wrong type',
      { set: "w = 'many'" },
      'BACKFILL_INVALID_SET',
      /invalid input syntax/,
    ],
    [
      'an expression that fails at run time',
      { set: 'w = v / (v - v)' },
      'BACKFILL_INVALID_SET',
      /division by zero/,
    ],
    [
      'a --set with a smuggled clause',
      { set: 'w = 1 WHERE id = 1' },
      'BACKFILL_INVALID_SET',
      /not a list of assignments/,
    ],
    [
      'a --where that fails',
      { where: 'nope > 1' },
      'BACKFILL_INVALID_WHERE',
      /"nope" does not exist/,
    ],
    [
      'a --where with a second statement',
      { where: 'true; DROP TABLE items' },
      'BACKFILL_INVALID_WHERE',
      /not a condition/,
    ],
    ['a --max-lag without unit', { maxLag: '500' }, 'BACKFILL_BAD_OPTION', /needs a unit/],
  ];

  test.each(cases)('%s', async (_, options, code, message) => {
    const failure = await run(options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackfillError);
    expect(failure).toMatchObject({ code, message: expect.stringMatching(message) });
  });
});
