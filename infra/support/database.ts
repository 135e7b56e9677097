import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A throw-away database on this machine's PostgreSQL (127.0.0.1:5432, user postgres, trust
 * authentication; INFRA_ADMIN_DATABASE_URL overrides), created per test file and dropped after.
 */
export function adminUrl(): string {
  return process.env.INFRA_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface ThrowAwayDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createThrowAwayDatabase(): Promise<ThrowAwayDatabase> {
  const name = `zdm_infra_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl(), (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    query: async <T>(sql: string, params?: unknown[]) =>
      withClient(url.toString(), async (client) => (await client.query(sql, params)).rows as T[]),
    drop: async () => {
      await withClient(adminUrl(), (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}
