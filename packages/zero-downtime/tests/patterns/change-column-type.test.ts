import type { Client } from 'pg';
import { changeColumnType } from '../../src/patterns';
import {
  openPatternDatabase,
  rejection,
  sleep,
  startLoop,
  type PatternTestDatabase,
  type WriterLoop,
} from './support';

/**
 * orders.amount (integer cents, nullable, default 0) becomes orders.amount_dollars
 * numeric(12,2), converted both ways, while version N writes cents and N+1 writes dollars,
 * NULLs included.
 */
let db: PatternTestDatabase;
let oldVersion: Client;
let newVersion: Client;
const ROWS = 4000;
const change = {
  table: 'orders',
  column: 'amount',
  to: 'amount_dollars',
  type: 'numeric(12,2)',
  up: 'amount / 100.0',
  down: 'round(amount_dollars * 100)::integer',
} as const;

/** A value in cents, or NULL, as each version would write it. */
type Cents = number | null;

const oldVersionModel = {
  insert: async (client: Client, cents: Cents) =>
    String(
      (
        await client.query(`INSERT INTO orders (amount) VALUES ($1) RETURNING id, amount, note`, [
          cents,
        ])
      ).rows[0].id,
    ),
  update: (client: Client, id: string, cents: Cents) =>
    client.query(`UPDATE orders SET amount = $1 WHERE id = $2`, [cents, id]),
};

const dollars = (cents: Cents) => (cents === null ? null : (cents / 100).toFixed(2));

const newVersionModel = {
  insert: async (client: Client, cents: Cents) =>
    String(
      (
        await client.query(
          `INSERT INTO orders (amount_dollars) VALUES ($1) RETURNING id, amount_dollars, note`,
          [dollars(cents)],
        )
      ).rows[0].id,
    ),
  update: (client: Client, id: string, cents: Cents) =>
    client.query(`UPDATE orders SET amount_dollars = $1 WHERE id = $2`, [dollars(cents), id]),
};

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(
    `CREATE TABLE orders (id bigserial PRIMARY KEY, amount integer DEFAULT 0, note text)`,
  );
  await db.sql(
    `INSERT INTO orders (amount) SELECT CASE WHEN n % 10 = 0 THEN NULL ELSE n * 37 END
       FROM generate_series(1, $1) n`,
    [ROWS],
  );
  oldVersion = await db.connect();
  newVersion = await db.connect();
});
afterAll(() => db.close());

function writer(
  client: Client,
  parity: 0 | 1,
  model: typeof oldVersionModel,
  expected: Map<string, Cents>,
): WriterLoop {
  const mine: string[] = [];
  return startLoop(async (iteration) => {
    const cents = iteration % 4 === 0 ? null : iteration * 101 + parity;
    if (iteration % 3 === 0) {
      const id = await model.insert(client, cents);
      mine.push(id);
      expected.set(id, cents);
      return;
    }
    const id =
      iteration % 3 === 1 && mine.length > 0
        ? mine[iteration % mine.length]
        : String(2 * (1 + ((iteration * 7919) % (ROWS / 2 - 1))) - parity);
    await model.update(client, id, cents);
    expected.set(id, cents);
  });
}

