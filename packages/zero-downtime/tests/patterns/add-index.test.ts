import { addIndex, removeIndex } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE users (id bigserial PRIMARY KEY, email text, team int)`);
  await db.sql(
    `INSERT INTO users (email, team) SELECT 'u' || n, n % 3 FROM generate_series(1, 100) n`,
  );
});
afterAll(() => db.close());

const index = async (name: string) =>
  (
    await db.sql(
      `SELECT i.indisvalid AS valid, i.indisunique AS unique FROM pg_index i
        WHERE i.indexrelid = to_regclass($1)`,
      [name],
    )
  )[0];

test('builds the index concurrently, valid, and a rerun is a no-op', async () => {
  const ctx = await db.executor('pre');
  expect(await addIndex(ctx, { table: 'users', columns: ['team'] })).toBe('users_team_idx');
  await addIndex(ctx, { table: 'users', columns: ['team'] });
  expect(await index('users_team_idx')).toEqual({ valid: true, unique: false });
});

test('an INVALID leftover of a failed concurrent build is dropped and rebuilt', async () => {
  await db.sql(`INSERT INTO users (email) VALUES ('u1')`);
  await rejection(db.sql(`CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)`));
  expect(await index('users_email_key')).toEqual({ valid: false, unique: true });
  await db.sql(`DELETE FROM users WHERE id = (SELECT max(id) FROM users)`);
  await addIndex(await db.executor('pre'), { table: 'users', columns: ['email'], unique: true });
  expect(await index('users_email_key')).toEqual({ valid: true, unique: true });
});

test('a unique index over duplicates fails with the query that finds them and leaves nothing behind', async () => {
  const error = await rejection(
    addIndex(await db.executor('pre'), { table: 'users', columns: ['team'], unique: true }),
  );
  expect(error.code).toBe('duplicate-keys');
  expect(error.message).toContain('SELECT team, count(*) FROM users GROUP BY team');
  expect(await index('users_team_key')).toBeUndefined();
});

test('is refused inside a transaction with the fix', async () => {
  const error = await rejection(
    addIndex(await db.executor('pre', { inTransaction: true }), {
      table: 'users',
      columns: ['id', 'team'],
    }),
  );
  expect(error.code).toBe('inside-transaction');
  expect(error.message).toContain('export const transaction = false;');
  expect(await index('users_id_team_idx')).toBeUndefined();
});

test('removeIndex drops concurrently, and a rerun is a no-op', async () => {
  const ctx = await db.executor('post');
  await removeIndex(ctx, { table: 'users', name: 'users_team_idx' });
  await removeIndex(ctx, { table: 'users', name: 'users_team_idx' });
  expect(await index('users_team_idx')).toBeUndefined();
});

test('removeIndex refuses an index that backs a constraint, and inside a transaction', async () => {
  const backing = await rejection(
    removeIndex(await db.executor('post'), { table: 'users', name: 'users_pkey' }),
  );
  expect(backing.code).toBe('index-backs-constraint');
  expect(backing.message).toContain('DROP CONSTRAINT "users_pkey"');
  const inside = await rejection(
    removeIndex(await db.executor('post', { inTransaction: true }), {
      table: 'users',
      name: 'users_email_key',
    }),
  );
  expect(inside.code).toBe('inside-transaction');
  expect(await index('users_email_key')).toEqual({ valid: true, unique: true });
});
