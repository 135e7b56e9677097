import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSql } from '../../src/lint';
import { squawkBinary, squawkRules } from '../../src/lint/squawk';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '..', 'fixtures', 'lint', 'squawk', name), 'utf8');

const squawkOnly = async (name: string, phase: 'pre' | 'post') =>
  (await lintSql(fixture(name), { file: name, phase }))
    .filter((finding) => finding.rule.startsWith('squawk:'))
    .map(({ rule, severity, line }) => ({ rule, severity, line }));

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

  it.each(['pre', 'post'] as const)(
    'counts squawk rules that mean a failing or destructive migration as errors (%s-deploy)',
    async (phase) => {
      expect(await squawkOnly('errors.sql', phase)).toEqual([
        { rule: 'squawk:transaction-nesting', severity: 'error', line: 3 },
        { rule: 'squawk:ban-truncate-cascade', severity: 'error', line: 5 },
      ]);
    },
  );

  it('counts hygiene rules as warnings', async () => {
    expect(await squawkOnly('warnings.sql', 'pre')).toEqual([
      { rule: 'squawk:ban-create-domain-with-constraint', severity: 'warning', line: 2 },
      { rule: 'squawk:identifier-too-long', severity: 'warning', line: 3 },
    ]);
  });

  it('drops the rules ours cover (index, char, enum ordering, timeouts) and keeps ours', async () => {
    expect(await squawkOnly('covered.sql', 'pre')).toEqual([]);
    const ours = await lintSql(fixture('covered.sql'), { file: 'covered.sql', phase: 'pre' });
    expect(ours.map((finding) => finding.rule)).toEqual([
      'create-index-non-concurrent',
      'prefer-text',
    ]);
  });

  it('decides rules squawk 2.61.0 knows: each name is one its --exclude accepts', () => {
    const binary = squawkBinary() as string;
    const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(version).toBe('squawk 2.61.0');
    // syntax-error is reported, not a rule one can exclude.
    const rules = Object.keys(squawkRules).filter((rule) => rule !== 'syntax-error');
    const refused = rules.filter(
      (rule) =>
        spawnSync(binary, ['--exclude', rule, '--stdin-filepath', 'x.sql'], { input: 'SELECT 1;' })
          .status !== 0,
    );
    expect(refused).toEqual([]);
    expect(rules).toHaveLength(39);
  });
});
