import type { LintThresholds } from '../../src/core/config';
import type { Finding } from '../../src/lint';
import { openReadOnly } from '../../src/lint/database/connection';
import { checkPendingData, lintMigrations } from '../../src/runner/lint-migrations';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import {
  migrationsFolder,
  query,
  runMigrate,
  silentLogger,
  type MigrationsFolder,
} from '../runner/support';

let db: TestDatabase;
let folder: MigrationsFolder;

const thresholds: LintThresholds = {
  smallTableRows: 0,
  largeTableRows: 1_000_000,
  scanRowLimit: 1_000_000,
  statementTimeoutMs: 10_000,
  megabytesPerSecond: 50,
};

const createAccounts = `CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text,
  name text,
  age text,
  team_id bigint
);
CREATE TABLE teams (id bigint PRIMARY KEY);
`;

beforeEach(async () => {
  db = await createEmptyDatabase();
  folder = migrationsFolder();
  folder.write('pre-deploy/20260101000000-create-accounts.sql', createAccounts);
  const applied = await runMigrate(['pre', '--migrations-dir', folder.dir], db.url);
  expect(applied.code).toBe(0);
});

afterEach(async () => {
  folder.remove();
  await db.drop();
});

const lint = (overrides: Partial<LintThresholds> = {}) =>
  lintMigrations({
    logger: silentLogger,
    databaseUrl: db.url,
    migrationsDir: folder.dir,
    database: { url: db.url, thresholds: { ...thresholds, ...overrides } },
  });

/** A pending CREATE UNIQUE INDEX CONCURRENTLY on accounts (email). */
const writeUniqueEmail = () =>
  folder.write(
    'pre-deploy/20260102000000-unique-email.sql',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key ON accounts (email);\n',
  );

const ofRule = (findings: Finding[], rule: string) =>
  findings.filter((finding) => finding.rule === rule);

