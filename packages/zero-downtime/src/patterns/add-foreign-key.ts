import { constraintInfo, primaryKeyColumns } from './catalog';
import { PatternError } from './errors';
import { type SqlExecutor } from './executor';
import { bareName, columnList, objectName, quoteIdent, quoteQualified } from './identifiers';
import { validateConstraint } from './validate-constraint';

export type ReferentialAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

export interface AddForeignKeyOptions {
  table: string;
  columns: string[];
  references: { table: string; columns?: string[] };
  name?: string;
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
  /**
   * Validate now (default; needs `export const transaction = false`), or leave the constraint
   * NOT VALID and call validateConstraint in a later migration.
   */
  validate?: boolean;
}

const actions = new Set(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']);

/**
 * `ADD FOREIGN KEY ... NOT VALID` (a short lock; new writes are checked at once), then
 * `VALIDATE CONSTRAINT` in its own transaction (the scan lets writes through).
 */
export async function addForeignKey(
  db: SqlExecutor,
  options: AddForeignKeyOptions,
): Promise<string> {
  const name = options.name ?? objectName(bareName(options.table), ...options.columns, 'fkey');
  const validate = options.validate ?? true;
  if (validate && db.inTransaction) throw insideTransaction(options, name);
  const existing = await constraintInfo(db, options.table, name);
  if (existing && existing.type !== 'f') throw nameTaken(options.table, name);
  if (!existing) await db.query(await addSql(db, options, name));
  if (validate) await validateConstraint(db, { table: options.table, name });
  return name;
}

async function addSql(db: SqlExecutor, options: AddForeignKeyOptions, name: string) {
  const target = options.references;
  const targetColumns = target.columns ?? (await primaryKeyColumns(db, target.table));
  if (targetColumns.length === 0) {
    throw new PatternError(
      'missing-referenced-key',
      `addForeignKey: ${target.table} has no primary key; give references.columns.`,
    );
  }
  const parts = [
    `ALTER TABLE ${quoteQualified(options.table)} ADD CONSTRAINT ${quoteIdent(name)}`,
    `FOREIGN KEY (${columnList(options.columns)})`,
    `REFERENCES ${quoteQualified(target.table)} (${columnList(targetColumns)})`,
  ];
  if (options.onDelete) parts.push(`ON DELETE ${action(options.onDelete)}`);
  if (options.onUpdate) parts.push(`ON UPDATE ${action(options.onUpdate)}`);
  parts.push('NOT VALID');
  return parts.join(' ');
}

function action(value: string): string {
  const upper = value.toUpperCase();
  if (!actions.has(upper)) {
    throw new PatternError('bad-action', `addForeignKey: unknown referential action "${value}".`);
  }
  return upper;
}

function insideTransaction(options: AddForeignKeyOptions, name: string): PatternError {
  return new PatternError(
    'inside-transaction',
    `addForeignKey cannot validate ${name} inside a transaction: the scan of ${options.table} ` +
      `would keep the lock ADD CONSTRAINT took and block writes. Add ` +
      '`export const transaction = false;` to the migration, or pass { validate: false } and ' +
      `call validateConstraint(ctx, { table: '${options.table}', name: '${name}' }) in a later migration.`,
  );
}

export function nameTaken(table: string, name: string): PatternError {
  return new PatternError(
    'constraint-name-taken',
    `${table} already has a different kind of constraint named ${name}; pick another name.`,
  );
}