const triggerInstalled = async () =>
  (
    await db.sql(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND tgname LIKE 'zdm_sync_%'`,
    )
  ).length > 0;

test('expand is refused in post-deploy and inside a transaction; the new column must have a new name', async () => {
  expect(
    (await rejection(changeColumnType(await db.executor('post'), { ...change, step: 'expand' })))
      .code,
  ).toBe('wrong-phase');
  const inside = await db.executor('pre', { inTransaction: true });
  expect((await rejection(changeColumnType(inside, { ...change, step: 'expand' }))).code).toBe(
    'inside-transaction',
  );
  const sameName = await rejection(
    changeColumnType(await db.executor('pre'), { ...change, to: 'amount', step: 'expand' }),
  );
  expect(sameName.code).toBe('bad-identifier');
  expect(sameName.message).toContain('amount_new');
});

test('expand with cents writers and dollars writers (NULLs included) during the backfill: every row has amount_dollars = amount / 100', async () => {
  const expected = new Map<string, Cents>();
  const oldWriter = writer(await db.connect(), 1, oldVersionModel, expected);
  const newClient = await db.connect();
  let newWriter: WriterLoop | undefined;
  const startNew = (async () => {
    while (!(await triggerInstalled())) await sleep(2);
    newWriter = writer(newClient, 0, newVersionModel, expected);
  })();
  await changeColumnType(await db.executor('pre'), {
    ...change,
    step: 'expand',
    backfill: { batchSize: 150, pauseMs: 10 },
  });
  await startNew;
  expect(await oldWriter.stop()).toBeGreaterThan(0);
  expect(await newWriter!.stop()).toBeGreaterThan(0);

  const converted = `amount_dollars IS DISTINCT FROM (amount / 100.0)::numeric(12,2)`;
  expect(await db.sql(`SELECT id FROM orders WHERE ${converted}`)).toEqual([]);
  const forward = await db.sql(
    `SELECT id, (amount / 100.0)::numeric(12,2) AS v FROM orders EXCEPT SELECT id, amount_dollars FROM orders`,
  );
  const backward = await db.sql(
    `SELECT id, amount_dollars AS v FROM orders EXCEPT SELECT id, (amount / 100.0)::numeric(12,2) FROM orders`,
  );
  expect(forward).toEqual([]);
  expect(backward).toEqual([]);
  const rows = await db.sql(
    `SELECT id, amount, amount_dollars FROM orders WHERE id = ANY($1::bigint[])`,
    [[...expected.keys()]],
  );
  expect(rows).toHaveLength(expected.size);
  for (const row of rows) {
    const cents = expected.get(String(row.id)) ?? null;
    expect({ id: row.id, amount: row.amount, dollars: row.amount_dollars }).toEqual({
      id: row.id,
      amount: cents,
      dollars: dollars(cents),
    });
  }
});

test('an explicit NULL from either version reaches both columns, and an omitted column takes the default', async () => {
  const fromNew = await newVersionModel.insert(newVersion, null);
  const fromOld = await oldVersionModel.insert(oldVersion, null);
  const omitted = (
    await oldVersion.query(`INSERT INTO orders (note) VALUES ('old, no amount') RETURNING id`)
  ).rows[0].id;
  const rows = await db.sql(
    `SELECT id, amount, amount_dollars FROM orders WHERE id = ANY($1::bigint[]) ORDER BY id`,
    [[fromNew, fromOld, omitted]],
  );
  expect(rows.map(({ amount, amount_dollars }) => [amount, amount_dollars])).toEqual([
    [null, null],
    [null, null],
    [0, '0.00'],
  ]);
  await newVersionModel.update(newVersion, fromOld, 1234);
  await oldVersionModel.update(oldVersion, fromNew, 999);
  const after = await db.sql(
    `SELECT amount, amount_dollars FROM orders WHERE id IN ($1, $2) ORDER BY id`,
    [fromNew, fromOld],
  );
  expect(after).toEqual([
    { amount: 999, amount_dollars: '9.99' },
    { amount: 1234, amount_dollars: '12.34' },
  ]);
  await oldVersionModel.update(oldVersion, fromNew, null);
  expect(
    await db.sql(`SELECT amount, amount_dollars FROM orders WHERE id = $1`, [fromNew]),
  ).toEqual([{ amount: null, amount_dollars: null }]);
});

test('contract keeps N working; cleanup moves the default to the new column (converted) and drops the old column and the trigger', async () => {
  const ctx = await db.executor('post');
  await changeColumnType(ctx, { ...change, step: 'contract' });
  const straggler = await oldVersionModel.insert(oldVersion, 4321);
  expect(await db.sql(`SELECT amount_dollars FROM orders WHERE id = $1`, [straggler])).toEqual([
    { amount_dollars: '43.21' },
  ]);
  await changeColumnType(ctx, { ...change, step: 'cleanup' });
  const [column] = await db.sql(
    `SELECT pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attrdef d
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = 'orders'::regclass AND a.attname = 'amount_dollars'`,
  );
  expect(column.def).toMatch(/0.*numeric\(12,2\)/);
  const omitted = (
    await newVersion.query(
      `INSERT INTO orders (note) VALUES ('new, no amount') RETURNING amount_dollars`,
    )
  ).rows[0];
  expect(omitted.amount_dollars).toBe('0.00');
  await changeColumnType(ctx, { ...change, step: 'cleanup' });
  expect(await triggerInstalled()).toBe(false);
  const columns = await db.sql(
    `SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  expect(columns.map((row) => row.attname)).toEqual(['id', 'note', 'amount_dollars']);
});
