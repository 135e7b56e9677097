/** What the compat gate adds to the toolkit's process runner (core/processes.ts). */

/** The last lines of a command's output: enough to see why it failed without the noise. */
export function tail(output: string, lines = 15): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * The environment of a child run: the caller's, without what belongs to an enclosing test run
 * (a gate started from jest must not hand its own test state to the suites it runs).
 */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'ZDM_TEST_STATE',
    'ZDM_TEST_TEMPLATE_URL',
    'JEST_WORKER_ID',
    'DATABASE_URL',
    'TEST_DATABASE_URL',
    'NODE_ENV',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}
