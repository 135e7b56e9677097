import type { Client } from 'pg';
import { renameTable } from '../../src/patterns';
import { openPatternDatabase, rejection, type PatternTestDatabase } from './support';

let db: PatternTestDatabase;
let oldVersion: Client;
let newVersion: Client;

beforeAll(async () => {
  db = await openPatternDatabase();
  await db.sql(`CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL,
                 created_at timestamptz NOT NULL DEFAULT now())`);
  await db.sql(`INSERT INTO users (name) VALUES ('ada'), ('bob')`);
  oldVersion = await db.connect();
  newVersion = await db.connect();
});
afterAll(() => db.close());

/** What a Sequelize model issues: INSERT ... RETURNING every attribute, UPDATE, SELECT, DELETE. */
async function exercise(client: Client, table: string, name: string) {
  const inserted = await client.query(
    `INSERT INTO ${table} (name) VALUES ($1) RETURNING id, name, created_at`,
    [name],
  );
  const id = inserted.rows[0].id as string;
  expect(inserted.rows[0].created_at).toBeInstanceOf(Date);
  await client.query(`UPDATE ${table} SET name = $1 WHERE id = $2`, [`${name}!`, id]);
  const selected = await client.query(`SELECT id, name, created_at FROM ${table} WHERE id = $1`, [
    id,
  ]);
  expect(selected.rows[0].name).toBe(`${name}!`);
  await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
  return id;
}

test('expand is refused in post-deploy', async () => {
  const error = await rejection(
    renameTable(await db.executor('post'), { from: 'users', to: 'accounts', step: 'expand' }),
  );
  expect(error.code).toBe('wrong-phase');
});

test('expand renames and leaves an updatable view: old and new versions both read and write', async () => {
  await exercise(oldVersion, 'users', 'before');
  const ctx = await db.executor('pre');
  await renameTable(ctx, { from: 'users', to: 'accounts', step: 'expand' });
  await renameTable(ctx, { from: 'users', to: 'accounts', step: 'expand' });

  const oldId = await exercise(oldVersion, 'users', 'old-version');
  const newId = await exercise(newVersion, 'accounts', 'new-version');
  expect(Number(newId)).toBeGreaterThan(Number(oldId));
  const both = await oldVersion.query(`SELECT name FROM users ORDER BY id`);
  const direct = await newVersion.query(`SELECT name FROM accounts ORDER BY id`);
  expect(both.rows).toEqual(direct.rows);
  expect(direct.rows.map((row) => row.name)).toEqual(['ada', 'bob']);
});

test('cleanup is refused in pre-deploy, then drops the view in post-deploy; a rerun is a no-op', async () => {
  const refused = await rejection(
    renameTable(await db.executor('pre'), { from: 'users', to: 'accounts', step: 'cleanup' }),
  );
  expect(refused.code).toBe('wrong-phase');
  const ctx = await db.executor('post');
  await renameTable(ctx, { from: 'users', to: 'accounts', step: 'cleanup' });
  await renameTable(ctx, { from: 'users', to: 'accounts', step: 'cleanup' });
  expect(await db.sql(`SELECT to_regclass('users') AS t`)).toEqual([{ t: null }]);
  await exercise(newVersion, 'accounts', 'after');
});

test('cleanup refuses to drop a table that is not the compatibility view', async () => {
  await db.sql(`CREATE TABLE teams (id int)`);
  const error = await rejection(
    renameTable(await db.executor('post'), { from: 'teams', to: 'groups', step: 'cleanup' }),
  );
  expect(error.code).toBe('not-a-view');
  expect(await db.sql(`SELECT to_regclass('teams') AS t`)).toEqual([{ t: 'teams' }]);
});
