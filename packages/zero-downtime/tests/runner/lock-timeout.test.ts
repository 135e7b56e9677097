import { migrateDatabase, MigrationRunnerError } from '../../src/runner';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import {
  appliedNames,
  columnsOf,
  holdTableLock,
  migrationsFolder,
  query,
  recordingLogger,
  type MigrationsFolder,
} from './support';

let db: TestDatabase;
let folder: MigrationsFolder;

const fastRetries = { lockTimeoutMs: 200, retryBaseDelayMs: 50, retryMaxDelayMs: 200 };

beforeEach(async () => {
  db = await createEmptyDatabase();
  await query(db.url, 'CREATE TABLE orders (id bigint PRIMARY KEY); INSERT INTO orders VALUES (1)');
  folder = migrationsFolder();
  folder.write(
    'pre-deploy/20260101000000-add-orders-note.sql',
    'CREATE TABLE order_notes (id bigint);\nALTER TABLE orders ADD COLUMN note text;',
  );
});

afterEach(async () => {
  folder.remove();
  await db.drop();
});

describe('lock timeouts', () => {
  it('a migration blocked by an open transaction retries from its start and succeeds once the blocker ends', async () => {
    const blocker = await holdTableLock(db.url, 'orders');
    const { logger, lines } = recordingLogger();
    const migrating = migrateDatabase({
      databaseUrl: db.url,
      phases: ['pre'],
      logger,
      migrationsDir: folder.dir,
      settings: { ...fastRetries, maxRetries: 50 },
    });
    // Let a few attempts time out before the blocker commits.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await blocker.release();
    const { applied } = await migrating;

    expect(applied[0].attempts).toBeGreaterThan(1);
    expect(await columnsOf(db.url, 'orders')).toEqual(['id', 'note']);
    expect(await appliedNames(db.url)).toEqual(['20260101000000-add-orders-note']);
    const log = lines.join('');
    expect(log).toContain('lock_timeout (200 ms)');
    expect(log).toContain(`pid ${blocker.pid}`);
    expect(log).toContain('application "test-blocker"');
  });

  it('on exhausted retries the migration fails naming the blocking pid, and nothing is applied', async () => {
    const blocker = await holdTableLock(db.url, 'orders');
    try {
      const error = await migrateDatabase({
        databaseUrl: db.url,
        phases: ['pre'],
        logger: recordingLogger().logger,
        migrationsDir: folder.dir,
        settings: { ...fastRetries, maxRetries: 2 },
      }).then(
        () => undefined,
        (caught: unknown) => caught as MigrationRunnerError,
      );

      expect(error).toBeInstanceOf(MigrationRunnerError);
      expect(error?.code).toBe('MIGRATION_LOCK_TIMEOUT');
      expect(error?.message).toContain('gave up after 3 attempt(s)');
      expect(error?.message).toContain('ALTER TABLE orders ADD COLUMN note text');
      expect(error?.message).toContain(`SELECT pg_terminate_backend(${blocker.pid})`);
      expect(error?.details.blockers?.map((session) => session.pid)).toContain(blocker.pid);
    } finally {
      await blocker.release();
    }
    expect(await columnsOf(db.url, 'orders')).toEqual(['id']);
    expect(await query(db.url, "SELECT to_regclass('order_notes') AS t")).toEqual([{ t: null }]);
    expect(await appliedNames(db.url)).toEqual([]);
  });
});
