import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A database created for one test file on the machine's PostgreSQL (INFRA_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres, trust authentication), dropped at the end.
 */
export interface ThrowawayDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  drop(): Promise<void>;
}

const SERVER_URL = process.env.INFRA_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `zdm_infra_${randomBytes(5).toString('hex')}`;
  await withClient(SERVER_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    query: <T>(sql: string) =>
      withClient(url.toString(), async (client) => (await client.query(sql)).rows as T[]),
    drop: () =>
      withClient(SERVER_URL, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
