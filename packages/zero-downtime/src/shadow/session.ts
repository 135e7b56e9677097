import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientBase } from 'pg';
import { ShadowError } from './errors';

/** What every step runs with: one session (a script's client or a migration's) and a log sink. */
export interface ShadowSession {
  client: ClientBase;
  log(message: string): void;
}

export interface LockRetryOptions {
  /** lock_timeout of each attempt: short, so waiting never queues the application behind it. */
  lockTimeoutMs?: number;
  retries?: number;
  /** The table whose lock holders are named when every attempt timed out. */
  table: string;
  what: string;
}

const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK = '40P01';

export async function inTransaction<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * One short transaction under a small lock_timeout, retried with exponential backoff and
 * jitter when a lock is busy; on exhaustion the error names the sessions in the way.
 */
export async function withLockRetries<T>(
  session: ShadowSession,
  options: LockRetryOptions,
  work: () => Promise<T>,
): Promise<T> {
  const retries = options.retries ?? 10;
  const lockTimeoutMs = options.lockTimeoutMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(session.client, async () => {
        await session.client.query(`SELECT set_config('lock_timeout', $1, true)`, [
          `${lockTimeoutMs}ms`,
        ]);
        return work();
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== LOCK_NOT_AVAILABLE && code !== DEADLOCK) throw error;
      if (attempt >= retries) throw await lockExhausted(session, options, attempt);
      const delay = Math.min(10_000, 100 * 2 ** attempt) * (0.5 + Math.random());
      session.log(
        `${options.what}: waited ${lockTimeoutMs} ms for a lock; retry ${attempt + 1}/${retries} in ${Math.round(delay)} ms`,
      );
      await sleep(delay);
    }
  }
}

async function lockExhausted(session: ShadowSession, options: LockRetryOptions, attempts: number) {
  const { rows } = await session.client.query(
    `SELECT DISTINCT a.pid, a.state, left(a.query, 120) AS query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.relation = to_regclass($1) AND l.granted AND a.pid <> pg_backend_pid()`,
    [options.table],
  );
  const holders = rows.map((row) => `pid ${row.pid} (${row.state}): ${row.query}`).join('; ');
  return new ShadowError(
    'lock-timeout',
    `${options.what} could not get its locks on ${options.table} after ${attempts + 1} attempts` +
      (holders ? `; held by ${holders}` : '') +
      '. Nothing was changed; run the same command again at a quieter moment, or raise --retries.',
  );
}
