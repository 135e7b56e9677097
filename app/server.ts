import http from 'node:http';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { createApp } from './app';
import { ConfigError, loadConfig, redactUrl, type Config } from './config';
import { createSequelize } from './db/connection';
import { ConnectionTracker, drainServer } from './http/graceful-shutdown';
import { Lifecycle } from './http/lifecycle';
import { AppMetrics, metricsListener } from './http/metrics';
import { createLogger, type Logger } from './logger';
import { initModels } from './models';
import {
  isToolkitError,
  migrateDatabase,
  startEmbeddedPostgres,
  type EmbeddedServer,
} from 'zero-downtime-toolkit';

/**
 * Process entry: config -> database -> HTTP -> graceful shutdown.
 * With DATABASE_URL set, start never migrates: migrations belong to the deploy pipeline.
 */
export interface RunningServer {
  server: http.Server;
  url: string;
  /** With METRICS_PORT: where /metrics is served, else undefined (it is on `url`). */
  metricsUrl: string | undefined;
  /** Where the data lives: the configured DATABASE_URL, or the embedded server and its log. */
  database: { url: string; embedded?: { logFile: string } };
  stop(signal?: string): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const database = await openDatabase(config, logger);
  const sequelize = createSequelize(database.url, {
    poolMax: config.databasePoolMax,
    logger,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
  });
  initModels(sequelize);
  await waitForDatabase(sequelize, logger);

  const lifecycle = new Lifecycle();
  const metrics = config.metrics.enabled ? new AppMetrics({ sequelize, lifecycle }) : undefined;
  const app = createApp({ config, logger, sequelize, lifecycle, metrics });
  const server = http.createServer(app);
  server.keepAliveTimeout = config.shutdown.keepAliveTimeoutMs;
  server.headersTimeout = config.shutdown.headersTimeoutMs;
  server.requestTimeout = config.http.requestTimeoutMs;
  const tracker = new ConnectionTracker(server);

  const url = await listen(server, config.port, config.host);
  logger.info(`listening on ${url}`, { version: config.version });
  // Scrapes on a port of their own keep working through the drain, which the gauge reports.
  const metricsServer =
    metrics && config.metrics.port !== undefined
      ? http.createServer(metricsListener(metrics))
      : undefined;
  const metricsUrl =
    metricsServer && (await listen(metricsServer, config.metrics.port, config.host));
  if (metricsUrl) logger.info(`metrics on ${metricsUrl}/metrics`);

  let stopping: Promise<void> | undefined;
  const stop = (signal = 'stop'): Promise<void> => {
    stopping ??= (async () => {
      logger.info(`shutdown: ${signal} received`);
      await drainServer(server, tracker, lifecycle, config.shutdown, logger);
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      await closeDatabase(sequelize, database.embedded, logger);
      logger.info('shutdown: complete');
    })();
    return stopping;
  };
  const embedded = database.embedded && { logFile: database.embedded.logFile };
  return { server, url, metricsUrl, database: { url: database.url, embedded }, stop };
}

/** Listens and answers the URL to reach the server on this machine. */
async function listen(
  server: http.Server,
  port: number | undefined,
  host: string,
): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function openDatabase(
  config: Config,
  logger: Logger,
): Promise<{ url: string; embedded?: EmbeddedServer }> {
  if (config.databaseUrl) {
    logger.info(`database: ${redactUrl(config.databaseUrl)}`);
    return { url: config.databaseUrl };
  }
  logger.info(
    `database: DATABASE_URL is unset, starting the embedded PostgreSQL on port ${config.embeddedPostgres.port}`,
  );
  const embedded = await startEmbeddedPostgres({ ...config.embeddedPostgres, logger });
  const { applied } = await migrateDatabase({
    databaseUrl: embedded.url,
    phases: ['pre', 'post'],
    logger,
    settings: config.migrations,
  });
  logger.info(`database: embedded PostgreSQL ready, ${applied.length} migration(s) applied`);
  return { url: embedded.url, embedded };
}

/** Readiness, and PM2's `ready` signal, come only once the database answers. */
async function waitForDatabase(
  sequelize: Sequelize,
  logger: Logger,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await sequelize.authenticate();
      return;
    } catch (error) {
      if (Date.now() > until) {
        throw new Error(
          `the database did not answer within ${timeoutMs} ms: ${(error as Error).message}`,
          { cause: error },
        );
      }
      logger.warn(`database not reachable yet (attempt ${attempt}), retrying`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)));
    }
  }
}

async function closeDatabase(
  sequelize: Sequelize,
  embedded: EmbeddedServer | undefined,
  logger: Logger,
) {
  await sequelize
    .close()
    .catch((error: unknown) => logger.warn('closing the pool failed', { error }));
  await embedded
    ?.stop()
    .catch((error: unknown) => logger.warn('stopping embedded PostgreSQL failed', { error }));
}

/** Tells PM2 (`wait_ready`) that this instance listens and reached its database. */
function signalReady(): void {
  process.send?.('ready');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);
  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    // The toolkit's errors are sentences to act on: the message alone, with its code; anything
    // else is a bug, logged with its stack.
    const known = isToolkitError(error);
    logger.error(
      `start-up failed: ${(error as Error).message}`,
      known ? { code: error.code } : { error },
    );
    process.exit(1);
  }
  signalReady();
  if (running.database.embedded && config.logLevel !== 'silent') {
    process.stdout.write(connectionHelp(running.database.url, running.database.embedded.logFile));
  }
  // Ctrl-C reaches the app more than once (from the terminal, and relayed by npm or tsx): the
  // first starts the shutdown, which SHUTDOWN_TIMEOUT_MS bounds; the others change nothing.
  // Exit codes follow the shell's convention: 130 after SIGINT, 0 after a requested stop.
  let shuttingDown = false;
  const shutdown = (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    running.stop(reason).then(
      () => process.exit(exitCode),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT', 130));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  // PM2 on platforms without signals asks for a shutdown by message.
  process.on('message', (message) => {
    if (message === 'shutdown') shutdown('shutdown message', 0);
  });
}

/** The embedded database's password is a local default, not a secret: shown whole. */
function connectionHelp(databaseUrl: string, logFile: string): string {
  const relative = path.relative(process.cwd(), logFile);
  const log = relative.startsWith('..') || path.isAbsolute(relative) ? logFile : relative;
  return [
    '',
    `  Database   ${databaseUrl}   (embedded PostgreSQL, for development only)`,
    `  Connect    psql ${databaseUrl}`,
    `  Its log    ${log}`,
    '',
    '',
  ].join('\n');
}

if (require.main === module) void main();
