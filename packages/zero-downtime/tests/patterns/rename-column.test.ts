import type { Client } from 'pg';
import { renameColumn } from '../../src/patterns';
import {
  openPatternDatabase,
  rejection,
  sleep,
  startLoop,
  type PatternTestDatabase,
  type WriterLoop,
} from './support';

/**
 * users.name becomes users.full_name while version N (knows only `name`) and version N+1
 * (knows only `full_name`) both serve, reshape-style: two connections side by side.
 */
let db: PatternTestDatabase;
let oldVersion: Client;
let newVersion: Client;
const ROWS = 6000;
const rename = { table: 'users', from: 'name', to: 'full_name' } as const;

const oldVersionModel = {
  insert: (client: Client, email: string, name: string) =>
    client.query(
      `INSERT INTO users (email, name, created_at, updated_at) VALUES ($1, $2, now(), now())
       RETURNING id, email, name, created_at, updated_at`,
      [email, name],
    ),
  update: (client: Client, id: string, name: string) =>
    client.query(`UPDATE users SET name = $1, updated_at = now() WHERE id = $2`, [name, id]),
  find: async (client: Client, id: string) =>
    (
      await client.query(
        `SELECT id, email, name, created_at, updated_at FROM users WHERE id = $1`,
        [id],
      )
    ).rows[0],
};

