import { addNotNull } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE users (id bigserial PRIMARY KEY, email text, phone text)`);
  await db.sql(`INSERT INTO users (email) SELECT 'u' || n || '@x' FROM generate_series(1, 20) n`);
});
afterAll(() => db.close());

const notNull = async (column: string) =>
  (
    await db.sql(
      `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = $1`,
      [column],
    )
  )[0].attnotnull;

const checks = async () =>
  (
    await db.sql(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c'`,
    )
  ).map((row) => row.conname);

test('sets NOT NULL through a validated check and leaves no check behind; a rerun is a no-op', async () => {
  const ctx = await db.executor('post');
  await addNotNull(ctx, { table: 'users', column: 'email' });
  expect(await notNull('email')).toBe(true);
  expect(await checks()).toEqual([]);
  await addNotNull(ctx, { table: 'users', column: 'email' });
  expect(await notNull('email')).toBe(true);
});

test('is refused in pre-deploy: version N may still insert rows without the column', async () => {
  const error = await rejection(
    addNotNull(await db.executor('pre'), { table: 'users', column: 'phone' }),
  );
  expect(error.code).toBe('wrong-phase');
  expect(error.message).toContain('migrations/post-deploy/');
  expect(await notNull('phone')).toBe(false);
});

test('is refused inside a transaction, naming the fix', async () => {
  const ctx = await db.executor('post', { inTransaction: true });
  const error = await rejection(addNotNull(ctx, { table: 'users', column: 'phone' }));
  expect(error.code).toBe('inside-transaction');
  expect(error.message).toContain('export const transaction = false;');
});

test('NULL rows stop it with the backfill recipe; new writes are already checked; a rerun after the backfill finishes', async () => {
  const ctx = await db.executor('post');
  const error = await rejection(addNotNull(ctx, { table: 'users', column: 'phone' }));
  expect(error.code).toBe('null-values');
  expect(error.message).toContain('--table users --set "phone = <value>" --where "phone IS NULL"');
  expect(await checks()).toEqual(['users_phone_not_null']);
  const insert = await rejection(db.sql(`INSERT INTO users (email) VALUES ('new@x')`));
  expect(insert.message).toMatch(/users_phone_not_null/);

  await db.sql(`UPDATE users SET phone = '000'`);
  await addNotNull(ctx, { table: 'users', column: 'phone' });
  expect(await notNull('phone')).toBe(true);
  expect(await checks()).toEqual([]);
});

test('converges when a previous run stopped after validating the check', async () => {
  await db.sql(`ALTER TABLE users ADD COLUMN zip text DEFAULT '0'`);
  await db.sql(
    `ALTER TABLE users ADD CONSTRAINT users_zip_not_null CHECK (zip IS NOT NULL) NOT VALID`,
  );
  await db.sql(`ALTER TABLE users VALIDATE CONSTRAINT users_zip_not_null`);
  await addNotNull(await db.executor('post'), { table: 'users', column: 'zip' });
  expect(await notNull('zip')).toBe(true);
  expect(await checks()).toEqual([]);
});
