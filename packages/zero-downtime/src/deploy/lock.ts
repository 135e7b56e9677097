import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { redactUrl } from '../core/url';
import { DeployError } from './errors';
import type { Reporter } from './reporter';

/**
 * One deploy at a time. Two locks, taken in this order and held until the deploy ends:
 * - a lock file `<root>/deploy.lock` holding the pid: one deploy per deploy root (releases,
 *   `current`, PM2) on this machine, whatever the database;
 * - a PostgreSQL advisory lock on the deploy's database (when DATABASE_URL is set): one deploy
 *   per database, across machines (two CI runners deploying to the same hosts).
 * A second deploy refuses at once, or waits up to `waitMs` when asked to.
 */

// 'zdm' and a lock number; the migration runner uses number 1 on the same database.
const LOCK_CLASS = 0x7a646d;
const LOCK_ID = 2;
const POLL_MS = 500;
export const LOCK_FILE = 'deploy.lock';

export interface DeployLock {
  release(): Promise<void>;
}

export interface LockOptions {
  root: string;
  databaseUrl?: string;
  waitMs: number;
  reporter: Reporter;
  /** What is deploying, written into the lock for whoever finds it taken. */
  description: string;
}

interface LockFileContent {
  pid: number;
  host: string;
  startedAt: string;
  description: string;
}

export async function acquireDeployLock(options: LockOptions): Promise<DeployLock> {
  const until = Date.now() + options.waitMs;
  const releaseFile = await acquireLockFile(options, until);
  try {
    const releaseDatabase = options.databaseUrl
      ? await acquireDatabaseLock(options.databaseUrl, options, until)
      : async () => undefined;
    return {
      release: async () => {
        await releaseDatabase();
        releaseFile();
      },
    };
  } catch (error) {
    releaseFile();
    throw error;
  }
}

async function acquireLockFile(options: LockOptions, until: number): Promise<() => void> {
  fs.mkdirSync(options.root, { recursive: true });
  const file = path.join(options.root, LOCK_FILE);
  const content: LockFileContent = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    description: options.description,
  };
  let reported = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(content)}\n`, { flag: 'wx' });
      return () => removeIfOurs(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockFile(file);
    if (holder && holder.host === os.hostname() && !isAlive(holder.pid)) {
      options.reporter.warn(
        `removing the lock left by deploy pid ${holder.pid}, which is no longer running`,
      );
      fs.rmSync(file, { force: true });
      continue;
    }
    const who = holder
      ? `deploy pid ${holder.pid} on ${holder.host} (${holder.description}, started ${holder.startedAt})`
      : 'a deploy';
    if (Date.now() >= until) {
      throw new DeployError(
        'DEPLOY_LOCKED',
        `another deploy is running: ${who} holds ${file}. Let it finish (or pass --lock-wait MS ` +
          `to wait for it); if that process is gone for good, delete ${file}.`,
      );
    }
    if (!reported) options.reporter.info(`waiting for ${who} to finish`);
    reported = true;
    await sleep(POLL_MS);
  }
}

async function acquireDatabaseLock(
  databaseUrl: string,
  options: LockOptions,
  until: number,
): Promise<() => Promise<void>> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: `zdm-deploy ${os.hostname()} pid ${process.pid}`.slice(0, 63),
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new DeployError(
      'DATABASE_UNREACHABLE',
      `cannot reach ${redactUrl(databaseUrl)} to take the deploy lock: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let reported = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, $2) AS locked',
      [LOCK_CLASS, LOCK_ID],
    );
    if (rows[0].locked) {
      return async () => {
        await client
          .query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCK_ID])
          .catch(() => undefined);
        await client.end().catch(() => undefined);
      };
    }
    const holder = await describeDatabaseHolder(client);
    if (Date.now() >= until) {
      await client.end().catch(() => undefined);
      throw new DeployError(
        'DEPLOY_LOCKED',
        `another deploy holds the deploy lock of ${redactUrl(databaseUrl)}: ${holder}. Let it ` +
          'finish (or pass --lock-wait MS to wait for it).',
      );
    }
    if (!reported) options.reporter.info(`waiting for the deploy lock held by ${holder}`);
    reported = true;
    await sleep(POLL_MS);
  }
}

async function describeDatabaseHolder(client: Client): Promise<string> {
  const { rows } = await client.query<{
    pid: number;
    application_name: string;
    backend_start: Date;
  }>(
    `SELECT a.pid, a.application_name, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [LOCK_CLASS, LOCK_ID],
  );
  const row = rows[0];
  if (!row) return 'a session that just ended';
  return `"${row.application_name}" (database session ${row.pid}, connected ${row.backend_start.toISOString()})`;
}

function readLockFile(file: string): LockFileContent | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockFileContent;
  } catch {
    return undefined;
  }
}

function removeIfOurs(file: string): void {
  if (readLockFile(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
