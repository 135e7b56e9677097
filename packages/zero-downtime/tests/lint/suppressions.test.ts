import { lintSql, parseSuppressions } from '../../src/lint';
import { loadSqlParser } from '../../src/sql/split';

const lint = (sql: string) => lintSql(sql, { file: 'm.sql', phase: 'pre' });

describe('zdm-ignore suppressions', () => {
  it('a reasoned SQL suppression silences that rule for the next statement only', async () => {
    const findings = await lint(
      [
        '-- zdm-ignore create-index-non-concurrent: countries has 250 rows and never grows',
        'CREATE INDEX ON countries (name);',
        'CREATE INDEX ON countries (code);',
      ].join('\n'),
    );
    expect(findings.map(({ rule, line }) => ({ rule, line }))).toEqual([
      { rule: 'create-index-non-concurrent', line: 3 },
    ]);
  });

  it('does not silence other rules on the same statement', async () => {
    const findings = await lint(
      '-- zdm-ignore prefer-text: ISO code\nALTER TABLE users ADD COLUMN country char(2) NOT NULL;',
    );
    expect(findings.map((finding) => finding.rule)).toEqual([
      'add-column-not-null-without-default',
    ]);
  });

  it('accepts several rules in one comment', async () => {
    const findings = await lint(
      '-- zdm-ignore prefer-text, add-column-not-null-without-default: users is empty in every environment\nALTER TABLE users ADD COLUMN country char(2) NOT NULL;',
    );
    expect(findings).toEqual([]);
  });

  it('a suppression without a reason is an error and suppresses nothing', async () => {
    const findings = await lint('-- zdm-ignore drop-column\nALTER TABLE users DROP COLUMN age;');
    expect(findings.map(({ rule, line, severity }) => ({ rule, line, severity }))).toEqual([
      { rule: 'suppression-without-reason', line: 1, severity: 'error' },
      { rule: 'drop-column', line: 2, severity: 'error' },
    ]);
    expect(findings[0].recipe).toBe('-- zdm-ignore drop-column: <why this is safe here>');
  });

  it('a suppression naming an unknown rule is an error', async () => {
    const findings = await lint(
      '-- zdm-ignore drop-colum: typo\nALTER TABLE users DROP COLUMN age;',
    );
    expect(findings.map((finding) => finding.rule)).toEqual(['unknown-rule', 'drop-column']);
    expect(findings[0].message).toContain('"drop-colum" is not a rule');
  });

  it('ignores zdm-ignore text inside a string literal', async () => {
    const findings = await lint(
      "INSERT INTO notes (body) VALUES ('-- zdm-ignore create-index-non-concurrent: no');\nCREATE INDEX ON users (name);",
    );
    expect(findings.map((finding) => finding.rule)).toEqual(['create-index-non-concurrent']);
  });

  it('parses TypeScript suppressions as migration-wide, with their line and reason', () => {
    const source =
      'const a = 1;\n  // zdm-ignore drop-table: sessions moved to Redis in release 41\n';
    expect(parseSuppressions(source)).toEqual([
      {
        rule: 'drop-table',
        reason: 'sessions moved to Redis in release 41',
        line: 2,
        statementLine: undefined,
        comment: '// zdm-ignore drop-table: sessions moved to Redis in release 41',
      },
    ]);
  });

  it('parses SQL suppressions with the line of the statement they apply to', async () => {
    await loadSqlParser();
    const sql =
      'SELECT 1;\n\n-- zdm-ignore drop-table: gone in 41\n/* more */\nDROP TABLE sessions;';
    expect(parseSuppressions(sql, 'sql')).toMatchObject([
      { rule: 'drop-table', reason: 'gone in 41', line: 3, statementLine: 5 },
    ]);
  });
});
