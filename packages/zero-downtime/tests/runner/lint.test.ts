import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../support/project';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import {
  appliedNames,
  migrationsFolder,
  query,
  runMigrate,
  type MigrationsFolder,
} from './support';

let db: TestDatabase;
let folder: MigrationsFolder;

const usersMigration = 'pre-deploy/20260101000000-create-users.sql';

beforeEach(async () => {
  db = await createEmptyDatabase();
  folder = migrationsFolder();
  folder.write(
    usersMigration,
    fs.readFileSync(path.join(projectRoot, 'migrations', usersMigration), 'utf8'),
  );
});

afterEach(async () => {
  folder.remove();
  await db.drop();
});

const migrate = (...args: string[]) =>
  runMigrate([...args, '--migrations-dir', folder.dir], db.url);

describe('migrate:lint', () => {
  it('fails on a pre-deploy CREATE INDEX without CONCURRENTLY and prints the concurrent recipe for users (name)', async () => {
    folder.write(
      'pre-deploy/20260102000000-index-users-name.sql',
      'CREATE INDEX ON users (name);\n',
    );
    const { code, output } = await migrate('lint');
    expect(code).toBe(1);
    expect(output).toContain('20260102000000-index-users-name.sql:1');
    expect(output).toContain('create-index-non-concurrent');
    expect(output).toContain(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);',
    );
  });

  it('passes CREATE INDEX CONCURRENTLY IF NOT EXISTS, which migrate:pre then applies', async () => {
    folder.write(
      'pre-deploy/20260102000000-index-users-name.sql',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);\n',
    );
    const lint = await migrate('lint');
    expect(lint.output).toContain('No unsafe operations found.');
    expect(lint.code).toBe(0);

    expect((await migrate('pre')).code).toBe(0);
    const indexes = await query(
      db.url,
      "SELECT indexname FROM pg_indexes WHERE indexname = 'users_name_idx'",
    );
    expect(indexes).toHaveLength(1);
  });

  it('flags the unsafe statement a .ts migration emits, found by running it in a throw-away database', async () => {
    folder.write(
      'pre-deploy/20260102000000-index-users-created-at.ts',
      `export async function up({ queryInterface }) {
        await queryInterface.addIndex('users', ['created_at']);
      }`,
    );
    const { code, output } = await migrate('lint');
    expect(code).toBe(1);
    // The line of the queryInterface call that sent the statement.
    expect(output).toContain('20260102000000-index-users-created-at.ts:2  error');
    expect(output).toContain('create-index-non-concurrent');
    expect(output).toContain('CREATE INDEX "users_created_at" ON "users" ("created_at")');
    expect(await appliedNames(db.url)).toEqual([]);
    const scratch = await query(
      db.url,
      "SELECT datname FROM pg_database WHERE datname LIKE 'zdm_lint_%'",
    );
    expect(scratch).toEqual([]);
  });

  it('lints only pending migrations by default, or the files given', async () => {
    expect((await migrate('pre')).code).toBe(0);
    const nothing = await migrate('lint');
    expect(nothing.code).toBe(0);
    expect(nothing.output).toContain('Nothing to lint: no pending migrations.');

    const unsafe = folder.write('post-deploy/20260102000000-drop-users.sql', 'DROP TABLE users;\n');
    const given = await runMigrate(
      ['lint', unsafe, '--migrations-dir', folder.dir],
      'postgres://nobody@127.0.0.1:1/none',
    );
    expect(given.output).toContain('Linted 20260102000000-drop-users');
  });

  it('--explain prints the lock of every statement of every pending file, .sql and .ts, before the findings', async () => {
    folder.write(
      'pre-deploy/20260102000000-orders.sql',
      [
        'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);',
        'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);',
        '',
      ].join('\n'),
    );
    folder.write(
      'pre-deploy/20260103000000-index-users-email.ts',
      `export async function up({ queryInterface }) {
        await queryInterface.addIndex('users', ['email']);
      }`,
    );
    const { code, output } = await migrate('lint', '--explain');
    expect(code).toBe(1);
    const [explained, findings] = output.split('create-index-non-concurrent');
    expect(explained).toContain(
      '20260102000000-orders.sql:1\n  > CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint)\n' +
        '  Lock: no lock on any relation; catalog only',
    );
    expect(explained).toContain(
      '20260102000000-orders.sql:2\n' +
        '  > ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID\n' +
        '  Lock: SHARE ROW EXCLUSIVE on orders: blocks writes and other schema changes (reads go on); ' +
        'SHARE ROW EXCLUSIVE on users: blocks writes and other schema changes (reads go on); catalog only',
    );
    expect(explained).toContain(
      '20260102000000-orders.sql:3\n' +
        '  > CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name)\n' +
        '  Lock: SHARE UPDATE EXCLUSIVE on users: blocks other schema changes and VACUUM (reads and writes go on); scans the table',
    );
    expect(explained).toMatch(
      /20260103000000-index-users-email\.ts:2\n {2}> CREATE INDEX "users_email" ON "users" \("email"\)\n {2}Lock: SHARE on users: blocks writes \(reads go on\); scans the table/,
    );
    expect(findings).toContain(
      'Lock: SHARE on users: blocks writes (reads go on); scans the table',
    );
  });

  it('--format github annotates the line of the call in a .ts migration, writes the job summary and --sarif a SARIF log', async () => {
    const migration = folder.write(
      'pre-deploy/20260102000000-index-users-created-at.ts',
      `// An index for the reports page.
export async function up({ queryInterface }) {
  const table = 'users';
  await queryInterface.addIndex(table, ['created_at']);
}`,
    );
    const summary = path.join(folder.dir, 'summary.md');
    const sarif = path.join(folder.dir, 'lint.sarif');
    const { code, output } = await runMigrate(
      ['lint', '--format', 'github', '--sarif', sarif, '--migrations-dir', folder.dir],
      db.url,
      { GITHUB_STEP_SUMMARY: summary },
    );
    expect(code).toBe(1);
    expect(output).toContain(
      `::error file=${migration},line=4,col=1,title=create-index-non-concurrent (pre-deploy)::`,
    );
    const table = fs.readFileSync(summary, 'utf8');
    expect(table).toContain('| Severity | Rule | Phase | Where | Why |');
    expect(table).toContain(`| error | create-index-non-concurrent | pre | ${migration}:4 |`);
    const log = JSON.parse(fs.readFileSync(sarif, 'utf8'));
    expect(log.runs[0].results[0]).toMatchObject({
      ruleId: 'create-index-non-concurrent',
      level: 'error',
      locations: [{ physicalLocation: { region: { startLine: 4 } } }],
    });
  });

  it('refuses an unknown --format with what it accepts', async () => {
    const { code, output } = await migrate('lint', '--format', 'xml');
    expect(code).toBe(2);
    expect(output).toContain('--format must be one of text, json, sarif, github, got "xml"');
  });

  it('replays earlier .sql migrations, so a type change or SET NOT NULL is decided from the schema it meets', async () => {
    const files = {
      'pre-deploy/20260102000000-create-notes.sql':
        'CREATE TABLE notes (id bigint PRIMARY KEY, title varchar(50), body int);\n',
      'post-deploy/20260103000000-widen-title.sql':
        'ALTER TABLE notes ALTER COLUMN title TYPE varchar(100);\n',
      'post-deploy/20260104000000-body-to-text.sql':
        'ALTER TABLE notes ALTER COLUMN body TYPE text;\n',
      'pre-deploy/20260105000000-check-title.sql':
        'ALTER TABLE notes ADD CONSTRAINT notes_title_not_null CHECK (title IS NOT NULL) NOT VALID;\n',
      'post-deploy/20260106000000-validate-title.sql':
        'ALTER TABLE notes VALIDATE CONSTRAINT notes_title_not_null;\n',
      'post-deploy/20260107000000-title-not-null.sql':
        'ALTER TABLE notes ALTER COLUMN title SET NOT NULL;\n',
    };
    for (const [file, sql] of Object.entries(files)) folder.write(file, sql);
    const judged = async (databaseUrl: string) => {
      const { output } = await runMigrate(
        ['lint', '--format', 'json', '--migrations-dir', folder.dir],
        databaseUrl,
      );
      const report = JSON.parse(output.slice(output.indexOf('{')));
      return report.findings
        .filter((finding: { rule: string }) =>
          ['alter-column-type', 'set-not-null'].includes(finding.rule),
        )
        .map((finding: { file: string; severity: string }) => [
          path.basename(finding.file),
          finding.severity,
        ]);
    };
    // By their text alone (files given without a database): two "safe only if" warnings, and
    // SET NOT NULL an error, since the CHECK proving it was validated by another file.
    const byText = await runMigrate(
      [
        'lint',
        ...Object.keys(files).map((file) => path.join(folder.dir, file)),
        '--format',
        'json',
        '--migrations-dir',
        folder.dir,
      ],
      'postgres://nobody@127.0.0.1:1/none',
    );
    const textual = JSON.parse(byText.output.slice(byText.output.indexOf('{')))
      .findings.filter((finding: { rule: string }) =>
        ['alter-column-type', 'set-not-null'].includes(finding.rule),
      )
      .map((finding: { file: string; severity: string }) => [
        path.basename(finding.file),
        finding.severity,
      ]);
    expect(textual).toEqual([
      ['20260103000000-widen-title.sql', 'warning'],
      ['20260104000000-body-to-text.sql', 'warning'],
      ['20260107000000-title-not-null.sql', 'error'],
    ]);
    // Replayed: varchar(50) -> varchar(100) only changes the catalog (passes), int -> text
    // rewrites the table (an error), and the validated CHECK lets SET NOT NULL skip its scan.
    expect(await judged(db.url)).toEqual([['20260104000000-body-to-text.sql', 'error']]);
  });
});
