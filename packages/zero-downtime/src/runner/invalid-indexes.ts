import type { Logger } from '../core/logger';
import type { PinnedSession } from './pinned-session';
import type { IndexTarget } from './statement-plan';

/**
 * A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: useless for reads, still
 * maintained on every write, and in the way of the next attempt. The runner drops the ones a
 * non-transactional migration left, before a retry and after a failure.
 */

export async function listInvalidIndexes(session: PinnedSession): Promise<string[]> {
  const rows = await session.internal<{ name: string }>(
    `SELECT i.indexrelid::regclass::text AS name
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid
        AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

async function dropIndex(session: PinnedSession, name: string, logger: Logger): Promise<void> {
  logger.warn(`migrate: dropping INVALID index ${name} left by a failed CREATE INDEX CONCURRENTLY`);
  await session.withTimeouts({ lockTimeoutMs: 0, statementTimeoutMs: 0 }, () =>
    session.internal(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`),
  );
}

/** Drops INVALID indexes that were not there before the attempt. */
export async function dropNewInvalidIndexes(
  session: PinnedSession,
  before: string[],
  logger: Logger,
): Promise<string[]> {
  const left = (await listInvalidIndexes(session)).filter((name) => !before.includes(name));
  for (const name of left) await dropIndex(session, name, logger);
  return left;
}

/** Before CREATE INDEX CONCURRENTLY <name>: an INVALID index of that name is a leftover. */
export async function dropInvalidIndexNamed(
  session: PinnedSession,
  target: IndexTarget,
  logger: Logger,
): Promise<void> {
  const rows = await session.internal<{ name: string }>(
    `SELECT c.oid::regclass::text AS name
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND c.relname = $1
        AND CASE WHEN $2::text IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = $2 END`,
    [target.name, target.schema ?? null],
  );
  for (const row of rows) await dropIndex(session, row.name, logger);
}
