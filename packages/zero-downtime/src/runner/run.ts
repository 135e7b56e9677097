import type { Client } from 'pg';
import type { Logger } from '../core/logger';
import { BlockerMonitor } from './blockers';
import { acquireRunnerLock, openRunnerConnection, releaseRunnerLock } from './lock';
import { ensureMigrationsTable } from './storage';

/** A runner holding the migration lock; its connection also serves the blocker monitor. */
export interface LockedRun {
  client: Client;
  monitor: BlockerMonitor;
  serverVersion: string;
}

export async function withRunnerLock<T>(
  databaseUrl: string,
  logger: Logger,
  work: (run: LockedRun) => Promise<T>,
): Promise<T> {
  const client = await openRunnerConnection(databaseUrl);
  try {
    await acquireRunnerLock(client, logger);
    await ensureMigrationsTable(client);
    const { rows } = await client.query<{ version: string }>(
      "SELECT split_part(current_setting('server_version'), ' ', 1) AS version",
    );
    const run: LockedRun = {
      client,
      monitor: new BlockerMonitor(client),
      serverVersion: semver(rows[0].version),
    };
    try {
      return await work(run);
    } finally {
      await run.monitor.stop();
      await releaseRunnerLock(client).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Sequelize wants x.y.z; PostgreSQL says 15.4 or 17beta1. */
function semver(version: string): string {
  const [major = '0', minor = '0'] = version.match(/\d+/g) ?? [];
  return `${major}.${minor}.0`;
}
