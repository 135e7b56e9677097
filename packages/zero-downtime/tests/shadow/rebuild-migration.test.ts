import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { starterRoot } from '../support/project';
import { Client } from 'pg';
import { silentLogger } from '../../src/core/logger';
import { patterns } from '../../src/generate/patterns';
import { migrateDatabase } from '../../src/runner';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';

/** `generate -- shadow-table` migrations applied by the runner: rebuildTable on the migration's session. */
let database: TestDatabase;
let project: string;
let client: Client;
const ROOT = starterRoot;
const logger = silentLogger;

beforeAll(async () => {
  database = await createEmptyDatabase();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-rebuild-'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
  client = new Client({ connectionString: database.url });
  await client.connect();
  await client.query(
    `CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, at timestamptz DEFAULT now())`,
  );
  await client.query(`CREATE INDEX events_kind_idx ON events (kind)`);
  await client.query(
    `INSERT INTO events (id, kind) SELECT n, 'k' || (n % 5) FROM generate_series(1, 2500) n`,
  );
});

afterAll(async () => {
  await client.end();
  fs.rmSync(project, { recursive: true, force: true });
  await database.drop();
});

const migrate = (phase: 'pre' | 'post') =>
  migrateDatabase({
    databaseUrl: database.url,
    phases: [phase],
    logger,
    migrationsDir: path.join(project, 'migrations'),
  });

test('the pre-deploy migration rebuilds and swaps the table; the post-deploy one drops the old table', async () => {
  const generator = patterns.find((candidate) => candidate.name === 'shadow-table')!;
  generator.run(['events', '--alter', 'ALTER COLUMN id TYPE bigint'], {
    projectRoot: project,
    now: new Date('2026-06-01T00:00:00Z'),
  });
  await migrate('pre');
  const [state] = (await client.query(`SELECT done, swapped FROM zdm_shadow_rebuilds`)).rows;
  expect(state).toEqual({ done: 'swap', swapped: true });
  const [id] = (
    await client.query(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'id'`,
    )
  ).rows;
  expect(id.type).toBe('bigint');
  expect((await client.query(`SELECT count(*)::int AS n FROM events`)).rows[0].n).toBe(2500);
  await client.query(`INSERT INTO events (id, kind) VALUES (5000000000, 'big')`);

  await migrate('post');
  expect((await client.query(`SELECT done FROM zdm_shadow_rebuilds`)).rows[0].done).toBe('cleanup');
  expect((await client.query(`SELECT to_regclass('events_zdm_old') AS t`)).rows[0].t).toBeNull();
  const indexes = (
    await client.query(
      `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'events'::regclass ORDER BY 1`,
    )
  ).rows;
  expect(indexes.map((row) => row.name)).toEqual(['events_kind_idx', 'events_pkey']);
});
