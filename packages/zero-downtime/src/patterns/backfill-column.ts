import { type SqlExecutor } from './executor';
import { fillColumn, type FillOptions } from './fill-column';
import { requireNoTransaction } from './guards';
import { bareName, quoteIdent } from './identifiers';

export interface BackfillColumnOptions extends FillOptions {
  table: string;
  column: string;
  /** SQL for the value, evaluated per row (may reference the row's other columns). */
  value: string;
  /** Only rows matching this; rows where the column is already set are always skipped. */
  where?: string;
}

/**
 * Fills the NULLs of a column in resumable keyset batches (../backfill), each
 * batch its own transaction, so it never holds locks for long: the step before addNotNull.
 */
export async function backfillColumn(
  db: SqlExecutor,
  options: BackfillColumnOptions,
): Promise<void> {
  const { table, column } = options;
  requireNoTransaction(
    db,
    'backfillColumn',
    `the backfill of ${table}.${column} commits batch by batch.`,
  );
  const isNull = `${quoteIdent(column)} IS NULL`;
  await fillColumn(db, {
    table,
    name: `${bareName(table)}-${column}-backfill`,
    set: `${quoteIdent(column)} = (${options.value})`,
    where: options.where ? `${isNull} AND (${options.where})` : isNull,
    batchSize: options.batchSize,
    pauseMs: options.pauseMs,
    maxLag: options.maxLag,
  });
}
