import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { createApp } from '../../app/app';
import { loadConfig, type Config } from '../../app/config';
import { createSequelize } from '../../app/db/connection';
import { Lifecycle } from '../../app/http/lifecycle';
import { createLogger, type Logger } from '../../app/logger';
import { initModels } from '../../app/models';
import { startServer, type RunningServer } from '../../app/server';
import { createTestDatabase, type TestDatabase } from 'zero-downtime-toolkit/testing';

export interface TestApp {
  app: Express;
  config: Config;
  sequelize: Sequelize;
  lifecycle: Lifecycle;
  database: TestDatabase;
  close(): Promise<void>;
}

/** The real app on its own freshly migrated database. */
export async function createTestApp(
  env: Record<string, string> = {},
  logger: Logger = createLogger({ env: 'test', logLevel: 'silent' }),
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...env });
  const sequelize = createSequelize(database.url, {
    poolMax: 5,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
  });
  initModels(sequelize);
  const lifecycle = new Lifecycle();
  const app = createApp({ config, logger, sequelize, lifecycle });
  return {
    app,
    config,
    sequelize,
    lifecycle,
    database,
    close: async () => {
      await sequelize.close();
      await database.drop();
    },
  };
}

/** A config from explicit variables only, never from the developer's .env or shell. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', ...env });
}

export interface TestServer {
  running: RunningServer;
  port: number;
  close(): Promise<void>;
}

/** The real server (startServer) on 127.0.0.1, a free port and its own migrated database. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', ...env });
  const running = await startServer(config, createLogger({ env: 'test', logLevel: 'silent' }));
  return {
    running,
    port: (running.server.address() as { port: number }).port,
    close: async () => {
      await running.stop();
      await database.drop();
    },
  };
}
