import type { ClientBase } from 'pg';

export type Phase = 'pre' | 'post';

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
