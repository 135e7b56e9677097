import type { Client } from 'pg';

/**
 * Who blocks a migration. Once a lock wait times out, the blocker is no longer visible through
 * the migration's own session, so a monitor connection polls `pg_blocking_pids` while the
 * migration runs and remembers every session it saw blocking it.
 */
export interface BlockingSession {
  pid: number;
  state: string | null;
  applicationName: string;
  clientAddress: string | null;
  /** How long its transaction (or else its query) had been running when last seen. */
  runningMs: number;
  query: string;
}

const POLL_MS = 100;

export class BlockerMonitor {
  private watched: number | undefined;
  private seen = new Map<number, BlockingSession>();
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly client: Client) {}

  /** Starts remembering the sessions that block `pid`. */
  watch(pid: number): void {
    this.watched = pid;
    this.seen = new Map();
    this.loop = this.poll(pid);
  }

  /** Stops watching and returns every session that blocked the watched one, longest first. */
  async stop(): Promise<BlockingSession[]> {
    this.watched = undefined;
    await this.loop;
    return [...this.seen.values()].sort((a, b) => b.runningMs - a.runningMs);
  }

  private async poll(pid: number): Promise<void> {
    while (this.watched === pid) {
      try {
        for (const session of await this.blockersOf(pid)) this.seen.set(session.pid, session);
      } catch {
        // A failed poll loses one sample; the migration itself must not fail because of it.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async blockersOf(pid: number): Promise<BlockingSession[]> {
    const { rows } = await this.client.query(
      `SELECT pid, state, application_name, host(client_addr) AS client_addr,
              (extract(epoch FROM now() - coalesce(xact_start, query_start)) * 1000)::bigint
                AS running_ms,
              left(query, 300) AS query
         FROM pg_stat_activity
        WHERE pid = ANY (pg_blocking_pids($1))`,
      [pid],
    );
    return rows.map((row) => ({
      pid: row.pid,
      state: row.state,
      applicationName: row.application_name,
      clientAddress: row.client_addr,
      runningMs: Number(row.running_ms ?? 0),
      query: row.query ?? '',
    }));
  }
}

export function describeBlocker(session: BlockingSession): string {
  const seconds = (session.runningMs / 1000).toFixed(1);
  const app = session.applicationName ? `application "${session.applicationName}", ` : '';
  const from = session.clientAddress ? `from ${session.clientAddress}, ` : '';
  const query = session.query.replace(/\s+/g, ' ').trim();
  return (
    `pid ${session.pid} (${app}${from}${session.state ?? 'unknown state'} for ${seconds} s` +
    `${query ? `, last query: ${query.slice(0, 120)}` : ''})`
  );
}
