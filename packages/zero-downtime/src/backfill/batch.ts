import type { Queryable } from './catalog';
import { recordBatch } from './checkpoint';
import { BackfillError } from './errors';
import {
  batchEndStatement,
  batchUpdateStatement,
  boundParams,
  type BackfillTarget,
  type KeyValues,
} from './statements';

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
  updated: number;
  /** The batch's end key, now the checkpoint's last key. */
  lastKey: KeyValues;
  /** Whether this batch reached the upper bound: nothing is left after it. */
  final: boolean;
  /** Whether the batch was recorded (an empty last batch is not). */
  recorded: boolean;
  durationMs: number;
}

export async function runBatch(db: Queryable, request: BatchRequest): Promise<BatchOutcome> {
  const started = performance.now();
  const { target, lastKey, upperKey } = request;
  // Whole numbers validated by the options: safe to inline, and it saves a round trip.
  // synchronous_commit off: the batch and its checkpoint commit in one transaction, so a crash
  // that loses the last commits loses both together and the resume redoes exactly those
  // batches; meanwhile no batch waits for its own WAL flush, which the live traffic needs.
  await db.query(
    `BEGIN; SET LOCAL lock_timeout = '${request.lockTimeoutMs}ms'; ` +
      `SET LOCAL statement_timeout = '${request.statementTimeoutMs}ms'; ` +
      'SET LOCAL synchronous_commit = off',
  );
  try {
    const end = await db.query<{ key: KeyValues }>(batchEndStatement(target, lastKey !== null), [
      ...boundParams(lastKey, upperKey),
      request.batchSize - 1,
    ]);
    const final = end.rows.length === 0;
    const batchEnd = end.rows[0]?.key ?? upperKey;
    const empty = final && lastKey !== null && sameKey(lastKey, upperKey);
    const updated = empty
      ? 0
      : ((
          await db.query(
            batchUpdateStatement(target, lastKey !== null),
            boundParams(lastKey, batchEnd),
          )
        ).rowCount ?? 0);
    const recorded = !final || updated > 0;
    if (recorded) await advanceCheckpoint(db, request, { lastKey: batchEnd, rows: updated });
    await db.query('COMMIT');
    return { updated, lastKey: batchEnd, final, recorded, durationMs: performance.now() - started };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function sameKey(a: KeyValues, b: KeyValues): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
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
