import { FILE_DID_NOT_RUN, readJestReport, type JestJsonReport } from '../../src/compat';

describe("reading jest's --json report", () => {
  it('names each failed test with its file relative to the suite root and its first message lines', () => {
    const report: JestJsonReport = {
      numTotalTests: 3,
      numPassedTests: 2,
      numFailedTests: 1,
      testResults: [
        {
          name: '/repo/tests/users.test.ts',
          status: 'failed',
          assertionResults: [
            { fullName: 'users lists users', status: 'passed' },
            {
              fullName: 'users reads a name',
              status: 'failed',
              failureMessages: [
                '\u001b[31merror: column "name" does not exist\u001b[39m\n\n    at x',
              ],
            },
          ],
        },
        { name: '/repo/tests/health.test.ts', status: 'passed', assertionResults: [] },
      ],
    };
    expect(readJestReport(report, '/repo')).toEqual({
      total: 3,
      passed: 2,
      failures: [
        {
          file: 'tests/users.test.ts',
          test: 'users reads a name',
          message: 'error: column "name" does not exist\n    at x',
        },
      ],
    });
  });

  it('reports a test file that crashed before any test ran', () => {
    const report: JestJsonReport = {
      numTotalTests: 0,
      numPassedTests: 0,
      numFailedTests: 0,
      testResults: [
        {
          name: '/repo/tests/boot.test.ts',
          status: 'failed',
          message: 'Cannot find module ../app/removed',
          assertionResults: [],
        },
      ],
    };
    expect(readJestReport(report, '/repo').failures).toEqual([
      {
        file: 'tests/boot.test.ts',
        test: FILE_DID_NOT_RUN,
        message: 'Cannot find module ../app/removed',
      },
    ]);
  });
});