const newVersionModel = {
  insert: (client: Client, email: string, fullName: string | null) =>
    client.query(
      `INSERT INTO users (email, full_name, created_at, updated_at) VALUES ($1, $2, now(), now())
       RETURNING id, email, full_name, created_at, updated_at`,
      [email, fullName],
    ),
  update: (client: Client, id: string, fullName: string) =>
    client.query(`UPDATE users SET full_name = $1, updated_at = now() WHERE id = $2`, [
      fullName,
      id,
    ]),
  find: async (client: Client, id: string) =>
    (
      await client.query(
        `SELECT id, email, full_name, created_at, updated_at FROM users WHERE id = $1`,
        [id],
      )
    ).rows[0],
};

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE users (
    id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`);
  await db.sql(`CREATE INDEX users_name_idx ON users (name)`);
  await db.sql(
    `INSERT INTO users (email, name, created_at, updated_at)
     SELECT 'user' || n || '@example.com', 'User ' || n, now(), now() FROM generate_series(1, $1) n`,
    [ROWS],
  );
  oldVersion = await db.connect();
  newVersion = await db.connect();
});
afterAll(() => db.close());

async function triggerInstalled(): Promise<boolean> {
  const rows = await db.sql(
    `SELECT 1 FROM pg_trigger WHERE tgrelid = 'users'::regclass AND tgname LIKE 'zdm_sync_%'`,
  );
  return rows.length > 0;
}

/** A writer that inserts and updates rows of one parity, remembering what it wrote last. */
function writer(
  client: Client,
  parity: 0 | 1,
  model: typeof oldVersionModel | typeof newVersionModel,
  expected: Map<string, string>,
  label: string,
): WriterLoop {
  const mine: string[] = [];
  return startLoop(async (iteration) => {
    if (iteration % 3 === 0) {
      const value = `${label} insert ${iteration}`;
      const { rows } = await model.insert(client, `${label}-${iteration}@example.com`, value);
      mine.push(rows[0].id);
      expected.set(rows[0].id, value);
      return;
    }
    const id =
      iteration % 3 === 1 && mine.length > 0
        ? mine[iteration % mine.length]
        : String(2 * (1 + ((iteration * 7919) % (ROWS / 2 - 1))) - parity);
    const value = `${label} update ${iteration}`;
    await model.update(client, id, value);
    expected.set(id, value);
  });
}

test('expand is refused in post-deploy and inside a transaction', async () => {
  const post = await rejection(
    renameColumn(await db.executor('post'), { ...rename, step: 'expand' }),
  );
  expect(post.code).toBe('wrong-phase');
  const inside = await rejection(
    renameColumn(await db.executor('pre', { inTransaction: true }), { ...rename, step: 'expand' }),
  );
  expect(inside.code).toBe('inside-transaction');
  expect(inside.message).toContain('export const transaction = false;');
});

test('expand with old-version and new-version writers running during the backfill: every row ends with full_name = name', async () => {
  const expected = new Map<string, string>();
  const oldWriter = writer(await db.connect(), 1, oldVersionModel, expected, 'old');
  const newWriterClient = await db.connect();
  let newWriter: WriterLoop | undefined;
  const startNewWriter = (async () => {
    while (!(await triggerInstalled())) await sleep(2);
    newWriter = writer(newWriterClient, 0, newVersionModel, expected, 'new');
  })();

  await renameColumn(await db.executor('pre'), {
    ...rename,
    step: 'expand',
    backfill: { batchSize: 200, pauseMs: 10 },
  });
  await startNewWriter;
  const oldWrites = await oldWriter.stop();
  const newWrites = await newWriter!.stop();
  expect(oldWrites).toBeGreaterThan(0);
  expect(newWrites).toBeGreaterThan(0);

  const [mismatch] = await db.sql(
    `SELECT count(*)::int AS n FROM users WHERE full_name IS DISTINCT FROM name`,
  );
  expect(mismatch.n).toBe(0);
  const oldExceptNew = await db.sql(
    `SELECT id, name FROM users EXCEPT SELECT id, full_name FROM users`,
  );
  const newExceptOld = await db.sql(
    `SELECT id, full_name FROM users EXCEPT SELECT id, name FROM users`,
  );
  expect(oldExceptNew).toEqual([]);
  expect(newExceptOld).toEqual([]);
  const ids = [...expected.keys()];
  const rows = await db.sql(`SELECT id, name, full_name FROM users WHERE id = ANY($1::bigint[])`, [
    ids,
  ]);
  expect(rows).toHaveLength(ids.length);
  for (const row of rows) {
    expect(row.name).toBe(expected.get(String(row.id)));
    expect(row.full_name).toBe(expected.get(String(row.id)));
  }
  const [index] = await db.sql(
    `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('users_full_name_idx')`,
  );
  expect(index).toEqual({ indisvalid: true });
});

test('after expand, version N and version N+1 each see what the other writes', async () => {
  const fromOld = await oldVersionModel.insert(oldVersion, 'ada@example.com', 'Ada Lovelace');
  const id = fromOld.rows[0].id as string;
  expect(fromOld.rows[0].name).toBe('Ada Lovelace');
  expect((await newVersionModel.find(newVersion, id)).full_name).toBe('Ada Lovelace');

  await newVersionModel.update(newVersion, id, 'Ada King');
  expect((await oldVersionModel.find(oldVersion, id)).name).toBe('Ada King');
  await oldVersionModel.update(oldVersion, id, 'Countess Lovelace');
  expect((await newVersionModel.find(newVersion, id)).full_name).toBe('Countess Lovelace');

  const fromNew = await newVersionModel.insert(newVersion, 'grace@example.com', 'Grace Hopper');
  expect(fromNew.rows[0].full_name).toBe('Grace Hopper');
  expect((await oldVersionModel.find(oldVersion, fromNew.rows[0].id)).name).toBe('Grace Hopper');
});

test('new-version code writing NULL explicitly is refused by the old column NOT NULL, as before', async () => {
  const error = await rejection(newVersionModel.insert(newVersion, 'nobody@example.com', null));
  expect(error.message).toMatch(/null value in column "name"/);
});

test('rerunning expand changes nothing', async () => {
  const before = await db.sql(
    `SELECT md5(string_agg(id || name || full_name, ',' ORDER BY id)) AS h FROM users`,
  );
  await renameColumn(await db.executor('pre'), { ...rename, step: 'expand' });
  const after = await db.sql(
    `SELECT md5(string_agg(id || name || full_name, ',' ORDER BY id)) AS h FROM users`,
  );
  expect(after).toEqual(before);
});

test('contract is refused in pre-deploy; in post-deploy full_name takes NOT NULL and name becomes nullable', async () => {
  const pre = await rejection(
    renameColumn(await db.executor('pre'), { ...rename, step: 'contract' }),
  );
  expect(pre.code).toBe('wrong-phase');
  const ctx = await db.executor('post');
  await renameColumn(ctx, { ...rename, step: 'contract' });
  await renameColumn(ctx, { ...rename, step: 'contract' });
  const columns = await db.sql(
    `SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass
        AND attname IN ('name', 'full_name') ORDER BY attname`,
  );
  expect(columns).toEqual([
    { attname: 'full_name', attnotnull: true },
    { attname: 'name', attnotnull: false },
  ]);
  const { rows } = await newVersionModel.insert(newVersion, 'linus@example.com', 'Linus');
  expect((await oldVersionModel.find(oldVersion, rows[0].id)).name).toBe('Linus');
  const error = await rejection(newVersionModel.insert(newVersion, 'nobody@example.com', null));
  expect(error.message).toMatch(/null value in column "full_name"/);
});

test('cleanup is refused in pre-deploy; in post-deploy it drops the trigger and name; N+1 keeps working', async () => {
  const pre = await rejection(
    renameColumn(await db.executor('pre'), { ...rename, step: 'cleanup' }),
  );
  expect(pre.code).toBe('wrong-phase');
  const ctx = await db.executor('post');
  await renameColumn(ctx, { ...rename, step: 'cleanup' });
  await renameColumn(ctx, { ...rename, step: 'cleanup' });
  expect(await triggerInstalled()).toBe(false);
  const leftovers = await db.sql(`SELECT proname FROM pg_proc WHERE proname LIKE 'zdm_sync_%'`);
  expect(leftovers).toEqual([]);
  const { rows } = await newVersionModel.insert(newVersion, 'alan@example.com', 'Alan Turing');
  expect(await newVersionModel.find(newVersion, rows[0].id)).toMatchObject({
    full_name: 'Alan Turing',
  });
  const [count] = await db.sql(`SELECT count(*)::int AS n FROM users WHERE full_name IS NULL`);
  expect(count.n).toBe(0);
});
