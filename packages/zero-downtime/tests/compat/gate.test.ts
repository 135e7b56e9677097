import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { formatCompatReport, runCompatGate, type CompatError } from '../../src/compat';
import { readTestServerState } from '../../src/testing';
import { cliSource, tsxCli } from '../support/project';
import {
  ALWAYS_FAILS_TEST,
  createFixtureRepository,
  READS_EMAIL_ONLY_TEST,
  type FixtureRepository,
} from './fixture';

/**
 * The gate on a throw-away repository (tests/compat/fixture.ts): a base commit whose test reads
 * users.name, and a head commit on top. Real git worktrees, real PostgreSQL, real jest runs.
 */

jest.setTimeout(180_000);

let fixture: FixtureRepository;
let reportsDir: string;
const serverUrl = () => readTestServerState().serverUrl;

beforeEach(() => {
  fixture = createFixtureRepository();
  reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-compat-reports-'));
});

afterEach(() => {
  fixture.destroy();
  fs.rmSync(reportsDir, { recursive: true, force: true });
});

function worktrees(dir: string): string[] {
  return execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: dir })
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('worktree '));
}

/** `npm run compat` as a user runs it: from the repository's folder, with DATABASE_URL set. */
function runCompatCli(cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsxCli, cliSource, 'compat', ...args],
      { cwd, env: { ...process.env, DATABASE_URL: serverUrl() } },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return found.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('compat gate', () => {
  it('passes when the head only adds a column, and removes its worktree and database', async () => {
    fixture.write(
      'migrations/pre-deploy/002-add-nickname.sql',
      'ALTER TABLE users ADD nickname text;\n',
    );
    fixture.commit('head: add users.nickname');

    const report = await runCompatGate({
      repoDir: fixture.dir,
      base: 'HEAD~1',
      serverUrl: serverUrl(),
      reportsDir,
    });

    expect(report.stages.map((stage) => [stage.id, stage.status])).toEqual([
      ['base-pre', 'passed'],
      ['base-post', 'passed'],
      ['head-pre', 'passed'],
      ['base-tests-on-pre', 'passed'],
      ['head-tests-on-pre', 'passed'],
      ['head-post', 'passed'],
      ['head-tests-on-post', 'passed'],
    ]);
    expect(report.ok).toBe(true);
    expect(report.dependencies).toBe('shared with the head (same package-lock.json)');
    expect(worktrees(fixture.dir)).toHaveLength(1);
    expect(await databaseExists(report.database)).toBe(false);
    expect(fs.existsSync(path.join(fixture.dir, 'node_modules', 'jest'))).toBe(true);
  });

  it('fails naming the base test that breaks when a pre-deploy migration drops a column it reads', async () => {
    fixture.write(
      'migrations/pre-deploy/002-drop-name.sql',
      'ALTER TABLE users DROP COLUMN name;\n',
    );
    fixture.write('tests/users.test.ts', READS_EMAIL_ONLY_TEST);
    fixture.commit('head: stop reading users.name and drop it in pre-deploy (unsafe)');

    const { code, output } = await runCompatCli(fixture.dir, [
      '--base',
      'HEAD~1',
      '--reports-dir',
      reportsDir,
    ]);

    expect(code).toBe(1);
    expect(output).toMatch(
      /✗ base: tests on the head's pre-deploy schema .*: 1 of 1 test\(s\) failed: 1 break on this schema/,
    );
    expect(output).toContain('✗ base test "users reads every user\'s name" (tests/users.test.ts)');
    expect(output).toMatch(/column "name" (of relation "users" )?does not exist/);
    expect(output).toMatch(/✓ head: tests on the pre-deploy schema .*: 1 test\(s\) passed/);
    expect(output).toContain('Keep pre-deploy migrations additive');
    expect(worktrees(fixture.dir)).toHaveLength(1);
  });

  it('does not blame the schema for a base test that fails on its own schema too', async () => {
    fixture.write('tests/always-fails.test.ts', ALWAYS_FAILS_TEST);
    fixture.commit('base with a test that fails whatever the schema');
    fixture.remove('tests/always-fails.test.ts');
    fixture.write(
      'migrations/pre-deploy/002-add-nickname.sql',
      'ALTER TABLE users ADD nickname text;\n',
    );
    fixture.commit('head: add users.nickname, drop the broken test');

    const report = await runCompatGate({
      repoDir: fixture.dir,
      base: 'HEAD~1',
      serverUrl: serverUrl(),
      reportsDir,
    });

    expect(report.ok).toBe(true);
    const baseTests = report.stages.find((stage) => stage.id === 'base-tests-on-pre');
    expect(baseTests?.status).toBe('passed');
    expect(baseTests?.result?.failures).toEqual([
      expect.objectContaining({
        file: 'tests/always-fails.test.ts',
        test: 'fails whatever the schema',
        cause: 'own-schema-too',
      }),
    ]);
    expect(formatCompatReport(report)).toContain(
      '! base test "fails whatever the schema" (tests/always-fails.test.ts)\n          fails on the version\'s own schema too',
    );
  });

  it('refuses a base ref the repository does not have, creating nothing', async () => {
    const refused = runCompatGate({
      repoDir: fixture.dir,
      base: 'origin/no-such-branch',
      serverUrl: serverUrl(),
      reportsDir,
    });
    await expect(refused).rejects.toMatchObject({
      code: 'COMPAT_UNKNOWN_REF',
    } satisfies Partial<CompatError>);
    await expect(refused).rejects.toThrow(/git fetch origin master/);
    expect(worktrees(fixture.dir)).toHaveLength(1);
  });

  it('refuses a base whose tests cannot use the gate schema, instead of passing vacuously', async () => {
    fixture.write('tests/support/global-setup.ts', 'export default async function () {}\n');
    fixture.commit('a base without the template contract');
    fixture.write(
      'tests/support/global-setup.ts',
      'process.env.ZDM_TEST_TEMPLATE_URL;\nexport default async function () {}\n',
    );
    fixture.commit('head restores the contract');

    await expect(
      runCompatGate({ repoDir: fixture.dir, base: 'HEAD~1', serverUrl: serverUrl(), reportsDir }),
    ).rejects.toMatchObject({ code: 'COMPAT_BASE_UNSUPPORTED' });
    expect(worktrees(fixture.dir)).toHaveLength(1);
  });
});
