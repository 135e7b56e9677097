import { addColumn } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL)`);
  await db.sql(`INSERT INTO users (name) SELECT 'user ' || n FROM generate_series(1, 50) n`);
});
afterAll(() => db.close());

const filenode = async () => (await db.sql(`SELECT pg_relation_filenode('users') AS node`))[0].node;

const column = async (name: string) =>
  (
    await db.sql(
      `SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS not_null
         FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = $1 AND NOT attisdropped`,
      [name],
    )
  )[0];

test('adds a nullable column, and a rerun is a no-op', async () => {
  const ctx = await db.executor('pre');
  await addColumn(ctx, { table: 'users', column: 'bio', type: 'text' });
  await addColumn(ctx, { table: 'users', column: 'bio', type: 'text' });
  expect(await column('bio')).toEqual({ type: 'text', not_null: false });
});

test('a NOT NULL column with a constant default is added without rewriting the table', async () => {
  const before = await filenode();
  await addColumn(await db.executor('pre'), {
    table: 'users',
    column: 'plan',
    type: 'text',
    default: `'free'`,
    notNull: true,
  });
  expect(await filenode()).toBe(before);
  expect(await column('plan')).toEqual({ type: 'text', not_null: true });
  const [row] = await db.sql(`SELECT count(*)::int AS n FROM users WHERE plan = 'free'`);
  expect(row.n).toBe(50);
});

test('a stable default (now()) adds the column without rewriting the table: one value for existing rows', async () => {
  const before = await filenode();
  await addColumn(await db.executor('pre'), {
    table: 'users',
    column: 'seen_at',
    type: 'timestamptz',
    default: 'now()',
  });
  expect(await filenode()).toBe(before);
  const [row] = await db.sql(`SELECT count(DISTINCT seen_at)::int AS n FROM users`);
  expect(row.n).toBe(1);
});

test.each(['gen_random_uuid()', 'clock_timestamp()', 'random()', 'timeofday()'])(
  'a volatile default (%s) is refused with the add, set default, backfill recipe',
  async (expression) => {
    const error = await rejection(
      addColumn(await db.executor('pre'), {
        table: 'users',
        column: 'token',
        type: 'text',
        default: expression,
      }),
    );
    expect(error.code).toBe('volatile-default');
    expect(error.message).toContain(`column: 'token'`);
    expect(error.message).toContain(`SET DEFAULT ${expression}`);
    expect(error.message).toContain(`--table users --set "token = ${expression}"`);
    expect(await column('token')).toBeUndefined();
  },
);

test('a serial column is refused: it rewrites the table', async () => {
  const error = await rejection(
    addColumn(await db.executor('pre'), { table: 'users', column: 'seq', type: 'bigserial' }),
  );
  expect(error.code).toBe('serial-column');
  expect(await column('seq')).toBeUndefined();
});

test('NOT NULL without a default is refused in pre-deploy: version N would fail to insert', async () => {
  const error = await rejection(
    addColumn(await db.executor('pre'), {
      table: 'users',
      column: 'country',
      type: 'text',
      notNull: true,
    }),
  );
  expect(error.code).toBe('not-null-without-default');
  expect(error.message).toMatch(/version N/);
  expect(error.message).toContain(`addNotNull(ctx, { table: 'users', column: 'country' })`);
  expect(await column('country')).toBeUndefined();
});

test('NOT NULL without a default is refused post-deploy too when the table has rows', async () => {
  const error = await rejection(
    addColumn(await db.executor('post'), {
      table: 'users',
      column: 'country',
      type: 'text',
      notNull: true,
    }),
  );
  expect(error.code).toBe('not-null-without-default');
});

test('an existing column of another type is refused instead of being silently kept', async () => {
  const error = await rejection(
    addColumn(await db.executor('pre'), { table: 'users', column: 'bio', type: 'integer' }),
  );
  expect(error.code).toBe('column-exists');
});
