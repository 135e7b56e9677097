import type { Pool } from 'pg';
import type { Logger } from '../core/logger';
import { BackfillError } from './errors';
import { parseLagThreshold, type LagThreshold } from './lag-threshold';
import type { KeyValues } from './statements';

export interface BackfillOptions {
  /** Names the checkpoint: the same name resumes, a finished name does nothing. */
  name: string;
  /** `table` or `schema.table`, resolved through the search_path like in SQL. */
  table: string;
  /** The SET list of the update: `column = expression[, ...]`. */
  set: string;
  /** Only rows matching this condition are updated. */
  where?: string;
  /** Keys per batch (the start size when `targetBatchMs` adapts it). */
  batchSize?: number;
  /** Sleep between batches. */
  pauseMs?: number;
  /** Wait while any replica lags more than this: `16MB` (WAL bytes) or `5s` (replay_lag). */
  maxLag?: string | LagThreshold;
  /** Adapt the batch size so a batch takes about this long. */
  targetBatchMs?: number;
  /** Print the plan (row estimate, batches, statement) and write nothing. */
  dryRun?: boolean;
  /** Start over a backfill of this name, even a finished one or one with another definition. */
  restart?: boolean;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Retries of a batch that hit the lock timeout, a deadlock or the statement timeout. */
  maxRetries?: number;
  /** How often replica lag is polled while waiting. */
  lagPollMs?: number;
  /** Where to connect: a URL (a pool is opened and closed) or an existing pool. */
  databaseUrl?: string;
  pool?: Pool;
  logger?: Logger;
  onProgress?: (progress: BackfillProgress) => void;
  /** Aborting finishes the batch in flight, records it and returns with status `stopped`. */
  signal?: AbortSignal;
}

export interface BackfillProgress {
  name: string;
  table: string;
  state: 'running' | 'waiting-for-lag';
  rowsDone: number;
  batchesDone: number;
  batchSize: number;
  /** Rows done plus the planner's estimate of the rows left at the start of this run. */
  estimatedTotalRows: number;
  rowsPerSecond: number;
  etaMs: number | null;
  elapsedMs: number;
  lastKey: KeyValues | null;
  /** Set while waiting: which replica, how far behind. */
  lag?: string;
}

export const BACKFILL_DEFAULTS = {
  batchSize: 5_000,
  pauseMs: 0,
  lockTimeoutMs: 1_000,
  statementTimeoutMs: 30_000,
  maxRetries: 10,
  lagPollMs: 500,
  minBatchSize: 50,
  maxBatchSize: 50_000,
} as const;

export interface ResolvedOptions {
  name: string;
  table: string;
  set: string;
  where: string | null;
  batchSize: number;
  pauseMs: number;
  maxLag: LagThreshold | null;
  targetBatchMs: number | null;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  maxRetries: number;
  lagPollMs: number;
}

export function resolveOptions(options: BackfillOptions): ResolvedOptions {
  const text = (value: string | undefined) => value?.trim() || null;
  const name = text(options.name);
  const table = text(options.table);
  const set = text(options.set);
  if (!name) throw badOption('--name is required: it names the checkpoint used to resume.');
  if (!table) throw badOption('--table is required.');
  if (!set) throw badOption('--set is required, e.g. --set "email_lower = lower(email)".');
  const maxLag =
    typeof options.maxLag === 'string' ? parseLagThreshold(options.maxLag) : options.maxLag;
  return {
    name,
    table,
    set,
    where: text(options.where),
    batchSize: whole('--batch-size', options.batchSize ?? BACKFILL_DEFAULTS.batchSize, 1),
    pauseMs: whole('--pause', options.pauseMs ?? BACKFILL_DEFAULTS.pauseMs, 0),
    maxLag: maxLag ?? null,
    targetBatchMs:
      options.targetBatchMs === undefined
        ? null
        : whole('--target-batch-ms', options.targetBatchMs, 1),
    lockTimeoutMs: whole(
      'lockTimeoutMs',
      options.lockTimeoutMs ?? BACKFILL_DEFAULTS.lockTimeoutMs,
      1,
    ),
    statementTimeoutMs: whole(
      'statementTimeoutMs',
      options.statementTimeoutMs ?? BACKFILL_DEFAULTS.statementTimeoutMs,
      1,
    ),
    maxRetries: whole('maxRetries', options.maxRetries ?? BACKFILL_DEFAULTS.maxRetries, 0),
    lagPollMs: whole('lagPollMs', options.lagPollMs ?? BACKFILL_DEFAULTS.lagPollMs, 1),
  };
}

function whole(option: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw badOption(`${option} must be a whole number of at least ${min} (got ${value}).`);
  }
  return value;
}

function badOption(message: string): BackfillError {
  return new BackfillError('BACKFILL_BAD_OPTION', message);
}
