import { migrateDatabase, MigrationRunnerError } from '../../src/runner';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import {
  appliedNames,
  columnsOf,
  invalidIndexes,
  migrationsFolder,
  query,
  recordingLogger,
  silentLogger,
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

function migrate(phases: ('pre' | 'post')[] = ['pre'], settings = {}) {
  return migrateDatabase({
    databaseUrl: db.url,
    phases,
    logger: silentLogger,
    migrationsDir: folder.dir,
    settings,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<MigrationRunnerError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MigrationRunnerError);
  return error as MigrationRunnerError;
}

describe('migrateDatabase', () => {
  it('applies .sql and .ts migrations of both phases in order and records name, phase, checksum and duration', async () => {
    folder = migrationsFolder('basic');
    const { applied } = await migrate(['pre', 'post']);

    expect(applied.map((m) => [m.name, m.phase])).toEqual([
      ['20260101000000-create-widgets', 'pre'],
      ['20260101000100-add-widgets-colour', 'pre'],
      ['20260101000200-create-widgets-archive', 'post'],
    ]);
    expect(await query(db.url, 'SELECT name, colour FROM widgets ORDER BY id')).toEqual([
      { name: 'first', colour: 'red' },
      { name: 'second', colour: 'blue' },
    ]);
    const records = await query<{ phase: string; checksum: string; duration_ms: number }>(
      db.url,
      'SELECT phase, checksum, duration_ms FROM zdm_migrations ORDER BY name',
    );
    expect(records.map((r) => r.phase)).toEqual(['pre', 'pre', 'post']);
    for (const record of records) {
      expect(record.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(record.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('applies nothing the second time', async () => {
    folder = migrationsFolder('basic');
    await migrate(['pre', 'post']);
    const { applied } = await migrate(['pre', 'post']);
    expect(applied).toEqual([]);
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM widgets')).toEqual([{ n: 2 }]);
  });

  it('a failing migration leaves no trace: schema unchanged, not recorded, error names migration, statement and line', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-base.sql',
      'CREATE TABLE base (id bigint PRIMARY KEY);',
    );
    folder.write(
      'pre-deploy/20260101000100-breaks.sql',
      [
        'ALTER TABLE base ADD COLUMN label text;',
        'CREATE TABLE extra (id bigint);',
        '',
        'ALTER TABLE base ADD COLUMN id bigint;',
      ].join('\n'),
    );

    const error = await failureOf(migrate());

    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain('20260101000100-breaks');
    expect(error.message).toContain('ALTER TABLE base ADD COLUMN id bigint');
    expect(error.message).toMatch(/20260101000100-breaks\.sql:4/);
    expect(error.message).toContain('already exists');
    expect(error.details.line).toBe(4);
    expect(await columnsOf(db.url, 'base')).toEqual(['id']);
    expect(await query(db.url, "SELECT to_regclass('extra') AS t")).toEqual([{ t: null }]);
    expect(await appliedNames(db.url)).toEqual(['20260101000000-base']);
  });

  it('a .ts migration that throws is rolled back and not recorded', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-throws.ts',
      `export async function up({ query }) {
        await query('CREATE TABLE half_done (id bigint)');
        throw new Error('the author changed their mind');
      }`,
    );
    const error = await failureOf(migrate());
    expect(error.message).toContain('the author changed their mind');
    expect(await query(db.url, "SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    expect(await appliedNames(db.url)).toEqual([]);
  });

  it('every statement of a .ts migration, whoever sends it, runs on one connection, in one transaction, under the runner timeouts', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-observe.ts',
      `const probe = "SELECT pg_backend_pid() AS pid, txid_current() AS tx, current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement";
      export async function up({ query, sequelize, queryInterface }) {
        await query('CREATE TABLE observed (via text, pid int, tx bigint, lock text, statement text)');
        const record = (via, row) => query('INSERT INTO observed VALUES ($1, $2, $3, $4, $5)', [via, row.pid, row.tx, row.lock, row.statement]);
        await record('query', (await query(probe))[0]);
        const [rows] = await sequelize.query(probe);
        await record('sequelize', rows[0]);
        const viaInterface = await queryInterface.sequelize.query(probe, { type: 'SELECT' });
        await record('queryInterface', viaInterface[0]);
      }`,
    );
    await migrate(['pre'], { lockTimeoutMs: 1234, statementTimeoutMs: 5678 });

    const rows = await query<{ pid: number; tx: string; lock: string; statement: string }>(
      db.url,
      'SELECT via, pid, tx, lock, statement FROM observed',
    );
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((row) => row.pid)).size).toBe(1);
    expect(new Set(rows.map((row) => row.tx)).size).toBe(1);
    expect(new Set(rows.map((row) => row.lock))).toEqual(new Set(['1234ms']));
    expect(new Set(rows.map((row) => row.statement))).toEqual(new Set(['5678ms']));
  });

  it('statement_timeout stops a long statement and the migration is rolled back', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-slow.sql',
      'CREATE TABLE slow_marker (id int);\nSELECT pg_sleep(2);',
    );
    const error = await failureOf(migrate(['pre'], { statementTimeoutMs: 200 }));
    expect(error.details.sqlState).toBe('57014');
    expect(error.message).toContain('statement timeout');
    expect(await query(db.url, "SELECT to_regclass('slow_marker') AS t")).toEqual([{ t: null }]);
  });

  it('withoutStatementTimeout lifts statement_timeout for the work it wraps, then restores it', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-long-scan.ts',
      `export async function up({ query, withoutStatementTimeout }) {
        await query('CREATE TABLE seen (phase text, value text)');
        await withoutStatementTimeout(async () => {
          await query('SELECT pg_sleep(0.4)');
          await query("INSERT INTO seen SELECT 'inside', current_setting('statement_timeout')");
        });
        await query("INSERT INTO seen SELECT 'after', current_setting('statement_timeout')");
      }`,
    );
    await migrate(['pre'], { statementTimeoutMs: 200 });
    expect(await query(db.url, 'SELECT phase, value FROM seen ORDER BY phase DESC')).toEqual([
      { phase: 'inside', value: '0' },
      { phase: 'after', value: '200ms' },
    ]);
  });

  it('a .sql file with CREATE INDEX CONCURRENTLY runs statement by statement outside a transaction', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-table.sql',
      'CREATE TABLE items (id bigint, sku text);',
    );
    folder.write(
      'pre-deploy/20260101000100-index.sql',
      [
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_sku_idx ON items (sku);',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_id_idx ON items (id);',
      ].join('\n'),
    );
    const { applied } = await migrate();
    expect(applied.map((m) => m.name)).toContain('20260101000100-index');
    const indexes = await query<{ indexname: string }>(
      db.url,
      "SELECT indexname FROM pg_indexes WHERE tablename = 'items' ORDER BY 1",
    );
    expect(indexes.map((row) => row.indexname)).toEqual(['items_id_idx', 'items_sku_idx']);
    expect(await invalidIndexes(db.url)).toEqual([]);
  });

  it('a non-transactional migration whose CREATE UNIQUE INDEX CONCURRENTLY fails leaves no INVALID index', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-duplicates.sql',
      "CREATE TABLE accounts (email text);\nINSERT INTO accounts VALUES ('a@x.io'), ('a@x.io');",
    );
    folder.write(
      'pre-deploy/20260101000100-unique-email.sql',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key ON accounts (email);',
    );
    const error = await failureOf(migrate());
    expect(error.message).toContain('20260101000100-unique-email');
    expect(error.message).toMatch(/could not create unique index/);
    expect(await invalidIndexes(db.url)).toEqual([]);
    expect(await appliedNames(db.url)).toEqual(['20260101000000-duplicates']);
  });

  it('drops the INVALID leftover of an earlier failed run before CREATE INDEX CONCURRENTLY IF NOT EXISTS of the same index', async () => {
    await query(
      db.url,
      "CREATE TABLE accounts (email text); INSERT INTO accounts VALUES ('a'), ('a')",
    );
    await query(
      db.url,
      'CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email)',
    ).catch(() => undefined);
    expect(await invalidIndexes(db.url)).toEqual(['accounts_email_key']);
    await query(db.url, 'DELETE FROM accounts WHERE ctid = (SELECT min(ctid) FROM accounts)');

    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-unique-email.sql',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key ON accounts (email);',
    );
    await migrate();
    expect(await invalidIndexes(db.url)).toEqual([]);
    const [{ valid }] = await query<{ valid: boolean }>(
      db.url,
      "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'accounts_email_key'::regclass",
    );
    expect(valid).toBe(true);
  });

  it('a .ts migration exporting transaction = false can create an index concurrently', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-table.sql',
      'CREATE TABLE items (id bigint, sku text);',
    );
    folder.write(
      'pre-deploy/20260101000100-index.ts',
      `export const transaction = false;
      export async function up({ queryInterface, inTransaction }) {
        if (inTransaction) throw new Error('expected no transaction');
        await queryInterface.addIndex('items', ['sku'], { name: 'items_sku_idx', concurrently: true });
      }`,
    );
    await migrate();
    const rows = await query(db.url, "SELECT indexname FROM pg_indexes WHERE tablename = 'items'");
    expect(rows).toEqual([{ indexname: 'items_sku_idx' }]);
  });

  it('context.helpers runs the expand/contract helpers on the migration connection', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-table.sql',
      'CREATE TABLE items (id bigint PRIMARY KEY, sku text);',
    );
    folder.write(
      'pre-deploy/20260101000100-helpers.ts',
      `export const transaction = false;
      export async function up({ helpers }) {
        await helpers.addColumn({ table: 'items', column: 'price', type: 'integer', default: '0' });
        await helpers.addIndex({ table: 'items', columns: ['sku'] });
      }`,
    );
    await migrate();
    expect(await columnsOf(db.url, 'items')).toContain('price');
    const rows = await query(
      db.url,
      "SELECT indexname FROM pg_indexes WHERE tablename = 'items' AND indexdef LIKE '%(sku)%'",
    );
    expect(rows).toHaveLength(1);
  });

  it('a .sql migration with its own BEGIN/COMMIT is refused before anything runs', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-own-tx.sql',
      'BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;',
    );
    const error = await failureOf(migrate());
    expect(error.code).toBe('MIGRATION_INVALID');
    expect(error.message).toContain('20260101000000-own-tx.sql:1');
    expect(await query(db.url, "SELECT to_regclass('t') AS t")).toEqual([{ t: null }]);
  });

  it('a .sql migration PostgreSQL cannot parse is refused with its line', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-typo.sql',
      'CREATE TABLE ok (id int);\nCREAT TABLE nope (id int);',
    );
    const error = await failureOf(migrate());
    expect(error.code).toBe('SQL_PARSE_ERROR');
    expect(error.message).toContain('20260101000000-typo.sql:2');
  });

  it('a badly named file stops the run and says how files are named', async () => {
    folder = migrationsFolder();
    folder.write('pre-deploy/add-things.sql', 'SELECT 1;');
    const error = await failureOf(migrate());
    expect(error.code).toBe('MIGRATION_NAME_INVALID');
    expect(error.message).toContain('<UTC YYYYMMDDHHMMSS>-<kebab-name>');
  });
});

