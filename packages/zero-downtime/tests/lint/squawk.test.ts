import { lintSql } from '../../src/lint';

const sql = [
  'ALTER TABLE users ADD COLUMN nickname text;',
  '',
  'CREATE DOMAIN positive_cents AS bigint CHECK (VALUE > 0);',
].join('\n');

describe('squawk as a second opinion on .sql files', () => {
  it('merges what only squawk knows as a squawk:<rule> warning at the statement line', async () => {
    const findings = await lintSql(sql, { file: 'm.sql', phase: 'pre' });
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'squawk:ban-create-domain-with-constraint',
        severity: 'warning',
        line: 3,
        statement: 'CREATE DOMAIN positive_cents AS bigint CHECK (VALUE > 0)',
      }),
    ]);
  });

  it('drops squawk findings our own rules already report', async () => {
    const findings = await lintSql('CREATE INDEX ON users (name);', {
      file: 'm.sql',
      phase: 'pre',
    });
    expect(findings.map((finding) => finding.rule)).toEqual(['create-index-non-concurrent']);
  });

  it('can be switched off, and its rules suppressed with a reason', async () => {
    expect(await lintSql(sql, { file: 'm.sql', phase: 'pre', squawk: false })).toEqual([]);
    const suppressed = `-- zdm-ignore squawk:ban-create-domain-with-constraint: validated by the app too\n${sql.split('\n')[2]}`;
    expect(await lintSql(suppressed, { file: 'm.sql', phase: 'pre' })).toEqual([]);
  });
});
