import { dropColumn, dropTable, prepareDropColumn } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE users (id bigserial PRIMARY KEY, avatar text NOT NULL, legacy int)`);
  await db.sql(`CREATE TABLE old_sessions (id bigserial PRIMARY KEY)`);
  await db.sql(`INSERT INTO users (avatar) VALUES ('a.png')`);
});
afterAll(() => db.close());

const columns = async () =>
  (
    await db.sql(
      `SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass
          AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    )
  ).map((row) => `${row.attname}${row.attnotnull ? '!' : ''}`);

test('dropColumn is refused in pre-deploy with the reason and the app change', async () => {
  const error = await rejection(
    dropColumn(await db.executor('pre'), { table: 'users', column: 'avatar' }),
  );
  expect(error.code).toBe('wrong-phase');
  expect(error.message).toContain('Remove `avatar` from the model');
  expect(await columns()).toContain('avatar!');
});

test('prepareDropColumn lets release N+1 insert without the column, and is a no-op on rerun', async () => {
  const ctx = await db.executor('pre');
  await prepareDropColumn(ctx, { table: 'users', column: 'avatar' });
  await prepareDropColumn(ctx, { table: 'users', column: 'avatar' });
  await db.sql(`INSERT INTO users DEFAULT VALUES`);
  expect(await columns()).toContain('avatar');
});

test('dropColumn drops in post-deploy, and a rerun is a no-op', async () => {
  const ctx = await db.executor('post');
  await dropColumn(ctx, { table: 'users', column: 'avatar' });
  await dropColumn(ctx, { table: 'users', column: 'avatar' });
  expect(await columns()).toEqual(['id!', 'legacy']);
});

test('dropTable is refused in pre-deploy, drops in post-deploy, and a rerun is a no-op', async () => {
  const error = await rejection(dropTable(await db.executor('pre'), { table: 'old_sessions' }));
  expect(error.code).toBe('wrong-phase');
  expect(await db.sql(`SELECT to_regclass('old_sessions') AS t`)).toEqual([{ t: 'old_sessions' }]);
  const ctx = await db.executor('post');
  await dropTable(ctx, { table: 'old_sessions' });
  await dropTable(ctx, { table: 'old_sessions' });
  expect(await db.sql(`SELECT to_regclass('old_sessions') AS t`)).toEqual([{ t: null }]);
});
