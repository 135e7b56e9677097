import type { ClientBase, Pool } from 'pg';
import type { Sequelize } from 'sequelize';
import { PatternError } from './errors';

import type { Phase } from '../core/phase';

export type { Phase };

/**
 * What a pattern helper needs from the migration runner: one pinned connection (so `SET`s and
 * the runner's lock/statement timeouts apply to every statement), the phase, and whether the
 * migration runs inside a transaction. The runner's `MigrationContext` satisfies it.
 */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  phase: Phase;
  inTransaction: boolean;
  /** Runs `work` with statement_timeout lifted (CREATE INDEX CONCURRENTLY, VALIDATE, backfills). */
  withoutStatementTimeout?<T>(work: () => Promise<T>): Promise<T>;
  log?(message: string): void;
  /** A `pg` client on the same session, for work that runs its own transactions (backfills). */
  withClient?<T>(work: (client: ClientBase) => Promise<T>): Promise<T>;
  /** The runner's pinned Sequelize (one connection), lent as a client when withClient is absent. */
  sequelize?: Sequelize;
}

export interface ClientExecutorOptions {
  phase: Phase;
  inTransaction?: boolean;
  log?(message: string): void;
}

/**
 * An executor over a plain `pg` client, for scripts and tests that run a helper outside the
 * migration runner. The caller owns the client and its session settings.
 */
export function clientExecutor(client: ClientBase, options: ClientExecutorOptions): SqlExecutor {
  return {
    phase: options.phase,
    inTransaction: options.inTransaction ?? false,
    log: options.log,
    async query(sql, params) {
      const result = await client.query(sql, params as unknown[] | undefined);
      return result.rows as Record<string, unknown>[];
    },
    withClient: (work) => work(client),
    async withoutStatementTimeout(work) {
      const [row] = (await client.query('SHOW statement_timeout')).rows as Array<{
        statement_timeout: string;
      }>;
      await client.query('SET statement_timeout = 0');
      try {
        return await work();
      } finally {
        await client.query(`SELECT set_config('statement_timeout', $1, false)`, [
          row.statement_timeout,
        ]);
      }
    },
  };
}

/**
 * Lends the executor's own connection as a `pg` client: backfill batches then run on the
 * migration's session, with its settings, and are not mistaken for the migration's DDL.
 */
export async function withSessionClient<T>(
  db: SqlExecutor,
  work: (client: ClientBase) => Promise<T>,
): Promise<T> {
  if (db.withClient) return db.withClient(work);
  if (!db.sequelize) {
    throw new PatternError(
      'no-session-client',
      'This helper backfills in batches and needs the migration context (ctx) itself, or an ' +
        'executor with withClient.',
    );
  }
  const manager = db.sequelize.connectionManager;
  const connection = await manager.getConnection({ type: 'write' });
  try {
    return await work(connection as ClientBase);
  } finally {
    manager.releaseConnection(connection);
  }
}

export function withoutStatementTimeout<T>(db: SqlExecutor, work: () => Promise<T>): Promise<T> {
  return db.withoutStatementTimeout ? db.withoutStatementTimeout(work) : work();
}

/**
 * Runs statements atomically: inside the migration's own transaction when it has one, else in
 * a transaction opened here (the pinned connection is otherwise in autocommit).
 */
export async function inOneTransaction(db: SqlExecutor, statements: string[]): Promise<void> {
  if (db.inTransaction) {
    for (const sql of statements) await db.query(sql);
    return;
  }
  await db.query('BEGIN');
  try {
    for (const sql of statements) await db.query(sql);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export function note(db: SqlExecutor, message: string): void {
  db.log?.(message);
}

/**
 * The backfill and compare modules take a pool; this one lends a single client and never
 * closes it, so their work runs on the caller's own session.
 */
export function lendAsPool(client: ClientBase): Pool {
  const lent = { query: client.query.bind(client), release: () => undefined };
  return { connect: async () => lent } as unknown as Pool;
}
