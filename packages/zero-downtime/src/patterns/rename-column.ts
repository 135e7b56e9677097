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

export interface RenameColumnOptions {
  table: string;
  from: string;
  to: string;
  /**
   * `expand`: pre-deploy of release N+1 (which uses `to`): new column, two-way sync trigger,
   * backfill. `contract`: post-deploy of N+1: `to` takes NOT NULL and the default, `from`
   * becomes nullable. `cleanup`: post-deploy of the next release: trigger and `from` dropped.
   */
  step: SyncStep;
  backfill?: FillOptions;
}

/** Renames a column in four steps so old and new versions both keep working throughout. */
export async function renameColumn(db: SqlExecutor, options: RenameColumnOptions): Promise<void> {
  const sync = await renameSync(db, options);
  if (options.step === 'expand') return expandColumn(db, sync, options.backfill);
  if (options.step === 'contract') return contractColumn(db, sync);
  return cleanupColumn(db, sync);
}

async function renameSync(db: SqlExecutor, options: RenameColumnOptions): Promise<ColumnSync> {
  const { table, from, to } = options;
  if (from === to) {
    throw new PatternError('bad-identifier', `renameColumn: "from" and "to" are both ${from}.`);
  }
  const type = (await columnInfo(db, table, from))?.type ?? (await columnInfo(db, table, to))?.type;
  if (!type) {
    throw new PatternError(
      'missing-column',
      `renameColumn: neither ${table}.${from} nor ${table}.${to} exists.`,
    );
  }
  return {
    helper: 'renameColumn',
    table,
    from,
    to,
    type,
    up: quoteIdent(from),
    down: quoteIdent(to),
  };
}
