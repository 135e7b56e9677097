import fs from 'node:fs';
import path from 'node:path';
import { readJestReport, type JestJsonReport, type TestFailure } from './jest-report';
import { childEnvironment, runCommand, tail } from './processes';

/** The variable a project's jest global setup honours: clone this database, migrate nothing. */
export const TEMPLATE_ENV = 'ZDM_TEST_TEMPLATE_URL';

export interface StepResult {
  ok: boolean;
  /** One line for the report: what happened. */
  summary: string;
  failures: TestFailure[];
  logFile: string;
}

export interface StepContext {
  /** The project checkout (head's working tree or the base's worktree). */
  dir: string;
  logFile: string;
  timeoutMs: number;
}

/**
 * Applies one phase with that version's own runner, the way its pipeline would
 * (`tsx scripts/migrate.ts <phase>`), on the gate's database.
 */
export async function migrate(
  context: StepContext,
  phase: 'pre' | 'post',
  databaseUrl: string,
): Promise<StepResult> {
  const result = await runCommand(
    process.execPath,
    [path.join(context.dir, 'node_modules', '.bin', 'tsx'), 'scripts/migrate.ts', phase],
    {
      cwd: context.dir,
      env: childEnvironment({ DATABASE_URL: databaseUrl }),
      logFile: context.logFile,
      timeoutMs: context.timeoutMs,
    },
  );
  const ok = result.code === 0;
  const summary = ok
    ? lastLineMentioning(result.output, `${phase}-deploy`) || `${phase}-deploy: done`
    : `${phase}-deploy failed${result.timedOut ? ' (timed out)' : ''}:\n${tail(result.output)}`;
  return { ok, summary, failures: [], logFile: context.logFile };
}

/**
 * Runs that version's jest suite with the gate's database as the template every test file
 * clones, and reads jest's JSON report to name what broke.
 */
export async function runSuite(
  context: StepContext,
  templateUrl: string,
  jestArgs: string[],
): Promise<StepResult> {
  const jsonFile = context.logFile.replace(/\.log$/, '.json');
  fs.rmSync(jsonFile, { force: true });
  const result = await runCommand(
    process.execPath,
    [
      path.join(context.dir, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--ci',
      '--json',
      `--outputFile=${jsonFile}`,
      ...jestArgs,
    ],
    {
      cwd: context.dir,
      // TEST_DATABASE_URL: a jest run that a test starts itself uses the same server.
      env: childEnvironment({
        [TEMPLATE_ENV]: templateUrl,
        TEST_DATABASE_URL: serverOf(templateUrl),
      }),
      logFile: context.logFile,
      timeoutMs: context.timeoutMs,
    },
  );
  if (!fs.existsSync(jsonFile)) {
    const why = result.timedOut ? 'did not finish in time' : 'did not produce a report';
    return {
      ok: false,
      summary: `the suite ${why} (exit ${result.code}):\n${tail(result.output)}`,
      failures: [],
      logFile: context.logFile,
    };
  }
  const suite = readJestReport(
    JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as JestJsonReport,
    context.dir,
  );
  const ok = result.code === 0 && suite.failures.length === 0 && suite.total > 0;
  return {
    ok,
    summary: suiteSummary(suite.total, suite.passed, suite.failures.length, result.code),
    failures: suite.failures,
    logFile: context.logFile,
  };
}

function serverOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function suiteSummary(total: number, passed: number, failed: number, code: number | null): string {
  if (total === 0) return 'no test ran (check the test pattern)';
  if (failed > 0) return `${failed} of ${total} test(s) failed`;
  if (code !== 0) return `all ${total} test(s) passed but jest exited with ${code}`;
  return `${passed} test(s) passed`;
}

function lastLineMentioning(output: string, text: string): string | undefined {
  return output
    .split('\n')
    .reverse()
    .find((line) => line.includes(text))
    ?.trim();
}
