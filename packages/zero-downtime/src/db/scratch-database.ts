import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded';
import { freePort } from './free-port';

/**
 * A fresh database for a benchmark or a rehearsal: on the server of `serverUrl` when given,
 * else on an embedded server in a temporary folder. `close()` drops it (and stops the server).
 */
export interface ScratchDatabase {
  url: string;
  close(): Promise<void>;
}

export async function openScratchDatabase(
  prefix: string,
  serverUrl: string | undefined,
): Promise<ScratchDatabase> {
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  if (!serverUrl) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-pg-`));
    embedded = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      persistent: false,
      database: 'postgres',
    });
    serverUrl = embedded.url;
  }
  const server = serverUrl;
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  await admin(server, `CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    close: async () => {
      await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await embedded?.stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
