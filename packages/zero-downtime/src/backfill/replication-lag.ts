import type { Queryable } from './catalog';
import { describeLag, formatBytes, type LagThreshold } from './lag-threshold';

/**
 * Replication lag as the primary sees it in `pg_stat_replication`: WAL bytes each standby has
 * not replayed yet (`pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)`), and `replay_lag`.
 * Reading those columns needs superuser or the `pg_monitor` role; without it they are NULL.
 */

export interface ReplicaLag {
  replica: string;
  bytes: number | null;
  ms: number | null;
}

export async function measureReplicaLag(db: Queryable): Promise<ReplicaLag[]> {
  const { rows } = await db.query<{ replica: string; bytes: string | null; ms: number | null }>(
    `SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text) AS replica,
            pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS bytes,
            (extract(epoch FROM replay_lag) * 1000)::float8 AS ms
       FROM pg_stat_replication`,
  );
  return rows.map((row) => ({
    replica: row.replica,
    bytes: row.bytes === null ? null : Number(row.bytes),
    ms: row.ms,
  }));
}

/** The replica furthest behind the threshold, or undefined when every replica is within it. */
export function laggingReplica(
  lags: ReplicaLag[],
  threshold: LagThreshold,
): ReplicaLag | undefined {
  const amount = (lag: ReplicaLag) => (threshold.kind === 'bytes' ? lag.bytes : lag.ms) ?? 0;
  const limit = threshold.kind === 'bytes' ? threshold.bytes : threshold.ms;
  const over = lags.filter((lag) => amount(lag) > limit);
  return over.sort((a, b) => amount(b) - amount(a))[0];
}

/** Replicas whose lag the current role cannot read, so throttling would silently not work. */
export function unreadableReplicas(lags: ReplicaLag[], threshold: LagThreshold): string[] {
  return threshold.kind === 'bytes'
    ? lags.filter((lag) => lag.bytes === null).map((lag) => lag.replica)
    : [];
}

export function describeReplicaLag(lag: ReplicaLag, threshold: LagThreshold): string {
  const amount =
    threshold.kind === 'bytes' ? formatBytes(lag.bytes ?? 0) : `${Math.round(lag.ms ?? 0)} ms`;
  return `replica ${lag.replica} is ${amount} behind (limit ${describeLag(threshold)})`;
}
