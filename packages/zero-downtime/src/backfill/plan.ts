import { plannerRows, type Queryable } from './catalog';
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
  return plannerRows(
    db,
    remainingRowsQuery(target, lastKey !== null),
    boundParams(lastKey, upperKey),
  );
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

/**
 * The key range a plan covers, in words: `from the start up to id 200000`, `after id 5000 up
 * to id 200000`, `(tenant_id, id) after (1, 7) up to (3, 2)` for a composite key.
 */
export function keyRangeText(
  plan: Pick<BackfillPlan, 'keyColumns' | 'lastKey' | 'upperKey'>,
): string {
  if (!plan.upperKey) return 'none: the table has no rows';
  const single = plan.keyColumns.length === 1;
  const key = (values: KeyValues) =>
    single ? `${plan.keyColumns[0]} ${values[0]}` : `(${values.join(', ')})`;
  const columns = single ? '' : `(${plan.keyColumns.join(', ')}) `;
  const from = plan.lastKey ? `after ${key(plan.lastKey)}` : 'from the start';
  return `${columns}${from} up to ${key(plan.upperKey)}`;
}

/** The plan as the command line prints it. */
export function formatPlan(plan: BackfillPlan): string {
  const rows = plan.countedRows ?? plan.estimatedRows;
  return [
    `table:          ${plan.table} by (${plan.keyColumns.join(', ')})`,
    `key range:      ${keyRangeText(plan)}${plan.upperKey ? ' (the upper end stays fixed for the whole backfill)' : ''}`,
    `resumes at:     batch ${plan.resumeFromBatch + 1}`,
    `rows to update: ${rows}${plan.countedRows === null ? ' (planner estimate; counting timed out)' : ''} (planner estimate ${plan.estimatedRows})`,
    `batches:        ${plan.batches} of ${plan.batchSize} keys`,
    `each batch runs, in its own transaction with the checkpoint update:`,
    plan.statement.replace(/^/gm, '  '),
    'dry run: nothing was written.',
  ].join('\n');
}
