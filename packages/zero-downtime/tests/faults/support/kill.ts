import { adminQuery } from './postgres';
import type { ScriptProcess } from '../../../src/testing';

/**
 * SIGKILL a command at a chosen moment, and model the machine running it dying: its database
 * sessions end too (PostgreSQL would otherwise keep a killed client's statement running until
 * it next talks to the socket). Test sessions name themselves `fault-*` and are spared.
 */
export async function killWhen(
  proc: ScriptProcess,
  what: string,
  landed: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await landed())) {
    if (!proc.running()) {
      throw new Error(
        `the command ended before ${what} (exit ${await proc.exited}):\n${proc.output()}`,
      );
    }
    if (Date.now() > until) {
      proc.signal('SIGKILL');
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}:\n${proc.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  proc.signal('SIGKILL');
  await proc.exited;
}

/** Ends every session of the database except the test's own (`fault-*`). */
export async function endOrphanSessions(url: string): Promise<number> {
  const rows = await adminQuery<{ ended: boolean }>(
    url,
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND application_name NOT LIKE 'fault-%' AND backend_type = 'client backend'`,
  );
  return rows.length;
}

/** Whether a session of this database waits for a lock (a relation's, or a transaction's). */
export async function someoneWaitsOnLock(url: string, relation?: string): Promise<boolean> {
  const rows = await adminQuery<{ waiting: boolean }>(
    url,
    `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND a.datname = current_database()
          AND ($1::text IS NULL OR l.relation = to_regclass($1))) AS waiting`,
    [relation ?? null],
  );
  return rows[0].waiting;
}

export async function scalar<T>(url: string, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await adminQuery(url, sql, params);
  return Object.values(rows[0] ?? { value: undefined })[0] as T;
}
