import fs from 'node:fs';
import path from 'node:path';
import {
  failsIn,
  readJestReport,
  type FailureCause,
  type JestJsonReport,
  type SuiteResult,
  type TestFailure,
} from './jest-report';
import { runCommand } from '../core/processes';
import { childEnvironment, tail } from './processes';

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
 * Applies one phase with that version's own runner, through its documented command
 * (`npm run migrate:<phase>`, whatever that version's package.json makes of it), on the gate's
 * database.
 */
export async function migrate(
  context: StepContext,
  phase: 'pre' | 'post',
  databaseUrl: string,
): Promise<StepResult> {
  const result = await runCommand('npm', ['run', '--silent', `migrate:${phase}`], {
    cwd: context.dir,
    env: childEnvironment({ DATABASE_URL: databaseUrl }),
    logFile: context.logFile,
    timeoutMs: context.timeoutMs,
  });
  const ok = result.code === 0;
  const summary = ok
    ? lastLineMentioning(result.output, `${phase}-deploy`) || `${phase}-deploy: done`
    : `${phase}-deploy failed${result.timedOut ? ' (timed out)' : ''}:\n${tail(result.output)}`;
  return { ok, summary, failures: [], logFile: context.logFile };
}

/**
 * Runs that version's jest suite with the gate's database as the template every test file
 * clones, and reads jest's JSON report to name what broke. The failed files are then run again
 * on the same schema and on the version's own schema (its global setup migrating a template
 * itself), so that only failures the gate's schema causes fail the step.
 */
export async function runSuite(
  context: StepContext,
  templateUrl: string,
  jestArgs: string[],
): Promise<StepResult> {
  const onGateSchema = childEnvironment({
    [TEMPLATE_ENV]: templateUrl,
    // A jest run that a test starts itself uses the same server.
    TEST_DATABASE_URL: serverOf(templateUrl),
  });
  const first = await runJest(context, onGateSchema, jestArgs, '');
  if (!first.suite) return noReport(context, first.output);
  const { suite } = first;
  if (suite.failures.length === 0) {
    const ok = first.code === 0 && suite.total > 0;
    return { ok, summary: suiteSummary(suite, first.code), failures: [], logFile: context.logFile };
  }
  const files = ['--runTestsByPath', ...new Set(suite.failures.map((failure) => failure.file))];
  const again = await runJest(context, onGateSchema, files, '-rerun');
  const onOwnSchema = childEnvironment({ TEST_DATABASE_URL: serverOf(templateUrl) });
  const own = await runJest(context, onOwnSchema, files, '-own-schema');
  const failures = suite.failures.map((failure) => ({
    ...failure,
    cause: causeOf(failure, again.suite, own.suite),
  }));
  return {
    ok: suite.total > 0 && failures.every((failure) => failure.cause !== 'schema'),
    summary: suiteSummary(suite, first.code, failures),
    failures,
    logFile: context.logFile,
  };
}

/** Without a report from a re-run, the failure is kept on the schema: the gate stays strict. */
function causeOf(
  failure: TestFailure,
  again: SuiteResult | undefined,
  own: SuiteResult | undefined,
): FailureCause {
  if (again && !failsIn(failure, again)) return 'flaky';
  if (own && failsIn(failure, own)) return 'own-schema-too';
  return 'schema';
}

async function runJest(
  context: StepContext,
  env: NodeJS.ProcessEnv,
  args: string[],
  suffix: string,
): Promise<{ suite?: SuiteResult; code: number | null; output: string }> {
  const logFile = context.logFile.replace(/\.log$/, `${suffix}.log`);
  const jsonFile = logFile.replace(/\.log$/, '.json');
  fs.rmSync(jsonFile, { force: true });
  const jest = path.join(context.dir, 'node_modules', 'jest', 'bin', 'jest.js');
  const result = await runCommand(
    process.execPath,
    [jest, '--ci', '--json', `--outputFile=${jsonFile}`, ...args],
    { cwd: context.dir, env, logFile, timeoutMs: context.timeoutMs },
  );
  const output = result.timedOut ? `${result.output}\n(did not finish in time)` : result.output;
  if (!fs.existsSync(jsonFile)) return { code: result.code, output };
  const report = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as JestJsonReport;
  return { suite: readJestReport(report, context.dir), code: result.code, output };
}

function noReport(context: StepContext, output: string): StepResult {
  return {
    ok: false,
    summary: `the suite did not produce a report:\n${tail(output)}`,
    failures: [],
    logFile: context.logFile,
  };
}

function serverOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function suiteSummary(
  suite: SuiteResult,
  code: number | null,
  failures: TestFailure[] = [],
): string {
  if (suite.total === 0) return 'no test ran (check the test pattern)';
  if (failures.length === 0) {
    return code === 0
      ? `${suite.passed} test(s) passed`
      : `all ${suite.total} test(s) passed but jest exited with ${code}`;
  }
  const count = (cause: FailureCause) => failures.filter((f) => f.cause === cause).length;
  const parts = [
    `${count('schema')} break on this schema`,
    `${count('own-schema-too')} fail on the version's own schema too`,
    `${count('flaky')} passed when re-run`,
  ];
  return `${failures.length} of ${suite.total} test(s) failed: ${parts.join(', ')}`;
}

function lastLineMentioning(output: string, text: string): string | undefined {
  return output
    .split('\n')
    .reverse()
    .find((line) => line.includes(text))
    ?.trim();
}
