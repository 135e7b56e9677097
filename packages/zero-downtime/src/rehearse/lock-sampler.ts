import { Client } from 'pg';

/**
 * Samples, every ~200 ms, the sessions of the rehearsal's database that wait for a lock:
 * `pg_locks` entries not granted, and `pg_stat_activity` rows whose wait_event_type is 'Lock'.
 * A lock wait is what a migration does to live traffic (or what live traffic does to a
 * migration), so the report shows every one seen, with who blocked whom.
 */
export interface LockWaiter {
  pid: number;
  /** The application_name of the waiting session (`zdm-migrate` for the runner). */
  application: string;
  /** Lock type and mode waited for, e.g. `relation AccessExclusiveLock`. */
  lock: string;
  relation: string | null;
  /** How long it had been waiting when sampled. */
  waitedMs: number;
  /** The sessions holding (or queued ahead for) the lock, from pg_blocking_pids. */
  blockedBy: { pid: number; application: string }[];
  query: string;
}

export interface LockSample {
  at: number;
  waiters: LockWaiter[];
}

export interface LockSampler {
  readonly samples: LockSample[];
  /** Resolves with the samples, and why sampling stopped early if it did. */
  stop(): Promise<{ samples: LockSample[]; error?: string }>;
}

const SAMPLE_SQL = `
SELECT a.pid,
       coalesce(a.application_name, '') AS application,
       coalesce(l.locktype || ' ' || l.mode, a.wait_event_type || ' ' || a.wait_event) AS lock,
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation,
       round(extract(epoch FROM (clock_timestamp()
             - coalesce(l.waitstart, a.state_change, a.query_start))) * 1000)::bigint AS waited_ms,
       (SELECT coalesce(json_agg(json_build_object('pid', b.pid,
                                                   'application', b.application_name)), '[]')
          FROM pg_stat_activity b
         WHERE b.pid = ANY (pg_blocking_pids(a.pid))) AS blocked_by,
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200) AS query
  FROM pg_stat_activity a
  LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
 WHERE a.datname = current_database()
   AND a.pid <> pg_backend_pid()
   AND (NOT coalesce(l.granted, true) OR a.wait_event_type = 'Lock')`;

interface SampleRow {
  pid: number;
  application: string;
  lock: string;
  relation: string | null;
  waited_ms: string;
  blocked_by: { pid: number; application: string }[];
  query: string;
}

export function startLockSampler(databaseUrl: string, everyMs = 200): LockSampler {
  const samples: LockSample[] = [];
  let running = true;
  let error: string | undefined;
  const loop = (async () => {
    const client = new Client({
      connectionString: databaseUrl,
      application_name: 'zdm-rehearsal-locks',
    });
    // A broken connection must surface as a failed query, never as an unhandled 'error' event.
    client.on('error', () => undefined);
    await client.connect();
    try {
      while (running) {
        const started = Date.now();
        const { rows } = await client.query<SampleRow>(SAMPLE_SQL);
        samples.push({ at: started, waiters: rows.map(toWaiter) });
        await sleep(Math.max(0, everyMs - (Date.now() - started)));
      }
    } finally {
      await client.end();
    }
  })().catch((failure: unknown) => {
    error = `lock sampling stopped: ${(failure as Error).message}`;
  });
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
      return { samples, ...(error ? { error } : {}) };
    },
  };
}

function toWaiter(row: SampleRow): LockWaiter {
  return {
    pid: row.pid,
    application: row.application,
    lock: row.lock,
    relation: row.relation,
    waitedMs: Number(row.waited_ms),
    blockedBy: row.blocked_by,
    query: row.query,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
