import type { Queryable } from './catalog';
import {
  batchEndStatement,
  batchUpdateStatement,
  boundParams,
  remainingRowsQuery,
  type BackfillTarget,
  type KeyValues,
} from './statements';

/** What a `--dry-run` prints: how much is left, in how many batches, with which statement. */
export interface BackfillPlan {
  table: string;
  keyColumns: string[];
  /** Resume point: the last key of the last finished batch (null: from the start). */
  lastKey: KeyValues | null;
  /** The fixed upper bound (null: the table is empty). */
  upperKey: KeyValues | null;
  resumeFromBatch: number;
  estimatedRows: number;
  /** Exact count of the rows left, or null when counting exceeded the statement timeout. */
  countedRows: number | null;
  batchSize: number;
  batches: number;
  statement: string;
}

/** Below this planner estimate, counting exactly is cheap enough to do for a better ETA. */
const COUNT_BELOW_ROWS = 2_000_000;

/** Rows left: counted when few (and quick), else the planner's estimate. */
export async function estimateRemainingRows(
  db: Queryable,
  target: BackfillTarget,
  lastKey: KeyValues | null,
  upperKey: KeyValues | null,
): Promise<number> {
  if (!upperKey) return 0;
  const estimate = await plannerEstimate(db, target, lastKey, upperKey);
  if (estimate >= COUNT_BELOW_ROWS) return estimate;
  const bounds = { lastKey, upperKey, statementTimeoutMs: 2_000 };
  return (await countRemainingRows(db, target, bounds)) ?? estimate;
}

async function plannerEstimate(
  db: Queryable,
  target: BackfillTarget,
  lastKey: KeyValues | null,
  upperKey: KeyValues,
): Promise<number> {
  const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `EXPLAIN (FORMAT JSON) ${remainingRowsQuery(target, lastKey !== null)}`,
    boundParams(lastKey, upperKey),
  );
  return Math.round(rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
}

async function countRemainingRows(
  db: Queryable,
  target: BackfillTarget,
  bounds: { lastKey: KeyValues | null; upperKey: KeyValues; statementTimeoutMs: number },
): Promise<number | null> {
  await db.query('BEGIN READ ONLY');
  try {
    await db.query("SELECT set_config('statement_timeout', $1, true)", [
      `${bounds.statementTimeoutMs}ms`,
    ]);
    const { rows } = await db.query<{ count: string }>(
      `SELECT count(*) FROM (${remainingRowsQuery(target, bounds.lastKey !== null)}) AS remaining`,
      boundParams(bounds.lastKey, bounds.upperKey),
    );
    return Number(rows[0].count);
  } catch (error) {
    if ((error as { code?: string }).code === '57014') return null;
    throw error;
  } finally {
    await db.query('ROLLBACK');
  }
}

export async function buildPlan(
  db: Queryable,
  target: BackfillTarget,
  settings: {
    lastKey: KeyValues | null;
    upperKey: KeyValues | null;
    batchSize: number;
    statementTimeoutMs: number;
  },
): Promise<BackfillPlan> {
  const { lastKey, upperKey, batchSize } = settings;
  const estimatedRows = upperKey ? await plannerEstimate(db, target, lastKey, upperKey) : 0;
  const countedRows = upperKey
    ? await countRemainingRows(db, target, { ...settings, upperKey })
    : 0;
  return {
    table: target.table.display,
    keyColumns: target.keys.map((key) => key.name),
    lastKey,
    upperKey,
    resumeFromBatch: 0,
    estimatedRows,
    countedRows,
    batchSize,
    batches: Math.ceil((countedRows ?? estimatedRows) / batchSize),
    statement: `${batchEndStatement(target, lastKey !== null)};\n${batchUpdateStatement(target, lastKey !== null)};`,
  };
}

/** The plan as the command line prints it. */
export function formatPlan(plan: BackfillPlan): string {
  const key = (values: KeyValues | null) => (values ? `(${values.join(', ')})` : '-');
  const rows = plan.countedRows ?? plan.estimatedRows;
  return [
    `table:          ${plan.table} by (${plan.keyColumns.join(', ')})`,
    `key range:      after ${key(plan.lastKey)} up to ${key(plan.upperKey)} (fixed at start)`,
    `resumes at:     batch ${plan.resumeFromBatch + 1}`,
    `rows to update: ${rows}${plan.countedRows === null ? ' (planner estimate; counting timed out)' : ''} (planner estimate ${plan.estimatedRows})`,
    `batches:        ${plan.batches} of ${plan.batchSize} keys`,
    `each batch runs, in its own transaction with the checkpoint update:`,
    plan.statement.replace(/^/gm, '  '),
    'dry run: nothing was written.',
  ].join('\n');
}