describe('phase rules', () => {
  it('post-deploy refuses while pre-deploy migrations are pending, and names them', async () => {
    folder = migrationsFolder('basic');
    const error = await failureOf(migrate(['post']));
    expect(error.code).toBe('PRE_DEPLOY_PENDING');
    expect(error.message).toContain('20260101000000-create-widgets');
    expect(error.message).toContain('20260101000100-add-widgets-colour');
    expect(await appliedNames(db.url)).toEqual([]);
  });

  it('post-deploy runs once pre-deploy is complete', async () => {
    folder = migrationsFolder('basic');
    await migrate(['pre']);
    const { applied } = await migrate(['post']);
    expect(applied.map((m) => m.name)).toEqual(['20260101000200-create-widgets-archive']);
  });

  it('an applied migration whose file changed stops the run before anything is applied', async () => {
    folder = migrationsFolder('basic');
    await migrate(['pre']);
    folder.write(
      'pre-deploy/20260101000000-create-widgets.sql',
      'CREATE TABLE widgets (id bigint PRIMARY KEY, name text, extra text);',
    );
    const error = await failureOf(migrate(['post']));
    expect(error.code).toBe('MIGRATION_CHANGED');
    expect(error.message).toContain(
      '20260101000000-create-widgets.sql changed after it was applied',
    );
    expect(await appliedNames(db.url)).not.toContain('20260101000200-create-widgets-archive');
  });

  it('an applied migration moved to the other phase stops the run', async () => {
    folder = migrationsFolder('basic');
    await migrate(['pre', 'post']);
    const fs = await import('node:fs');
    const path = await import('node:path');
    fs.renameSync(
      path.join(folder.dir, 'post-deploy/20260101000200-create-widgets-archive.sql'),
      path.join(folder.dir, 'pre-deploy/20260101000200-create-widgets-archive.sql'),
    );
    const error = await failureOf(migrate(['pre']));
    expect(error.code).toBe('MIGRATION_MOVED');
    expect(error.message).toContain('was applied as a post-deploy migration');
  });

  it('a pre-deploy migration over its time budget is reported by name', async () => {
    folder = migrationsFolder();
    folder.write('pre-deploy/20260101000000-slowish.sql', 'SELECT pg_sleep(0.3);');
    const { logger, lines } = recordingLogger();
    const { applied } = await migrateDatabase({
      databaseUrl: db.url,
      phases: ['pre'],
      logger,
      migrationsDir: folder.dir,
      settings: { timeBudgetMs: 100 },
    });
    expect(applied[0].overBudget).toBe(true);
    expect(lines.join('')).toMatch(
      /pre-deploy migration 20260101000000-slowish took \d+ ms, over the 100 ms budget/,
    );
  });
});

describe('guards for .ts migrations', () => {
  it('a COMMIT sent inside the runner transaction is refused and everything is rolled back', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-commits.ts',
      `export async function up({ query }) {
        await query('CREATE TABLE early (id int)');
        await query('COMMIT');
      }`,
    );
    const error = await failureOf(migrate());
    expect(error.code).toBe('MIGRATION_INVALID');
    expect(error.message).toContain('would commit or abandon it halfway');
    expect(await query(db.url, "SELECT to_regclass('early') AS t")).toEqual([{ t: null }]);
  });

  it('sequelize.transaction() inside a migration is refused with the reason', async () => {
    folder = migrationsFolder();
    folder.write(
      'pre-deploy/20260101000000-own-transaction.ts',
      `export async function up({ sequelize }) {
        await sequelize.transaction(async () => undefined);
      }`,
    );
    const error = await failureOf(migrate());
    expect(error.message).toContain('called sequelize.transaction()');
    expect(await appliedNames(db.url)).toEqual([]);
  });
});
