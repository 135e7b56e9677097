import type { Queryable } from './catalog';
import type { KeyValues } from './statements';

/**
 * The progress of every backfill lives in the database it works on, in `zdm_backfills`. The
 * row of a backfill is updated in the same transaction as each batch, so a batch and its
 * checkpoint commit together or not at all: a kill at any moment loses at most the batch in
 * flight, which rolled back with it.
 */

export const CHECKPOINT_TABLE = 'zdm_backfills';

export type BackfillStatus = 'running' | 'stopped' | 'failed' | 'finished';

export interface BackfillSpec {
  name: string;
  table: string;
  set: string;
  where: string | null;
  keyColumns: string[];
}

export interface Checkpoint extends BackfillSpec {
  lastKey: KeyValues | null;
  upperKey: KeyValues | null;
  rowsDone: number;
  batchesDone: number;
  batchSize: number;
  status: BackfillStatus;
  lastError: string | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (
  name text PRIMARY KEY,
  table_name text NOT NULL,
  set_expression text NOT NULL,
  where_clause text,
  key_columns text[] NOT NULL,
  last_key jsonb,
  upper_key jsonb,
  rows_done bigint NOT NULL DEFAULT 0,
  batches_done integer NOT NULL DEFAULT 0,
  batch_size integer NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'stopped', 'failed', 'finished')),
  last_error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
)`;

export async function ensureCheckpointTable(db: Queryable): Promise<void> {
  await db.query('BEGIN');
  try {
    // Two first backfills at once would race on CREATE TABLE IF NOT EXISTS.
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('${CHECKPOINT_TABLE}'))`);
    await db.query("SELECT set_config('lock_timeout', '5s', true)");
    await db.query(CREATE_TABLE);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

interface CheckpointRow {
  name: string;
  table_name: string;
  set_expression: string;
  where_clause: string | null;
  key_columns: string[];
  last_key: KeyValues | null;
  upper_key: KeyValues | null;
  rows_done: string;
  batches_done: number;
  batch_size: number;
  status: BackfillStatus;
  last_error: string | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export async function loadCheckpoint(db: Queryable, name: string): Promise<Checkpoint | undefined> {
  const exists = await db.query(`SELECT to_regclass('${CHECKPOINT_TABLE}') IS NOT NULL AS found`);
  if (!exists.rows[0].found) return undefined;
  const { rows } = await db.query<CheckpointRow>(
    `SELECT * FROM ${CHECKPOINT_TABLE} WHERE name = $1`,
    [name],
  );
  return rows[0] && fromRow(rows[0]);
}

function fromRow(row: CheckpointRow): Checkpoint {
  return {
    name: row.name,
    table: row.table_name,
    set: row.set_expression,
    where: row.where_clause,
    keyColumns: row.key_columns,
    lastKey: row.last_key,
    upperKey: row.upper_key,
    rowsDone: Number(row.rows_done),
    batchesDone: row.batches_done,
    batchSize: row.batch_size,
    status: row.status,
    lastError: row.last_error,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** Creates the checkpoint of a new backfill, or resets it for `--restart`. */
export async function startCheckpoint(
  db: Queryable,
  spec: BackfillSpec,
  upperKey: KeyValues | null,
  batchSize: number,
): Promise<Checkpoint> {
  const status: BackfillStatus = upperKey ? 'running' : 'finished';
  const { rows } = await db.query<CheckpointRow>(
    `INSERT INTO ${CHECKPOINT_TABLE}
       (name, table_name, set_expression, where_clause, key_columns, upper_key, batch_size,
        status, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 = 'finished' THEN now() END)
     ON CONFLICT (name) DO UPDATE SET
       table_name = EXCLUDED.table_name, set_expression = EXCLUDED.set_expression,
       where_clause = EXCLUDED.where_clause, key_columns = EXCLUDED.key_columns,
       last_key = NULL, upper_key = EXCLUDED.upper_key, rows_done = 0, batches_done = 0,
       batch_size = EXCLUDED.batch_size, status = EXCLUDED.status, last_error = NULL,
       started_at = now(), updated_at = now(), finished_at = EXCLUDED.finished_at
     RETURNING *`,
    [
      spec.name,
      spec.table,
      spec.set,
      spec.where,
      spec.keyColumns,
      upperKey && JSON.stringify(upperKey),
      batchSize,
      status,
    ],
  );
  return fromRow(rows[0]);
}

/**
 * Advances the checkpoint inside the batch's transaction. Returns false when another process
 * advanced it meanwhile: the caller rolls the batch back rather than apply it twice.
 */
export async function recordBatch(
  db: Queryable,
  name: string,
  expectedBatches: number,
  progress: { lastKey: KeyValues; rows: number; batchSize: number },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE ${CHECKPOINT_TABLE}
        SET last_key = $3, rows_done = rows_done + $4, batches_done = batches_done + 1,
            batch_size = $5, status = 'running', last_error = NULL, updated_at = now()
      WHERE name = $1 AND batches_done = $2`,
    [name, expectedBatches, JSON.stringify(progress.lastKey), progress.rows, progress.batchSize],
  );
  return result.rowCount === 1;
}

export async function setStatus(
  db: Queryable,
  name: string,
  status: BackfillStatus,
  error?: string,
): Promise<void> {
  await db.query(
    `UPDATE ${CHECKPOINT_TABLE}
        SET status = $2, last_error = $3, updated_at = now(),
            finished_at = CASE WHEN $2 = 'finished' THEN now() END
      WHERE name = $1`,
    [name, status, error ?? null],
  );
}
