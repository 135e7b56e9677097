import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, readTestServerState } from './server';

/**
 * Every test file gets its own database, so files run in parallel and never share state.
 * `createTestDatabase()` clones the migrated template (fast); `createEmptyDatabase()` gives a
 * database with no tables, for tests of migrations themselves.
 */
export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  return createDatabase(readTestServerState().templateDatabase);
}

export async function createEmptyDatabase(): Promise<TestDatabase> {
  return createDatabase('template0');
}

export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: readTestServerState().serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new database copied from `template` (which must have no open connection). */
export async function createDatabase(template: string): Promise<TestDatabase> {
  const { serverUrl } = readTestServerState();
  const name = `zdm_test_${randomBytes(5).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    name,
    url: databaseUrl(serverUrl, name),
    drop: () => dropDatabase(name),
  };
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
