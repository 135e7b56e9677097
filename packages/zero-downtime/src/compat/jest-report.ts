import path from 'node:path';

/** The part of jest's `--json` report the gate reads. */
export interface JestJsonReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{
      fullName: string;
      status: string;
      failureMessages?: string[];
    }>;
  }>;
}

export interface TestFailure {
  /** The test file, relative to the suite's root. */
  file: string;
  /** The test's full name (describe blocks and title), or a note that the file did not run. */
  test: string;
  /** The first lines of jest's failure message. */
  message: string;
  /** Set once the failure was re-run (steps.ts): whether the gate's schema is to blame. */
  cause?: FailureCause;
}

/**
 * `schema`: fails again on the gate's schema and passes on the version's own schema: a
 * compatibility break. `own-schema-too`: fails on the version's own schema as well, so the
 * schema is not the cause. `flaky`: passed when re-run on the same schema.
 */
export type FailureCause = 'schema' | 'own-schema-too' | 'flaky';

export interface SuiteResult {
  total: number;
  passed: number;
  failures: TestFailure[];
}

export const FILE_DID_NOT_RUN = '(the test file failed to run)';

/** Whether a failure (same file, same test, or the whole file) appears in another run. */
export function failsIn(failure: TestFailure, run: SuiteResult): boolean {
  return run.failures.some(
    (other) =>
      other.file === failure.file &&
      (other.test === failure.test || other.test === FILE_DID_NOT_RUN),
  );
}

/** Every failed test by name, and every file that failed without a failed test (a crash). */
export function readJestReport(report: JestJsonReport, rootDir: string): SuiteResult {
  const failures: TestFailure[] = [];
  for (const file of report.testResults) {
    const relative = path.relative(rootDir, file.name) || file.name;
    const failed = file.assertionResults.filter((test) => test.status === 'failed');
    for (const test of failed) {
      failures.push({
        file: relative,
        test: test.fullName,
        message: firstLines(test.failureMessages?.[0] ?? ''),
      });
    }
    if (failed.length === 0 && file.status === 'failed') {
      failures.push({ file: relative, test: FILE_DID_NOT_RUN, message: firstLines(file.message) });
    }
  }
  return { total: report.numTotalTests, passed: report.numPassedTests, failures };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function firstLines(message = '', lines = 6): string {
  return message
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(0, lines)
    .join('\n');
}
