import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { migrateDatabase } from '../../src/runner';
import { RUNNER_LOCK_KEY } from '../../src/runner/lock';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import {
  appliedNames,
  migrationsFolder,
  query,
  recordingLogger,
  runMigrate,
  startMigrate,
  type MigrationsFolder,
} from './support';

let db: TestDatabase;
let folder: MigrationsFolder;

beforeEach(async () => {
  db = await createEmptyDatabase();
});

afterEach(async () => {
  folder?.remove();
  await db.drop();
});

const { classId, objectId } = RUNNER_LOCK_KEY;
const LOCK_KEY = `classid = ${classId} AND objid = ${objectId} AND objsubid = 2`;

async function advisoryLocksHeld(url: string, database: string): Promise<number> {
  const [{ held }] = await query<{ held: number }>(
    url,
    `SELECT count(*)::int AS held FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND ${LOCK_KEY}
        AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [database],
  );
  return held;
}

async function waitFor(what: string, check: () => Promise<boolean>, limitMs = 30_000) {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('one runner at a time', () => {
  it('five runners started at once apply every migration exactly once and all exit 0', async () => {
    folder = migrationsFolder('concurrent-runners');
    const runners = Array.from({ length: 5 }, () =>
      startMigrate(['pre', '--migrations-dir', folder.dir], db.url),
    );
    const codes = await Promise.all(runners.map((runner) => runner.exited));

    expect(codes).toEqual([0, 0, 0, 0, 0]);
    const log = await query<{ migration: string; times: number }>(
      db.url,
      'SELECT migration, count(*)::int AS times FROM run_log GROUP BY 1 ORDER BY 1',
    );
    expect(log).toEqual([
      { migration: 'create-run-log', times: 1 },
      { migration: 'slow-sql-step', times: 1 },
      { migration: 'slow-ts-step', times: 1 },
    ]);
    expect(await appliedNames(db.url)).toHaveLength(3);
    const outputs = runners.map((runner) => runner.output());
    expect(outputs.filter((output) => output.includes('applied 3 migration(s)'))).toHaveLength(1);
  });

  it('a second runner waits for the lock, says who holds it, then applies what is pending', async () => {
    folder = migrationsFolder('concurrent-runners');
    const holder = new Client({ connectionString: db.url, application_name: 'test-lock-holder' });
    await holder.connect();
    const [{ pid }] = (await holder.query('SELECT pg_backend_pid() AS pid')).rows;
    await holder.query('SELECT pg_advisory_lock($1, $2)', [classId, objectId]);
    const { logger, lines } = recordingLogger();
    const migrating = migrateDatabase({
      databaseUrl: db.url,
      phases: ['pre'],
      logger,
      migrationsDir: folder.dir,
    });
    try {
      await waitFor('the waiting message', async () =>
        lines.some((line) => line.includes('another runner holds the migration lock')),
      );
      expect(await appliedNames(db.url)).toEqual([]);
    } finally {
      await holder.end();
    }
    const { applied } = await migrating;

    const waiting = lines.find((line) => line.includes('another runner holds')) ?? '';
    expect(waiting).toContain(`session pid ${pid}`);
    expect(waiting).toContain('application "test-lock-holder"');
    expect(waiting).toContain('connected since');
    expect(applied).toHaveLength(3);
  });

  it('a runner killed with SIGKILL leaves the lock free, and a rerun completes', async () => {
    folder = migrationsFolder();
    const file = folder.write(
      'pre-deploy/20260101000000-long.sql',
      'CREATE TABLE survivor (id int);\nSELECT pg_sleep(20);',
    );
    const runner = startMigrate(['pre', '--migrations-dir', folder.dir], db.url);
    await waitFor('the runner to be inside its migration', async () => {
      const rows = await query(
        db.url,
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(20)%'",
        [db.name],
      );
      return rows.length > 0;
    });
    expect(await advisoryLocksHeld(db.url, db.name)).toBe(1);

    runner.kill();
    await runner.exited;
    await waitFor(
      'the lock to be released',
      async () => (await advisoryLocksHeld(db.url, db.name)) === 0,
    );

    fs.writeFileSync(file, 'CREATE TABLE survivor (id int);\nSELECT pg_sleep(0.1);');
    const rerun = await runMigrate(['pre', '--migrations-dir', folder.dir], db.url);
    expect(rerun.code).toBe(0);
    expect(await appliedNames(db.url)).toEqual([path.basename(file, '.sql')]);
    expect(await query(db.url, "SELECT to_regclass('survivor')::text AS t")).toEqual([
      { t: 'survivor' },
    ]);
  });
});
