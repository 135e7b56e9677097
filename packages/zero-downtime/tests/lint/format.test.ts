import { formatFindings, lintSql } from '../../src/lint';

describe('finding output', () => {
  it('prints where, severity, rule, the statement, why, and the safe way', async () => {
    const findings = await lintSql('SELECT 1;\nCREATE INDEX ON users (name);', {
      file: 'migrations/pre-deploy/20250101000000-index.sql',
      phase: 'pre',
    });
    const text = formatFindings(findings);
    expect(text).toContain(
      'migrations/pre-deploy/20250101000000-index.sql:2  error  create-index-non-concurrent',
    );
    expect(text).toContain('  > CREATE INDEX ON users (name)');
    expect(text).toContain(
      '  > CREATE INDEX ON users (name)\n  Lock: SHARE on users: blocks writes (reads go on); scans the table\n',
    );
    expect(text).toContain('  Safe way:\n');
    expect(text).toContain(
      '    CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);',
    );
    expect(text).toMatch(/1 error\(s\), 0 warning\(s\)\.$/);
  });

  it('says so when there is nothing to report', () => {
    expect(formatFindings([])).toBe('No unsafe operations found.');
  });
});
