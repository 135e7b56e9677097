import { Client } from 'pg';
import type { ToolkitConfig as Config } from '../core/config';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded';
import type { Logger } from '../core/logger';

/**
 * The database a command-line tool works on: DATABASE_URL, or in development the embedded
 * server the app uses (reused when the app already runs it, started otherwise).
 */
export interface ScriptDatabase {
  url: string;
  close(): Promise<void>;
}

export async function openScriptDatabase(config: Config, logger: Logger): Promise<ScriptDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, close: async () => undefined };
  const { port, dataDir } = config.embeddedPostgres;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/app`;
  if (await answers(url)) return { url, close: async () => undefined };
  logger.info(`DATABASE_URL is unset: starting the embedded PostgreSQL on port ${port}`);
  const server: EmbeddedServer = await startEmbeddedPostgres({ port, dataDir, logger });
  return { url: server.url, close: () => server.stop() };
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