describe('migrate lint --database: the rows the pending statements meet', () => {
  it('reports the duplicate keys of a pending CREATE UNIQUE INDEX CONCURRENTLY and the NULLs of a post-deploy SET NOT NULL, with counts', async () => {
    await query(
      db.url,
      `INSERT INTO accounts (email, name) VALUES
         ('a@x', 'A'), ('a@x', NULL), ('a@x', 'C'), ('b@x', NULL), ('b@x', 'E'), (NULL, 'F'), (NULL, 'G')`,
    );
    writeUniqueEmail();
    folder.write(
      'post-deploy/20260103000000-name-not-null.sql',
      'SELECT 1;\nALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n',
    );
    const { findings } = await lint();
    const [duplicates] = ofRule(findings, 'data-duplicate-keys');
    expect(duplicates).toMatchObject({
      severity: 'error',
      line: 1,
      file: expect.stringContaining('20260102000000-unique-email.sql'),
    });
    // NULLs do not collide in a unique index: two keys, five rows.
    expect(duplicates.message).toContain('2 key(s) appear more than once, in 5 rows');
    expect(duplicates.message).toContain('(a@x): 3 rows');
    const [nulls] = ofRule(findings, 'data-null-rows');
    expect(nulls).toMatchObject({ severity: 'error', line: 2 });
    expect(nulls.message).toContain('accounts has 2 row(s) where name IS NULL');
  });

  it('passes clean data: no data finding', async () => {
    await query(db.url, "INSERT INTO accounts (email, name) VALUES ('a@x', 'A'), ('b@x', 'B')");
    writeUniqueEmail();
    folder.write(
      'post-deploy/20260103000000-name-not-null.sql',
      'ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n',
    );
    const { findings } = await lint();
    expect(findings.filter((finding) => finding.rule.startsWith('data-'))).toEqual([]);
  });

  it('reports orphans of a foreign key, rows violating a CHECK validated later, and values that do not cast', async () => {
    await query(db.url, 'INSERT INTO teams (id) VALUES (1)');
    await query(
      db.url,
      `INSERT INTO accounts (email, age, team_id) VALUES
         ('a@x', '30', 1), ('b@x', 'thirty', 2), ('c@x', '41', 3), ('d', NULL, NULL)`,
    );
    folder.write(
      'pre-deploy/20260102000000-constraints.sql',
      `ALTER TABLE accounts ADD CONSTRAINT accounts_team_fk FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID;
ALTER TABLE accounts ADD CONSTRAINT accounts_email_at CHECK (email LIKE '%@%') NOT VALID;
`,
    );
    folder.write(
      'post-deploy/20260103000000-validate.sql',
      `ALTER TABLE accounts VALIDATE CONSTRAINT accounts_team_fk;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_at;
ALTER TABLE accounts ALTER COLUMN age TYPE integer USING age::integer;
ALTER TABLE accounts ALTER COLUMN email TYPE integer;
`,
    );
    const { findings } = await lint();
    const orphans = ofRule(findings, 'data-orphan-rows');
    // NOT VALID: a warning that the later VALIDATE fails; the VALIDATE itself: an error.
    expect(orphans.map((finding) => [finding.severity, finding.line])).toEqual([
      ['warning', 1],
      ['error', 1],
    ]);
    expect(orphans[1].message).toContain('2 row(s) reference a missing parent');
    const checks = ofRule(findings, 'data-check-violations');
    expect(checks.map((finding) => finding.severity)).toEqual(['warning', 'error']);
    expect(checks[1].message).toContain('1 row(s) violate it');
    const casts = ofRule(findings, 'data-cast-failures');
    expect(casts.map((finding) => finding.line)).toEqual([3, 4]);
    expect(casts[0].message).toContain('invalid input syntax for type integer: "thirty"');
    // PostgreSQL 16+ counts with pg_input_is_valid; 15 casts each distinct value in a savepoint.
    expect(casts[1].message).toMatch(
      /4 value\(s\) are not valid int \(pg_input_is_valid\)|of the first 4 distinct value\(s\), 4 do not cast \(PostgreSQL before 16/,
    );
  });

  it('sizes lock findings by the table: a small table makes an error a warning, a large one a warning an error', async () => {
    await query(
      db.url,
      "INSERT INTO accounts (email) SELECT 'u' || g FROM generate_series(1, 50) g",
    );
    const files = [
      folder.write('pre-deploy/20260102000000-index.sql', 'CREATE INDEX ON accounts (email);\n'),
      folder.write(
        'post-deploy/20260103000000-widen.sql',
        'ALTER TABLE accounts ALTER COLUMN name TYPE text;\n',
      ),
    ];
    // Judged by their text (no throw-away database), so the type change stays a warning.
    const sizedBy = (overrides: Partial<LintThresholds>) =>
      lintMigrations({
        logger: silentLogger,
        files,
        migrationsDir: folder.dir,
        database: { url: db.url, thresholds: { ...thresholds, ...overrides } },
      });
    const severities = (findings: Finding[]) =>
      Object.fromEntries(
        findings
          .filter((f) => ['create-index-non-concurrent', 'alter-column-type'].includes(f.rule))
          .map((f) => [f.rule, f.severity]),
      );
    const unsized = await lintMigrations({
      logger: silentLogger,
      files,
      migrationsDir: folder.dir,
    });
    expect(severities(unsized.findings)).toEqual({
      'create-index-non-concurrent': 'error',
      'alter-column-type': 'warning',
    });

    const small = await sizedBy({ smallTableRows: 100, largeTableRows: 1_000 });
    expect(severities(small.findings)).toEqual({
      'create-index-non-concurrent': 'warning',
      'alter-column-type': 'warning',
    });
    const [index] = ofRule(small.findings, 'create-index-non-concurrent');
    expect(index.message).toMatch(/accounts has 50 rows \([\d.]+ MB with its indexes\)/);
    expect(index.message).toContain('Below zeroDowntime.lint.smallTableRows (100)');

    const large = await sizedBy({ smallTableRows: 0, largeTableRows: 10 });
    expect(severities(large.findings)).toEqual({
      'create-index-non-concurrent': 'error',
      'alter-column-type': 'error',
    });
    const [widen] = ofRule(large.findings, 'alter-column-type');
    expect(widen.message).toContain('At or above zeroDowntime.lint.largeTableRows (10)');
  });

  it('skips tables above the scan limit with a note, and checks only migrations not yet applied', async () => {
    await query(db.url, "INSERT INTO accounts (email) VALUES ('a@x'), ('a@x')");
    writeUniqueEmail();
    const skipped = await lint({ scanRowLimit: 1 });
    const [note] = ofRule(skipped.findings, 'data-not-checked');
    expect(note.severity).toBe('warning');
    expect(note.message).toContain('above zeroDowntime.lint.scanRowLimit (1 rows)');
    expect(ofRule(skipped.findings, 'data-duplicate-keys')).toEqual([]);

    // The create-accounts migration is applied: its statements are not checked again.
    const report = await checkPendingData({
      migrationsDir: folder.dir,
      database: { url: db.url, thresholds },
    });
    expect(report.linted.map((file) => file.name)).toEqual(['20260102000000-unique-email']);
    expect(ofRule(report.findings, 'data-duplicate-keys')).toHaveLength(1);
  });

  it('zdm migrate check exits 1 on a data error and prints the finding, read-only', async () => {
    await query(db.url, "INSERT INTO accounts (email) VALUES ('a@x'), ('a@x')");
    writeUniqueEmail();
    const { code, output } = await runMigrate(['check', '--migrations-dir', folder.dir], db.url);
    expect(output).toContain('error  data-duplicate-keys');
    expect(code).toBe(1);
    const indexes = await query(
      db.url,
      "SELECT 1 FROM pg_indexes WHERE indexname = 'accounts_email_key'",
    );
    expect(indexes).toEqual([]);
  });

  it('reads through its own read-only connection with a statement timeout', async () => {
    const session = await openReadOnly(db.url, 1_234);
    try {
      const [timeout] = await session.query<{ statement_timeout: string }>(
        'SHOW statement_timeout',
      );
      expect(timeout.statement_timeout).toBe('1234ms');
      await expect(session.query('CREATE TABLE written (id int)')).rejects.toThrow(
        'cannot execute CREATE TABLE in a read-only transaction',
      );
    } finally {
      await session.close();
    }
  });
});
