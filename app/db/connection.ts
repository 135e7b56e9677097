import { Sequelize } from 'sequelize';
import type { Logger } from '../logger';

export interface ConnectionOptions {
  poolMax?: number;
  logger?: Logger;
  applicationName?: string;
  /** PostgreSQL `statement_timeout` of every query (DATABASE_STATEMENT_TIMEOUT_MS); 0: none. */
  statementTimeoutMs?: number;
}

/** One Sequelize instance per process; the models are initialised on it by `initModels`. */
export function createSequelize(url: string, options: ConnectionOptions = {}): Sequelize {
  const { logger } = options;
  return new Sequelize(url, {
    dialect: 'postgres',
    // Sequelize builds a log line per query: only when it would be written.
    logging: logger?.isLevelEnabled('debug') ? (sql) => logger.debug(sql) : false,
    pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions: {
      application_name: options.applicationName ?? 'app',
      // A request never waits forever on a database that went away.
      connectionTimeoutMillis: 5_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
    },
  });
}

/** Whether the database answers a trivial query within `timeoutMs`. */
export async function isDatabaseReachable(
  sequelize: Sequelize,
  timeoutMs = 2_000,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = sequelize
    .query('SELECT 1')
    .then(() => true)
    .catch(() => false);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
