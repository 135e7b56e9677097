import { Client } from 'pg';

/** Small PostgreSQL helpers of the fault scenarios; every client is closed on every path. */

export async function adminQuery<T extends object = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url, application_name: 'fault-test' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A session holding an ACCESS EXCLUSIVE lock on `table` in an open transaction, so the app's
 * queries on it queue up and are still in flight when the fault hits. The session may die
 * with the server: its errors are expected and swallowed.
 */
export async function lockTable(url: string, table: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: 'fault-locker' });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** Process ids of the app's sessions (application_name `app`) waiting for a lock. */
export async function appSessionsWaitingOnLock(url: string): Promise<number[]> {
  const rows = await adminQuery<{ pid: number }>(
    url,
    `SELECT pid FROM pg_stat_activity
      WHERE application_name = 'app' AND wait_event_type = 'Lock' ORDER BY pid`,
  );
  return rows.map((row) => row.pid);
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
