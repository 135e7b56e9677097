import { columnInfo, constraintInfo } from './catalog';
import { PatternError } from './errors';
import { inOneTransaction, withoutStatementTimeout, type SqlExecutor } from './executor';
import { requireNoTransaction, requirePhase } from './guards';
import { bareName, objectName, quoteIdent, quoteQualified } from './identifiers';

export interface AddNotNullOptions {
  table: string;
  column: string;
}

const checkViolation = '23514';

/**
 * `SET NOT NULL` without a full scan under an exclusive lock: a NOT VALID check, validated in
 * its own transaction (the scan lets writes through), then SET NOT NULL (PostgreSQL 12+ trusts
 * the valid check and skips the scan) and the check dropped.
 */
export async function addNotNull(db: SqlExecutor, options: AddNotNullOptions): Promise<void> {
  const { table, column } = options;
  requirePhase(
    db,
    'addNotNull',
    'post',
    `version N may still insert rows without ${table}.${column}; add the constraint once every ` +
      `instance runs the release that writes it.`,
  );
  requireNoTransaction(
    db,
    'addNotNull',
    `VALIDATE must commit in its own transaction, or its scan of ${table} keeps the lock ` +
      'taken by ADD CONSTRAINT and blocks writes.',
  );
  await ensureNotNull(db, table, column);
}

/** The steps without the phase guard, for the helpers that contract a column after a deploy. */
export async function ensureNotNull(db: SqlExecutor, table: string, column: string) {
  const info = await columnInfo(db, table, column);
  if (!info) {
    throw new PatternError(
      'missing-column',
      `addNotNull: column ${table}.${column} does not exist.`,
    );
  }
  const check = notNullCheckName(table, column);
  const qualified = quoteQualified(table);
  if (!info.notNull) {
    await addValidCheck(db, table, column, check);
    await inOneTransaction(db, [
      `ALTER TABLE ${qualified} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`,
      `ALTER TABLE ${qualified} DROP CONSTRAINT IF EXISTS ${quoteIdent(check)}`,
    ]);
    return;
  }
  if (await constraintInfo(db, table, check)) {
    await db.query(`ALTER TABLE ${qualified} DROP CONSTRAINT IF EXISTS ${quoteIdent(check)}`);
  }
}

export function notNullCheckName(table: string, column: string): string {
  return objectName(bareName(table), column, 'not_null');
}

async function addValidCheck(db: SqlExecutor, table: string, column: string, check: string) {
  const qualified = quoteQualified(table);
  const existing = await constraintInfo(db, table, check);
  if (!existing) {
    await db.query(
      `ALTER TABLE ${qualified} ADD CONSTRAINT ${quoteIdent(check)} ` +
        `CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID`,
    );
  }
  if (existing?.validated) return;
  try {
    await withoutStatementTimeout(db, () =>
      db.query(`ALTER TABLE ${qualified} VALIDATE CONSTRAINT ${quoteIdent(check)}`),
    );
  } catch (error) {
    if ((error as { code?: string }).code !== checkViolation) throw error;
    throw new PatternError(
      'null-values',
      `addNotNull: ${table}.${column} still has NULL rows, so it cannot become NOT NULL. ` +
        `New writes are already checked (constraint ${check} NOT VALID). Backfill the old rows, ` +
        `then rerun this migration:\n` +
        `  npm run db:backfill -- --name ${bareName(table)}-${column} --table ${table} ` +
        `--set "${column} = <value>" --where "${column} IS NULL"`,
    );
  }
}
