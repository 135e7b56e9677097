import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { compareTables } from '../../src/compare';
import { status } from '../../src/shadow';
import { rejection, startLoop, type WriterLoop } from '../patterns/support';
import { openShadowDatabase, type ShadowTestDatabase } from './support';

/**
 * orders.id and orders.customer_id go from integer to bigint through a shadow table while a
 * writer keeps inserting, updating and deleting. Every write also goes, in the same
 * transaction, to orders_twin, which never takes part in the rebuild: after the swap and after
 * the swap-back, orders must equal the twin.
 */
let db: ShadowTestDatabase;
const ROWS = 3000;
const COLUMNS = ['id', 'customer_id', 'total', 'note', 'code', 'created_at'];
const ALTER = 'ALTER COLUMN id TYPE bigint, ALTER COLUMN customer_id TYPE bigint';

beforeAll(async () => {
  db = await openShadowDatabase();
  await db.sql(
    `DO $$ BEGIN CREATE ROLE zdm_shadow_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  );
  await db.sql(`CREATE TABLE customers (id int PRIMARY KEY)`);
  await db.sql(`INSERT INTO customers SELECT generate_series(1, 50)`);
  for (const table of ['orders', 'orders_twin']) {
    await db.sql(`CREATE TABLE ${table} (
      id ${table === 'orders' ? 'serial' : 'int'} PRIMARY KEY,
      customer_id int ${table === 'orders' ? 'REFERENCES customers (id)' : ''},
      total numeric(10,2) NOT NULL CHECK (total >= 0),
      note text,
      code text ${table === 'orders' ? 'UNIQUE' : ''},
      created_at timestamptz NOT NULL DEFAULT now())`);
  }
  await db.sql(`CREATE INDEX orders_customer_id_idx ON orders (customer_id)`);
  await db.sql(`CREATE INDEX orders_note_lower_idx ON orders (lower(note)) WHERE note IS NOT NULL`);
  await db.sql(
    `CREATE TABLE order_items (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id))`,
  );
  await db.sql(`CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100`);
  await db.sql(`GRANT SELECT ON orders TO zdm_shadow_reader`);
  await db.sql(
    `INSERT INTO orders (customer_id, total, note, code)
     SELECT 1 + n % 50, n % 300, CASE WHEN n % 7 = 0 THEN NULL ELSE 'note ' || n END, 'code-' || n
       FROM generate_series(1, $1) n`,
    [ROWS],
  );
  await db.sql(`INSERT INTO orders_twin SELECT * FROM orders`);
  await db.sql(`INSERT INTO order_items (order_id) SELECT generate_series(1, 10)`);
});
afterAll(() => db.close());

/** Inserts, updates and deletes, each applied to orders and orders_twin in one transaction. */
function startWriter(client: Client, live: number[]): WriterLoop {
  return startLoop(async (iteration) => {
    const pick = () => live[(iteration * 7919) % live.length];
    await client.query('BEGIN');
    try {
      const kind = iteration % 5;
      if (kind <= 1) {
        const code = `w-${Date.now()}-${iteration}-${Math.random()}`;
        const { rows } = await client.query(
          `INSERT INTO orders (customer_id, total, note, code) VALUES ($1, $2, $3, $4) RETURNING id`,
          [1 + (iteration % 50), iteration % 500, kind ? null : `w ${iteration}`, code],
        );
        await client.query(
          `INSERT INTO orders_twin (id, customer_id, total, note, code) VALUES ($1, $2, $3, $4, $5)`,
          [rows[0].id, 1 + (iteration % 50), iteration % 500, kind ? null : `w ${iteration}`, code],
        );
        live.push(Number(rows[0].id));
      } else if (kind <= 3) {
        const id = pick();
        for (const table of ['orders', 'orders_twin']) {
          await client.query(`UPDATE ${table} SET total = total + 1, note = $2 WHERE id = $1`, [
            id,
            `u ${iteration}`,
          ]);
        }
      } else {
        const index = (iteration * 104729) % live.length;
        const [id] = live.splice(index, 1);
        for (const table of ['orders', 'orders_twin']) {
          await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}

const liveIds = () => Array.from({ length: ROWS - 10 }, (_, i) => i + 11);

async function expectEqualToTwin(table: string) {
  const result = await compareTables({
    source: table,
    target: 'orders_twin',
    key: ['id'],
    columns: COLUMNS,
    databaseUrl: db.database.url,
    out: path.join(os.tmpdir(), `zdm-shadow-${db.database.name}-${Date.now()}.jsonl`),
  });
  expect({
    identical: result.identical,
    missing: result.missing,
    extra: result.extra,
    changed: result.changed,
  }).toEqual({
    identical: true,
    missing: 0,
    extra: 0,
    changed: 0,
  });
  expect(result.sourceRows).toBeGreaterThan(ROWS / 2);
}

const done = async () => (await status(db.session, 'orders')).done;

test('plan names what will be carried over and the next step', async () => {
  const lines = await db.step('orders', 'plan');
  expect(lines).toContain('orders_customer_id_idx');
  expect(lines).toContain('order_items.order_items_order_id_fkey');
  expect(lines).toContain('1 views');
  expect(lines).toContain('next: npm run db:shadow -- orders create');
});

test('a writer keeps writing through create, triggers, backfill, indexes, verify and swap; orders equals its twin after the swap', async () => {
  const live = liveIds();
  const writer = startWriter(await db.connect(), live);

  expect(await db.step('orders', 'create', { alter: ALTER })).toContain('Next: triggers');
  expect(await db.step('orders', 'create', { alter: ALTER })).toContain('nothing to do');
  expect(await done()).toBe('create');
  const early = await rejection(db.step('orders', 'backfill'));
  expect(early.message).toContain('backfill needs triggers first');

  await db.step('orders', 'triggers');
  expect(await db.step('orders', 'triggers')).toContain('nothing to do');
  expect(await done()).toBe('triggers');

  expect(
    await db.step('orders', 'backfill', { batchSize: 200, maxBatches: 3, pauseMs: 5 }),
  ).toContain('stopped after 3 batches');
  const midway = await status(db.session, 'orders');
  expect(midway.done).toBe('triggers');
  expect(midway.next).toBe('backfill');
  expect(midway.lines.join('\n')).toMatch(/backfill: \d+ rows in 3 batches/);
  await db.step('orders', 'backfill', { batchSize: 200, pauseMs: 5 });
  expect(await db.step('orders', 'backfill')).toContain('nothing to do');
  expect(await done()).toBe('backfill');

  await db.step('orders', 'indexes');
  expect(await db.step('orders', 'indexes')).toContain('nothing to do');
  expect(await done()).toBe('indexes');

  const out = path.join(os.tmpdir(), `zdm-verify-${db.database.name}.jsonl`);
  expect(await db.step('orders', 'verify', { out })).toContain('identical');
  expect(await db.step('orders', 'verify')).toContain('nothing to do');
  expect(await done()).toBe('verify');

  expect(await db.step('orders', 'swap')).toContain('swapped');
  expect(await db.step('orders', 'swap')).toContain('nothing to do');
  const swapped = await status(db.session, 'orders');
  expect(swapped).toMatchObject({ done: 'swap', swapped: true, next: 'cleanup' });

  expect(await writer.stop()).toBeGreaterThan(0);
  await expectEqualToTwin('orders');
  expect(await db.sql(`SELECT mirror_error FROM zdm_shadow_rebuilds`)).toEqual([
    { mirror_error: null },
  ]);
});

test('after the swap the new table has the new types and carries the indexes, constraints, sequence, view, inbound foreign key and grants', async () => {
  const types = await db.sql(
    `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = 'orders'::regclass AND attname IN ('id', 'customer_id') ORDER BY attname`,
  );
  expect(types).toEqual([
    { attname: 'customer_id', type: 'bigint' },
    { attname: 'id', type: 'bigint' },
  ]);
  const indexes = await db.sql(
    `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'orders'::regclass ORDER BY 1`,
  );
  expect(indexes.map((row) => row.name)).toEqual([
    'orders_code_key',
    'orders_customer_id_idx',
    'orders_note_lower_idx',
    'orders_pkey',
  ]);
  const constraints = await db.sql(
    `SELECT conname, contype, convalidated FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY conname`,
  );
  expect(constraints).toEqual([
    { conname: 'orders_code_key', contype: 'u', convalidated: true },
    { conname: 'orders_customer_id_fkey', contype: 'f', convalidated: true },
    { conname: 'orders_pkey', contype: 'p', convalidated: true },
    { conname: 'orders_total_check', contype: 'c', convalidated: true },
  ]);
  expect(await db.sql(`SELECT pg_get_serial_sequence('orders', 'id') AS seq`)).toEqual([
    { seq: 'public.orders_id_seq' },
  ]);
  const [inbound] = await db.sql(
    `SELECT confrelid::regclass::text AS target, convalidated FROM pg_constraint WHERE conname = 'order_items_order_id_fkey'`,
  );
  expect(inbound).toEqual({ target: 'orders', convalidated: true });
  const [view] = await db.sql(
    `SELECT (SELECT count(*) FROM big_orders)::int AS through_view,
            (SELECT count(*) FROM orders WHERE total > 100)::int AS direct`,
  );
  expect(view.through_view).toBe(view.direct);
  const viewDeps = await db.sql(
    `SELECT DISTINCT d.refobjid::regclass::text AS t FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
      WHERE r.ev_class = 'big_orders'::regclass AND d.refobjid <> 'big_orders'::regclass`,
  );
  expect(viewDeps).toEqual([{ t: 'orders' }]);
  expect(
    await db.sql(`SELECT has_table_privilege('zdm_shadow_reader', 'orders', 'SELECT') AS ok`),
  ).toEqual([{ ok: true }]);
  const error = await rejection(db.sql(`INSERT INTO order_items (order_id) VALUES (2147483647)`));
  expect(error.message).toMatch(/order_items_order_id_fkey/);
});

test('writes after the swap reach the old table through the reverse triggers; after swap-back orders equals its twin again', async () => {
  const live = (await db.sql(`SELECT id FROM orders WHERE id > 10`)).map((row) => Number(row.id));
  let writer = startWriter(await db.connect(), live);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await writer.stop()).toBeGreaterThan(0);
  await expectEqualToTwin('orders_zdm_old');

  writer = startWriter(await db.connect(), live);
  expect(await db.step('orders', 'swap-back')).toContain('swapped back');
  expect(await db.step('orders', 'swap-back')).toContain('nothing to do');
  expect(await status(db.session, 'orders')).toMatchObject({
    done: 'verify',
    swapped: false,
    next: 'swap',
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await writer.stop()).toBeGreaterThan(0);

  await expectEqualToTwin('orders');
  await expectEqualToTwin('orders_zdm_new');
  const [id] = await db.sql(
    `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'id'`,
  );
  expect(id.type).toBe('integer');
  const [inbound] = await db.sql(
    `SELECT confrelid::regclass::text AS target FROM pg_constraint WHERE conname = 'order_items_order_id_fkey'`,
  );
  expect(inbound.target).toBe('orders');
});

test('swap again and cleanup: the old table and the triggers are gone, and a rerun is a no-op', async () => {
  await db.step('orders', 'swap');
  const refused = await rejection(
    db.step('orders', 'cleanup', {}).then(() => db.step('orders', 'swap-back')),
  );
  expect(refused.message).toContain('dropped by cleanup');
  expect(await db.step('orders', 'cleanup')).toContain('nothing to do');
  expect(await status(db.session, 'orders')).toMatchObject({ done: 'cleanup', next: null });
  expect(await db.sql(`SELECT to_regclass('orders_zdm_old') AS t`)).toEqual([{ t: null }]);
  expect(await db.sql(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'zdm_shadow%'`)).toEqual([]);
  expect(await db.sql(`SELECT proname FROM pg_proc WHERE proname LIKE 'zdm_shadow%'`)).toEqual([]);
  await expectEqualToTwin('orders');
  const { rows } = await (
    await db.connect()
  ).query(
    `INSERT INTO orders (customer_id, total, code) VALUES (1, 1, 'after-cleanup') RETURNING id`,
  );
  expect(Number(rows[0].id)).toBeGreaterThan(ROWS);
});
