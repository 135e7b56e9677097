import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSql } from '../../src/lint';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '..', 'fixtures', 'lint', name), 'utf8');

describe('linting whole migration files', () => {
  it('passes an expand-only pre-deploy file: new table, nullable column, concurrent index', async () => {
    const findings = await lintSql(fixture('pre-deploy-expand.sql'), {
      file: 'pre-deploy-expand.sql',
      phase: 'pre',
    });
    expect(findings).toEqual([]);
  });

  it('reports each unsafe statement of a file at its own line, honouring a reasoned suppression', async () => {
    const findings = await lintSql(fixture('pre-deploy-contract-mistakes.sql'), {
      file: 'pre-deploy-contract-mistakes.sql',
      phase: 'pre',
    });
    expect(findings.map(({ rule, line, severity }) => ({ rule, line, severity }))).toEqual([
      { rule: 'drop-column', line: 2, severity: 'error' },
      { rule: 'create-index-non-concurrent', line: 4, severity: 'error' },
      { rule: 'unbatched-data-change', line: 9, severity: 'error' },
      { rule: 'rename-column', line: 10, severity: 'error' },
    ]);
    expect(findings[2].recipe).toContain(
      'npm run db:backfill -- --name update-users-nickname --table users --set "nickname = name" --where "nickname IS NULL"',
    );
  });
});
