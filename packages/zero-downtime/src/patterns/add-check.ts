import { constraintInfo } from './catalog';
import { PatternError } from './errors';
import { type SqlExecutor } from './executor';
import { quoteIdent, quoteQualified } from './identifiers';
import { nameTaken } from './add-foreign-key';
import { validateConstraint } from './validate-constraint';

export interface AddCheckOptions {
  table: string;
  name: string;
  /** The boolean SQL expression, e.g. `price >= 0`. */
  expression: string;
  /** Validate now (default; needs a non-transactional migration), or later with validateConstraint. */
  validate?: boolean;
}

/** `ADD CONSTRAINT ... CHECK (...) NOT VALID`, then `VALIDATE CONSTRAINT` in its own transaction. */
export async function addCheck(db: SqlExecutor, options: AddCheckOptions): Promise<void> {
  const { table, name, expression } = options;
  const validate = options.validate ?? true;
  if (validate && db.inTransaction) {
    throw new PatternError(
      'inside-transaction',
      `addCheck cannot validate ${name} inside a transaction: the scan of ${table} would keep ` +
        'the lock ADD CONSTRAINT took and block writes. Add `export const transaction = false;` ' +
        `to the migration, or pass { validate: false } and call validateConstraint(ctx, ` +
        `{ table: '${table}', name: '${name}' }) in a later migration.`,
    );
  }
  const existing = await constraintInfo(db, table, name);
  if (existing && existing.type !== 'c') throw nameTaken(table, name);
  if (!existing) {
    await db.query(
      `ALTER TABLE ${quoteQualified(table)} ADD CONSTRAINT ${quoteIdent(name)} ` +
        `CHECK (${expression}) NOT VALID`,
    );
  }
  if (validate) await validateConstraint(db, { table, name });
}
