import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../db/embedded';
import { freePort } from '../db/free-port';

/**
 * Where the gate's schema lives: the server of the URL it is given (any database on it), or an
 * embedded PostgreSQL in the gate's temporary folder, stopped at the end.
 */
export interface CompatServer {
  /** How the server is reached, without a password, for the report. */
  description: string;
  createDatabase(): Promise<CompatDatabase>;
  stop(): Promise<void>;
}

export interface CompatDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function openCompatServer(
  serverUrl: string | undefined,
  tempDir: string,
): Promise<CompatServer> {
  let embedded: EmbeddedServer | undefined;
  let maintenanceUrl: string;
  if (serverUrl) {
    maintenanceUrl = withDatabase(serverUrl, 'postgres');
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(tempDir, 'postgres'),
      port: await freePort(),
      persistent: false,
      database: 'postgres',
    });
    maintenanceUrl = embedded.url;
  }
  const { hostname, port } = new URL(maintenanceUrl);
  return {
    description: `${embedded ? 'embedded PostgreSQL' : 'PostgreSQL'} at ${hostname}:${port || 5432}`,
    createDatabase: () => createDatabase(maintenanceUrl),
    stop: async () => embedded?.stop(),
  };
}

async function createDatabase(maintenanceUrl: string): Promise<CompatDatabase> {
  const name = `zdm_compat_${randomBytes(5).toString('hex')}`;
  await adminQuery(maintenanceUrl, `CREATE DATABASE ${name}`);
  return {
    name,
    url: withDatabase(maintenanceUrl, name),
    drop: () => adminQuery(maintenanceUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
