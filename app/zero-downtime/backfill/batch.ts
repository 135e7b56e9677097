import type { Queryable } from './catalog';
import { recordBatch } from './checkpoint';
import { BackfillError } from './errors';
import { batchStatement, boundParams, type BackfillTarget, type KeyValues } from './statements';

/**
 * One batch: its own short transaction with `SET LOCAL` timeouts, the keyset update and the
 * checkpoint advance committed together.
 */

export interface BatchRequest {
  name: string;
  target: BackfillTarget;
  lastKey: KeyValues | null;
  upperKey: KeyValues;
  batchSize: number;
  batchesDone: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

export interface BatchOutcome {
  selected: number;
  updated: number;
  lastKey: KeyValues | null;
  durationMs: number;
}

export async function runBatch(db: Queryable, request: BatchRequest): Promise<BatchOutcome> {
  const started = performance.now();
  await db.query('BEGIN');
  try {
    await db.query(
      "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
      [`${request.lockTimeoutMs}ms`, `${request.statementTimeoutMs}ms`],
    );
    const { rows } = await db.query<{ updated: number; selected: number; last_key: string[] }>(
      batchStatement(request.target, request.lastKey !== null),
      [...boundParams(request.lastKey, request.upperKey), request.batchSize],
    );
    const { updated, selected, last_key: lastKey } = rows[0];
    if (selected > 0) await advanceCheckpoint(db, request, { lastKey, rows: updated });
    await db.query('COMMIT');
    return { selected, updated, lastKey, durationMs: performance.now() - started };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function advanceCheckpoint(
  db: Queryable,
  request: BatchRequest,
  done: { lastKey: KeyValues; rows: number },
): Promise<void> {
  const advanced = await recordBatch(db, request.name, request.batchesDone, {
    ...done,
    batchSize: request.batchSize,
  });
  if (!advanced) {
    throw new BackfillError(
      'BACKFILL_ALREADY_RUNNING',
      `backfill "${request.name}" was advanced by another process while this one ran; this ` +
        `batch was rolled back. Run only one process per backfill name.`,
    );
  }
}

const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';
const QUERY_CANCELED = '57014';

export type RetryKind = 'lock' | 'timeout' | 'none';

/** Lock timeouts and deadlocks are retried as they are; a statement timeout with half the keys. */
export function retryKind(error: unknown): RetryKind {
  const code = (error as { code?: string }).code;
  if (code === LOCK_NOT_AVAILABLE || code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE)
    return 'lock';
  if (code === QUERY_CANCELED) return 'timeout';
  return 'none';
}

/** Exponential backoff with full jitter, 100 ms doubling up to 5 s. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(5_000, 100 * 2 ** attempt);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** The next batch size aiming at `targetMs` per batch, changing by at most a factor of 2. */
export function adaptBatchSize(
  size: number,
  durationMs: number,
  targetMs: number,
  bounds: { min: number; max: number },
): number {
  const factor = Math.min(2, Math.max(0.5, targetMs / Math.max(durationMs, 1)));
  return Math.min(bounds.max, Math.max(bounds.min, Math.round(size * factor)));
}
