import os from 'node:os';
import path from 'node:path';
import { status } from '../../src/shadow';
import { rejection } from '../patterns/support';
import { openShadowDatabase, type ShadowTestDatabase } from './support';

let db: ShadowTestDatabase;

beforeAll(async () => {
  db = await openShadowDatabase();
  await db.sql(`CREATE TABLE events (at timestamptz, payload text)`);
  await db.sql(`CREATE TABLE audited (id int PRIMARY KEY, v text)`);
  await db.sql(
    `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
  );
  await db.sql(
    `CREATE TRIGGER audited_touch BEFORE UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION touch()`,
  );
  await db.sql(`CREATE TABLE accounts (id int PRIMARY KEY, email text, legacy text)`);
  await db.sql(`CREATE VIEW account_legacy AS SELECT id, legacy FROM accounts`);
  await db.sql(`CREATE TABLE notes (id int PRIMARY KEY, body text)`);
  await db.sql(`INSERT INTO notes SELECT n, 'note ' || n FROM generate_series(1, 500) n`);
});
afterAll(() => db.close());

const shadowExists = async (name: string) =>
  (await db.sql(`SELECT to_regclass($1) IS NOT NULL AS found`, [name]))[0].found;

test('a table without a primary key is refused up front by plan and create', async () => {
  expect(await db.step('events', 'plan')).toMatch(
    /REFUSED:\n {2}- "public"."events" has no primary key/,
  );
  const error = await rejection(
    db.step('events', 'create', { alter: 'ALTER COLUMN payload TYPE jsonb USING payload::jsonb' }),
  );
  expect(error).toMatchObject({ code: 'cannot-carry' });
  expect(await shadowExists('events_zdm_new')).toBe(false);
});

test('a table with its own triggers is refused, naming them', async () => {
  const error = await rejection(
    db.step('audited', 'create', { alter: 'ALTER COLUMN v TYPE varchar(20)' }),
  );
  expect(error.message).toContain('triggers audited_touch');
  expect(await shadowExists('audited_zdm_new')).toBe(false);
});

test('a view reading a column the new definition drops is refused, and nothing is created', async () => {
  const error = await rejection(db.step('accounts', 'create', { alter: 'DROP COLUMN legacy' }));
  expect(error.message).toContain('account_legacy (legacy: text -> dropped)');
  expect(await shadowExists('accounts_zdm_new')).toBe(false);
  expect(await db.sql(`SELECT count(*)::int AS n FROM zdm_shadow_rebuilds`)).toEqual([{ n: 0 }]);
});

test('a change PostgreSQL cannot apply on assignment is refused before any trigger could fail a write', async () => {
  await db.sql(`CREATE TABLE scores (id int PRIMARY KEY, points text)`);
  const error = await rejection(
    db.step('scores', 'create', {
      alter: 'ALTER COLUMN points TYPE integer USING points::integer',
    }),
  );
  expect(error.message).toMatch(/cannot be written into the new definition/);
  expect(await shadowExists('scores_zdm_new')).toBe(false);
});

test('a definition that alters another table is refused', async () => {
  const error = await rejection(
    db.step('notes', 'create', { alter: 'ALTER TABLE accounts ADD COLUMN x int' }),
  );
  expect(error.message).toContain('must change notes only');
});

test('steps out of order are refused with the step to run first, and status says what comes next', async () => {
  const file = `CREATE TABLE notes_v2 (id bigint PRIMARY KEY, body text NOT NULL DEFAULT '', words int);
CREATE INDEX notes_body_idx ON notes_v2 (body);`;
  await db.step('notes', 'create', { sql: file });
  for (const [step, first] of [
    ['backfill', 'triggers'],
    ['indexes', 'backfill'],
    ['verify', 'indexes'],
    ['swap', 'verify'],
  ]) {
    const error = await rejection(db.step('notes', step));
    expect(error.message).toContain(
      `${step} needs ${first} first: npm run db:shadow -- notes ${first}`,
    );
  }
  const cleanup = await rejection(db.step('notes', 'cleanup'));
  expect(cleanup).toMatchObject({ code: 'not-swapped' });
  expect((await status(db.session, 'notes')).lines.at(-1)).toBe(
    'next: npm run db:shadow -- notes triggers',
  );
});

test('a definition file rebuild runs to the end; its own indexes are built concurrently and keep their names', async () => {
  const out = path.join(os.tmpdir(), `zdm-verify-${db.database.name}.jsonl`);
  for (const step of ['triggers', 'backfill', 'indexes', 'verify', 'swap']) {
    await db.step('notes', step, { out });
  }
  const indexes = await db.sql(
    `SELECT indexrelid::regclass::text AS name, indisvalid FROM pg_index WHERE indrelid = 'notes'::regclass ORDER BY 1`,
  );
  expect(indexes).toEqual([
    { name: 'notes_body_idx', indisvalid: true },
    { name: 'notes_pkey', indisvalid: true },
  ]);
  const { rows } = await (
    await db.connect()
  ).query(`INSERT INTO notes (id, body) VALUES (501, 'new') RETURNING words`);
  expect(rows[0].words).toBeNull();
  expect(await db.sql(`SELECT body FROM notes_zdm_old WHERE id = 501`)).toEqual([{ body: 'new' }]);
  await db.step('notes', 'cleanup');
  expect(await shadowExists('notes_zdm_old')).toBe(false);
});

test('cleanup --abandon before the swap drops the shadow and the triggers and leaves the table untouched', async () => {
  await db.step('accounts', 'create', { alter: 'ADD COLUMN created_at timestamptz' });
  await db.step('accounts', 'triggers');
  await db.sql(`INSERT INTO accounts (id, email) VALUES (1, 'a@x')`);
  expect(await db.step('accounts', 'cleanup', { abandon: true })).toContain('abandoned');
  expect(await shadowExists('accounts_zdm_new')).toBe(false);
  expect(
    await db.sql(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'accounts'::regclass AND NOT tgisinternal`,
    ),
  ).toEqual([]);
  expect(await db.sql(`SELECT id, email FROM accounts`)).toEqual([{ id: 1, email: 'a@x' }]);
  expect((await status(db.session, 'accounts')).started).toBe(false);
});
