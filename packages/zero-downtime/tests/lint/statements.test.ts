import { containsNonTransactionalStatement, splitSqlStatements } from '../../src/sql/split';
import { formatFindings, lintStatements, parseSuppressions } from '../../src/lint';
import { ruleCases } from './lint-cases';

const file = 'migrations/pre-deploy/20250101000000-add-nickname.ts';

function rulesOf(findings: { rule: string }[]): string[] {
  return findings.map((finding) => finding.rule);
}

describe('lintStatements (SQL captured while running a .ts migration)', () => {
  it('flags what Sequelize sent, at the line the runner recorded, with the names it used', async () => {
    const findings = await lintStatements(
      [
        {
          text: 'ALTER TABLE "public"."users" ADD COLUMN "nickname" VARCHAR(255) NOT NULL;',
          line: 7,
        },
      ],
      { file, phase: 'pre', transactional: true },
    );
    expect(rulesOf(findings)).toEqual(['add-column-not-null-without-default', 'prefer-text']);
    expect(findings[0]).toMatchObject({ file, line: 7, severity: 'error' });
    expect(findings[0].recipe).toContain(
      'ALTER TABLE public.users ADD COLUMN nickname varchar(255);',
    );
  });

  it('flags CONCURRENTLY in a migration that runs in one transaction, and passes it otherwise', async () => {
    const captured = [
      { text: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_nickname_idx ON users (nickname)' },
    ];
    const inTransaction = await lintStatements(captured, {
      file,
      phase: 'pre',
      transactional: true,
    });
    const autocommit = await lintStatements(captured, { file, phase: 'pre', transactional: false });
    expect(rulesOf(inTransaction)).toEqual(['concurrently-in-transaction']);
    expect(autocommit).toEqual([]);
  });

  it('treats several statements sent in one query as one implicit transaction', async () => {
    const findings = await lintStatements(
      [
        {
          text: 'SET lock_timeout = 1000; CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users (a);',
        },
      ],
      { file, phase: 'pre', transactional: false },
    );
    expect(rulesOf(findings)).toEqual(['concurrently-in-transaction']);
  });

  it('exempts tables the migration created in an earlier query', async () => {
    const findings = await lintStatements(
      [
        {
          text: 'CREATE TABLE IF NOT EXISTS "pets" ("id" BIGSERIAL , "name" TEXT, PRIMARY KEY ("id"));',
        },
        { text: 'CREATE INDEX "pets_name" ON "pets" ("name")' },
        {
          text: 'ALTER TABLE "pets" ADD COLUMN "owner_id" BIGINT NOT NULL REFERENCES "users" ("id");',
        },
      ],
      { file, phase: 'pre', transactional: true },
    );
    expect(findings).toEqual([]);
  });

  it('reports an unparsable query as sql-parse-error and still lints the others', async () => {
    const findings = await lintStatements(
      [
        { text: 'ALTR TABLE users ADD COLUMN x text', line: 3 },
        { text: 'DROP TABLE old_things', line: 4 },
      ],
      { file, phase: 'pre', transactional: false },
    );
    expect(findings.map(({ rule, line }) => ({ rule, line }))).toEqual([
      { rule: 'sql-parse-error', line: 3 },
      { rule: 'drop-table', line: 4 },
    ]);
    expect(findings[0].message).toContain('syntax error at or near "ALTR"');
  });

  it('leaves the line at 0 when the runner did not record one, and prints the file alone', async () => {
    const findings = await lintStatements([{ text: 'TRUNCATE users' }], {
      file,
      phase: 'post',
      transactional: false,
    });
    expect(findings[0].line).toBe(0);
    expect(formatFindings(findings)).toContain(`${file}  error  exclusive-table-operation`);
  });

  it('applies // zdm-ignore comments of the .ts source to the whole migration', async () => {
    const source = [
      "import type { MigrationContext } from '../../src/runner';",
      '// zdm-ignore create-index-non-concurrent: pets is created by the previous migration and still empty',
      'export async function up() {}',
    ].join('\n');
    const findings = await lintStatements(
      [{ text: 'CREATE INDEX pets_name ON pets (name)', line: 9 }],
      { file, phase: 'pre', transactional: true, suppressions: parseSuppressions(source) },
    );
    expect(findings).toEqual([]);
  });

  describe.each(ruleCases)('agrees with lintSql for $rule', ({ rule, unsafe, safe }) => {
    async function lintAsCaptured(sql: string, phase: 'pre' | 'post') {
      const statements = await splitSqlStatements(sql);
      return lintStatements(
        statements.map(({ text, line }) => ({ text, line })),
        {
          file,
          phase,
          transactional: !containsNonTransactionalStatement(statements) && !sql.startsWith('BEGIN'),
        },
      );
    }

    it.each(unsafe)('flags captured: $sql', async ({ sql, phase, severity }) => {
      const findings = (await lintAsCaptured(sql, phase)).filter((f) => f.rule === rule);
      expect(findings.map((finding) => finding.severity)).toEqual([severity]);
    });

    it.each(safe)('passes captured: $sql', async ({ sql, phase }) => {
      const findings = await lintAsCaptured(sql, phase);
      expect(findings.filter((f) => f.rule === rule)).toEqual([]);
    });
  });
});
