import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RehearsalReport } from '../../src/rehearse';
import type { SourceRepo } from '../deploy/support/fixture';
import { cliSource, tsxCli } from '../support/project';
import { readTestServerState } from '../../src/testing';
import {
  commitBadChange,
  commitChangeRefusedByDataCheck,
  commitGoodChange,
  repositoryWithBase,
} from './support/scenarios';

jest.setTimeout(300_000);

/**
 * `npm run rehearse` for real, on a throw-away copy of this repository whose last commit is the
 * base: the base deployed by the deploy pipeline as a PM2 cluster of 2 on a fresh database on
 * the test server, 200 rows, 50 requests/s, short windows; then the change deployed under that
 * load. The latency budget is set out of reach: tests assert outcomes, not timings (the
 * budget's arithmetic is tested in report.test.ts).
 */
describe('npm run rehearse on a temporary clone', () => {
  let repo: SourceRepo;
  let base: string;
  let work: string;

  beforeAll(() => {
    repo = repositoryWithBase();
    base = repo.head();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-rehearse-test-'));
  });

  afterAll(() => {
    fs.rmSync(repo.dir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const rehearse = (out: string) =>
    run(repo.dir, [
      '--base',
      base,
      '--rows',
      '200',
      '--rate',
      '50',
      '--connections',
      '8',
      '--instances',
      '2',
      '--before',
      '3',
      '--after',
      '3',
      '--budget-floor-ms',
      '600000',
      '--out',
      out,
    ]);

  /**
   * Rehearses a change committed on a branch of its own from the base; the exit code is
   * asserted with the output shown when it differs. Returns the output folder and the result.
   */
  const rehearseChange = async (
    branch: string | undefined,
    commitChange: (repo: SourceRepo) => void,
    name: string,
    expectedCode: number,
  ) => {
    if (branch) execFileSync('git', ['-C', repo.dir, 'checkout', '-q', '-B', branch, base]);
    commitChange(repo);
    const out = path.join(work, name);
    const result = await rehearse(out);
    expect({
      code: result.code,
      output: result.code === expectedCode ? '' : result.output,
    }).toEqual({ code: expectedCode, output: '' });
    return { out, result };
  };

  it('a column added with a backfill and NOT NULL in post-deploy: exit 0, no request failed, every phase reported', async () => {
    const { out, result } = await rehearseChange(undefined, commitGoodChange, 'good', 0);
    const report = readReport(out);
    expect(report.total.requests).toBeGreaterThan(0);
    expect(report.total.failed).toBe(0);
    expect(report.deploy.ok).toBe(true);
    expect(report.phases.map((phase) => phase.name)).toEqual([
      'before',
      'migrate-pre',
      'rollout',
      'migrate-post',
      'after',
    ]);
    expect(report.phases.every((phase) => phase.requests > 0)).toBe(true);
    expect(report.migrations.map((m) => `${m.phase} ${m.name}`)).toEqual([
      'pre 20270101000000-add-users-nickname',
      'post 20270101000001-add-users-nickname-not-null',
    ]);
    expect(report.seeded).toEqual([{ table: 'users', rows: 200 }]);
    const chart = fs.readFileSync(path.join(out, 'chart.svg'), 'utf8');
    for (const phase of ['migrate-pre', 'rollout', 'migrate-post']) {
      expect(chart).toContain(`data-phase="${phase}"`);
    }
    expect(result.output).toContain(`report: ${path.join(out, 'report.md')}`);
  });

  it('a pre-deploy migration dropping a column the base still reads: exit 1, the failed requests reported', async () => {
    const { out, result } = await rehearseChange('drop-name', commitBadChange, 'bad', 1);
    const report = readReport(out);
    expect(report.total.failed).toBeGreaterThan(0);
    expect(Object.keys(report.total.failuresByKind)).toEqual(['status 500']);
    const failing = report.phases.filter((phase) => phase.failed > 0).map((phase) => phase.name);
    expect(failing.every((name) => name === 'migrate-pre' || name === 'rollout')).toBe(true);
    expect(report.phases.find((phase) => phase.name === 'before')?.failed).toBe(0);
    expect(report.verdict.ok).toBe(false);
    expect(result.output).toContain('rehearsal FAILED');
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('## Failed requests');
  });

  it('a pre-deploy unique index the seeded rows break: the deploy refused with DATA_CHECK_FAILED and the finding, nothing migrated, exit 1', async () => {
    const { out, result } = await rehearseChange(
      'unique-created-at',
      commitChangeRefusedByDataCheck,
      'refused',
      1,
    );
    const report = readReport(out);
    expect(report.deploy).toMatchObject({
      ok: false,
      errorCode: 'DATA_CHECK_FAILED',
      failedStep: 'migrate-pre',
    });
    expect(report.deploy.summary).toContain(
      'data-duplicate-keys: The unique index on users (created_at) would fail: 1 key(s) appear ' +
        'more than once, in 200 rows.',
    );
    expect(report.migrations).toEqual([]);
    expect(report.total.failed).toBe(0);
    expect(report.verdict.reasons).toContain(
      'the deploy itself failed at migrate-pre with DATA_CHECK_FAILED (see the deploy summary)',
    );
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('data-duplicate-keys');
    expect(result.output).toContain('rehearsal FAILED');
  });
});

function readReport(out: string): RehearsalReport {
  return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as RehearsalReport;
}

function run(dir: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [tsxCli, cliSource, 'rehearse', '--source', dir, ...args],
      {
        cwd: dir,
        env: {
          ...process.env,
          DATABASE_URL: readTestServerState().serverUrl,
          SHUTDOWN_DRAIN_DELAY_MS: '1000',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}
