import { QueryTypes, type QueryInterface, type Sequelize } from 'sequelize';
import type { Logger } from '../core/logger';
import { createMigrationHelpers, type HelpersFactory, type MigrationHelpers } from './helpers';
import type { PinnedSession } from './pinned-session';
import type { Phase, RunnerSettings } from './settings';

/**
 * What a `.ts` migration receives. Everything on it talks to the migration's one pinned
 * connection, inside the runner's transaction unless the migration exports
 * `transaction = false`, and under the runner's lock and statement timeouts.
 */
export interface MigrationContext {
  name: string;
  phase: Phase;
  /** False when the migration exported `transaction = false` (e.g. for CONCURRENTLY). */
  inTransaction: boolean;
  /** Pinned to the migration's connection. Do not call `sequelize.transaction()`. */
  sequelize: Sequelize;
  queryInterface: QueryInterface;
  /** Runs one statement; `params` bind to $1, $2, ... Returns the rows (none for DDL). */
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** For long statements that do not block traffic (backfill chunks, scans). */
  withoutStatementTimeout<T>(work: () => Promise<T>): Promise<T>;
  log(message: string): void;
  logger: Logger;
  settings: RunnerSettings;
  /** The toolkit's expand/contract helpers, bound to this context. */
  helpers: MigrationHelpers;
}

/** The shape of a `.ts` migration module. */
export interface Migration {
  up(context: MigrationContext): Promise<unknown>;
  down?(context: MigrationContext): Promise<unknown>;
  /** `false` runs the migration outside a transaction, statement by statement. */
  transaction?: boolean;
}

export interface ContextOptions {
  name: string;
  phase: Phase;
  logger: Logger;
  settings: RunnerSettings;
  helpers?: HelpersFactory;
}

export function createMigrationContext(
  session: PinnedSession,
  options: ContextOptions,
): MigrationContext {
  const { sequelize } = session;
  const base: Omit<MigrationContext, 'helpers'> = {
    name: options.name,
    phase: options.phase,
    inTransaction: session.inTransaction,
    sequelize,
    queryInterface: sequelize.getQueryInterface(),
    query: async <T extends object>(sql: string, params?: unknown[]) =>
      (await sequelize.query(sql, {
        bind: params,
        type: QueryTypes.SELECT,
        raw: true,
      })) as T[],
    withoutStatementTimeout: (work) => session.withTimeouts({ statementTimeoutMs: 0 }, work),
    log: (message) => options.logger.info(`migrate: ${options.name}: ${message}`),
    logger: options.logger,
    settings: options.settings,
  };
  return { ...base, helpers: (options.helpers ?? createMigrationHelpers)(base) };
}
