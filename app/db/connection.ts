import { Sequelize } from 'sequelize';
import type { Logger } from '../logger';

export interface ConnectionOptions {
  poolMax?: number;
  logger?: Logger;
  applicationName?: string;
}

/** One Sequelize instance per process; the models are initialised on it by `initModels`. */
export function createSequelize(url: string, options: ConnectionOptions = {}): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: options.logger ? (sql) => options.logger?.debug(sql) : false,
    pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions: {
      application_name: options.applicationName ?? 'app',
      // A request never waits forever on a database that went away.
      connectionTimeoutMillis: 5_000,
      statement_timeout: 15_000,
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
