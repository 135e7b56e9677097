import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../app/db/embedded';
import { freePort } from '../tests/support/process';

/**
 * A PostgreSQL server for a benchmark: DATABASE_URL's server when set, else an embedded one in
 * a temporary folder. Each benchmark works in its own fresh database and drops it afterwards.
 */
export interface BenchDatabase {
  url: string;
  close(): Promise<void>;
}

export async function openBenchDatabase(prefix: string): Promise<BenchDatabase> {
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
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
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    close: async () => {
      await admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
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

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
