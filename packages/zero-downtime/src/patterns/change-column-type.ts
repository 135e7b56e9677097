import { columnInfo } from './catalog';
import {
  cleanupColumn,
  contractColumn,
  expandColumn,
  type ColumnSync,
  type SyncStep,
} from './column-sync';
import { PatternError } from './errors';
import type { SqlExecutor } from './executor';
import type { FillOptions } from './fill-column';
import { quoteIdent } from './identifiers';

export interface ChangeColumnTypeOptions {
  table: string;
  column: string;
  /** The new column that carries the new type (release N+1 uses it). */
  to: string;
  type: string;
  /** SQL converting the old value, referencing `column`; default `CAST(column AS type)`. */
  up?: string;
  /** SQL converting back, referencing `to`; default a cast to the old column's type. */
  down?: string;
  /** The new column's default, when the old default does not simply cast. */
  default?: string;
  /** Same steps as renameColumn: expand (pre), contract (post), cleanup (post, next release). */
  step: SyncStep;
  backfill?: FillOptions;
}

/**
 * A type change without the table rewrite under an ACCESS EXCLUSIVE lock that `ALTER COLUMN
 * TYPE` does: a new column of the new type kept in sync both ways, converted with `up`/`down`.
 */
export async function changeColumnType(
  db: SqlExecutor,
  options: ChangeColumnTypeOptions,
): Promise<void> {
  const sync = await typeSync(db, options);
  if (options.step === 'expand') return expandColumn(db, sync, options.backfill);
  if (options.step === 'contract') return contractColumn(db, sync);
  return cleanupColumn(db, sync);
}

async function typeSync(db: SqlExecutor, options: ChangeColumnTypeOptions): Promise<ColumnSync> {
  const { table, column, to, type } = options;
  if (column === to) {
    throw new PatternError(
      'bad-identifier',
      `changeColumnType: the new column needs a new name (e.g. ${column}_new): version N keeps ` +
        `using ${column} with its old type while release N+1 uses the new one.`,
    );
  }
  const old = await columnInfo(db, table, column);
  if (!old && !(await columnInfo(db, table, to))) {
    throw new PatternError(
      'missing-column',
      `changeColumnType: neither ${table}.${column} nor ${table}.${to} exists.`,
    );
  }
  return {
    helper: 'changeColumnType',
    table,
    from: column,
    to,
    type,
    up: options.up ?? `CAST(${quoteIdent(column)} AS ${type})`,
    down: options.down ?? `CAST(${quoteIdent(to)} AS ${old?.type ?? type})`,
    newDefault: (oldDefault) => options.default ?? `CAST((${oldDefault}) AS ${type})`,
  };
}
