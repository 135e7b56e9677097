/**
 * Where the test PostgreSQL server is. The global setup decides (TEST_DATABASE_URL or
 * DATABASE_URL when set, else an embedded server) and publishes it in ZDM_TEST_STATE, which
 * every jest worker and every child process a test spawns inherits.
 */
export interface TestServerState {
  /** A URL of the server's maintenance database; tests create their own databases from it. */
  serverUrl: string;
  /** A database with every migration applied, cloned by `createTestDatabase`. */
  templateDatabase: string;
}

export function readTestServerState(): TestServerState {
  const state = process.env.ZDM_TEST_STATE;
  if (!state) throw new Error('ZDM_TEST_STATE is unset: run the tests through jest (npm test).');
  return JSON.parse(state) as TestServerState;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
