import { constraintInfo } from './catalog';
import { PatternError } from './errors';
import { note, withoutStatementTimeout, type SqlExecutor } from './executor';
import { requireNoTransaction } from './guards';
import { quoteIdent, quoteQualified } from './identifiers';

export interface ValidateConstraintOptions {
  table: string;
  name: string;
}

const violations: Record<string, string> = {
  '23503': 'rows whose key has no match in the referenced table',
  '23514': 'rows that fail the check',
};

/**
 * `VALIDATE CONSTRAINT` in a transaction of its own: it scans the table under SHARE UPDATE
 * EXCLUSIVE, which lets reads and writes through, unlike a validated `ADD CONSTRAINT`.
 */
export async function validateConstraint(
  db: SqlExecutor,
  options: ValidateConstraintOptions,
): Promise<void> {
  const { table, name } = options;
  requireNoTransaction(
    db,
    'validateConstraint',
    `VALIDATE CONSTRAINT ${name} must commit on its own so its scan does not keep the lock ` +
      `that ADD CONSTRAINT took on ${table}.`,
  );
  const existing = await constraintInfo(db, table, name);
  if (!existing) {
    throw new PatternError(
      'missing-constraint',
      `validateConstraint: ${table} has no constraint ${name}.`,
    );
  }
  if (existing.validated) {
    note(db, `validateConstraint: ${name} is already valid; nothing to do.`);
    return;
  }
  try {
    await withoutStatementTimeout(db, () =>
      db.query(`ALTER TABLE ${quoteQualified(table)} VALIDATE CONSTRAINT ${quoteIdent(name)}`),
    );
  } catch (error) {
    const what = violations[(error as { code?: string }).code ?? ''];
    if (!what) throw error;
    throw new PatternError(
      'constraint-violated',
      `validateConstraint: ${table} has ${what} ${name}. New writes are already checked (the ` +
        `constraint stays NOT VALID); fix the old rows, then rerun the migration.`,
    );
  }
}
