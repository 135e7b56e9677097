import { addCheck, addForeignKey, validateConstraint } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE teams (id bigserial PRIMARY KEY)`);
  await db.sql(`CREATE TABLE users (id bigserial PRIMARY KEY, team_id bigint, age int)`);
  await db.sql(`INSERT INTO teams SELECT FROM generate_series(1, 3)`);
  await db.sql(
    `INSERT INTO users (team_id, age) SELECT 1 + n % 3, n FROM generate_series(1, 30) n`,
  );
});
afterAll(() => db.close());

const constraint = async (name: string) =>
  (await db.sql(`SELECT contype, convalidated FROM pg_constraint WHERE conname = $1`, [name]))[0];

test('addForeignKey adds NOT VALID then validates it; a rerun is a no-op', async () => {
  const ctx = await db.executor('pre');
  const options = { table: 'users', columns: ['team_id'], references: { table: 'teams' } };
  expect(await addForeignKey(ctx, options)).toBe('users_team_id_fkey');
  await addForeignKey(ctx, options);
  expect(await constraint('users_team_id_fkey')).toEqual({ contype: 'f', convalidated: true });
  const error = await rejection(db.sql(`INSERT INTO users (team_id) VALUES (99)`));
  expect(error.message).toMatch(/users_team_id_fkey/);
});

test('addForeignKey inside a transaction is refused unless validation is left for later', async () => {
  await db.sql(`CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint)`);
  await db.sql(`INSERT INTO posts (user_id) VALUES (1), (2)`);
  const inside = await db.executor('pre', { inTransaction: true });
  const options = {
    table: 'posts',
    columns: ['user_id'],
    references: { table: 'users', columns: ['id'] },
  };
  const error = await rejection(addForeignKey(inside, options));
  expect(error.code).toBe('inside-transaction');
  expect(error.message).toContain(
    `validateConstraint(ctx, { table: 'posts', name: 'posts_user_id_fkey' })`,
  );

  await addForeignKey(inside, { ...options, validate: false });
  expect(await constraint('posts_user_id_fkey')).toEqual({ contype: 'f', convalidated: false });
  await validateConstraint(await db.executor('pre'), {
    table: 'posts',
    name: 'posts_user_id_fkey',
  });
  expect(await constraint('posts_user_id_fkey')).toEqual({ contype: 'f', convalidated: true });
});

test('rows that break a foreign key stop validation with a clear error; the constraint stays NOT VALID', async () => {
  await db.sql(`CREATE TABLE comments (id bigserial PRIMARY KEY, user_id bigint)`);
  await db.sql(`INSERT INTO comments (user_id) VALUES (1), (12345)`);
  const error = await rejection(
    addForeignKey(await db.executor('pre'), {
      table: 'comments',
      columns: ['user_id'],
      references: { table: 'users' },
    }),
  );
  expect(error.code).toBe('constraint-violated');
  expect(await constraint('comments_user_id_fkey')).toEqual({ contype: 'f', convalidated: false });
});

test('addCheck adds NOT VALID then validates; a rerun is a no-op; bad rows stop it', async () => {
  const ctx = await db.executor('pre');
  await addCheck(ctx, { table: 'users', name: 'users_age_positive', expression: 'age > 0' });
  await addCheck(ctx, { table: 'users', name: 'users_age_positive', expression: 'age > 0' });
  expect(await constraint('users_age_positive')).toEqual({ contype: 'c', convalidated: true });

  const error = await rejection(
    addCheck(ctx, { table: 'users', name: 'users_age_small', expression: 'age < 10' }),
  );
  expect(error.code).toBe('constraint-violated');
  expect(await constraint('users_age_small')).toEqual({ contype: 'c', convalidated: false });
});

test('addCheck inside a transaction is refused with the fix', async () => {
  const error = await rejection(
    addCheck(await db.executor('pre', { inTransaction: true }), {
      table: 'users',
      name: 'users_age_sane',
      expression: 'age < 200',
    }),
  );
  expect(error.code).toBe('inside-transaction');
  expect(error.message).toContain('export const transaction = false;');
  expect(await constraint('users_age_sane')).toBeUndefined();
});
