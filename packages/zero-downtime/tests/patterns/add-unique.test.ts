import { addPrimaryKey, addUnique } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE accounts (id bigint NOT NULL, email text, slug text)`);
  await db.sql(
    `INSERT INTO accounts SELECT n, 'a' || n, 's' || (n % 5) FROM generate_series(1, 40) n`,
  );
});
afterAll(() => db.close());

const constraint = async (name: string) =>
  (
    await db.sql(
      `SELECT contype, conindid::regclass::text AS index FROM pg_constraint WHERE conname = $1`,
      [name],
    )
  )[0];

test('addUnique builds the index concurrently and attaches it; a rerun is a no-op', async () => {
  const ctx = await db.executor('pre');
  expect(await addUnique(ctx, { table: 'accounts', columns: ['email'] })).toBe(
    'accounts_email_key',
  );
  await addUnique(ctx, { table: 'accounts', columns: ['email'] });
  expect(await constraint('accounts_email_key')).toEqual({
    contype: 'u',
    index: 'accounts_email_key',
  });
});

test('addUnique over duplicates fails with the query that finds them', async () => {
  const error = await rejection(
    addUnique(await db.executor('pre'), { table: 'accounts', columns: ['slug'] }),
  );
  expect(error.code).toBe('duplicate-keys');
  expect(await constraint('accounts_slug_key')).toBeUndefined();
});

test('addPrimaryKey refuses nullable columns with the addNotNull recipe', async () => {
  await db.sql(`CREATE TABLE tags (name text)`);
  const error = await rejection(
    addPrimaryKey(await db.executor('pre'), { table: 'tags', columns: ['name'] }),
  );
  expect(error.code).toBe('nullable-key-column');
  expect(error.message).toContain(`addNotNull(ctx, { table: 'tags', column: 'name' })`);
});

test('addPrimaryKey attaches a concurrently built index; a rerun is a no-op', async () => {
  const ctx = await db.executor('pre');
  expect(await addPrimaryKey(ctx, { table: 'accounts', columns: ['id'] })).toBe('accounts_pkey');
  await addPrimaryKey(ctx, { table: 'accounts', columns: ['id'] });
  expect(await constraint('accounts_pkey')).toEqual({ contype: 'p', index: 'accounts_pkey' });
});

test('both refuse inside a transaction', async () => {
  const inside = await db.executor('pre', { inTransaction: true });
  expect(
    (await rejection(addUnique(inside, { table: 'accounts', columns: ['slug', 'id'] }))).code,
  ).toBe('inside-transaction');
  expect(
    (await rejection(addPrimaryKey(inside, { table: 'accounts', columns: ['id'] }))).code,
  ).toBe('inside-transaction');
});
