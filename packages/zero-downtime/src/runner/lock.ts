import os from 'node:os';
import { Client } from 'pg';
import type { Logger } from '../core/logger';

/**
 * One runner at a time, per database: a session-level advisory lock held on a dedicated
 * connection for the whole run. A runner killed with SIGKILL loses its connection, and the
 * lock goes with it.
 */

// Two 32-bit keys: 'zdm' and a lock number. pg_locks shows them as classid / objid.
export const RUNNER_LOCK_KEY = { classId: 0x7a646d, objectId: 1 } as const;
const LOCK_CLASS = RUNNER_LOCK_KEY.classId;
const LOCK_ID = RUNNER_LOCK_KEY.objectId;
const POLL_MS = 250;
const REPORT_EVERY_MS = 10_000;

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddress: string | null;
  user: string;
  connectedAt: Date;
  state: string | null;
}

export function runnerApplicationName(): string {
  return `zdm-migrate ${os.hostname()} pid ${process.pid}`.slice(0, 63);
}

export async function openRunnerConnection(databaseUrl: string): Promise<Client> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: runnerApplicationName(),
    connectionTimeoutMillis: 10_000,
  });
  // A broken connection must surface as a failed query, never as an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function tryLock(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1, $2) AS locked',
    [LOCK_CLASS, LOCK_ID],
  );
  return rows[0].locked;
}

export async function findLockHolder(client: Client): Promise<LockHolder | undefined> {
  const { rows } = await client.query(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.usename,
            a.backend_start, a.state
       FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
    [LOCK_CLASS, LOCK_ID],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    pid: row.pid,
    applicationName: row.application_name,
    clientAddress: row.client_addr,
    user: row.usename,
    connectedAt: row.backend_start,
    state: row.state,
  };
}

export function describeLockHolder(holder: LockHolder): string {
  const from = holder.clientAddress ?? 'a local socket';
  return (
    `session pid ${holder.pid} (application "${holder.applicationName}", user ${holder.user}, ` +
    `from ${from}, connected since ${holder.connectedAt.toISOString()})`
  );
}

/** Waits as long as it takes, telling who holds the lock now and then. */
export async function acquireRunnerLock(client: Client, logger: Logger): Promise<void> {
  if (await tryLock(client)) return;
  let lastReport = 0;
  let lastHolder: number | undefined;
  for (;;) {
    const holder = await findLockHolder(client);
    const now = Date.now();
    if (holder && (holder.pid !== lastHolder || now - lastReport >= REPORT_EVERY_MS)) {
      logger.info(
        `migrate: another runner holds the migration lock: ${describeLockHolder(holder)}; waiting`,
      );
      lastHolder = holder.pid;
      lastReport = now;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (await tryLock(client)) {
      logger.info('migrate: migration lock acquired');
      return;
    }
  }
}

export async function releaseRunnerLock(client: Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCK_ID]);
}
