import { columnInfo, constraintInfo, primaryKeyName } from './catalog';
import { PatternError } from './errors';
import { note, type SqlExecutor } from './executor';
import { requireNoTransaction } from './guards';
import { addIndex } from './add-index';
import { nameTaken } from './add-foreign-key';
import { bareName, objectName, quoteIdent, quoteQualified } from './identifiers';

export interface AddUniqueOptions {
  table: string;
  columns: string[];
  name?: string;
}

/**
 * A UNIQUE constraint without building its index under a lock: the unique index is built
 * concurrently, then attached with `ADD CONSTRAINT ... UNIQUE USING INDEX` (a catalog change).
 */
export async function addUnique(db: SqlExecutor, options: AddUniqueOptions): Promise<string> {
  const name = options.name ?? objectName(bareName(options.table), ...options.columns, 'key');
  await attachUniqueIndex(db, options, name, 'UNIQUE');
  return name;
}

/** A PRIMARY KEY the same way; its columns must already be NOT NULL (see addNotNull). */
export async function addPrimaryKey(db: SqlExecutor, options: AddUniqueOptions): Promise<string> {
  const name = options.name ?? objectName(bareName(options.table), 'pkey');
  const current = await primaryKeyName(db, options.table);
  if (current && current !== name) {
    throw new PatternError(
      'primary-key-exists',
      `addPrimaryKey: ${options.table} already has primary key ${current}. Changing a key in ` +
        `place rewrites it under a lock; rebuild the table with npm run db:shadow -- ${options.table} plan.`,
    );
  }
  await refuseNullableColumns(db, options);
  await attachUniqueIndex(db, options, name, 'PRIMARY KEY');
  return name;
}

async function attachUniqueIndex(
  db: SqlExecutor,
  options: AddUniqueOptions,
  name: string,
  kind: 'UNIQUE' | 'PRIMARY KEY',
) {
  const helper = kind === 'UNIQUE' ? 'addUnique' : 'addPrimaryKey';
  requireNoTransaction(
    db,
    helper,
    `its unique index on ${options.table} is built with CREATE INDEX CONCURRENTLY, which cannot ` +
      'run in a transaction block.',
  );
  const existing = await constraintInfo(db, options.table, name);
  if (existing) {
    if (existing.type !== (kind === 'UNIQUE' ? 'u' : 'p')) throw nameTaken(options.table, name);
    note(db, `${helper}: ${name} already exists; nothing to do.`);
    return;
  }
  await addIndex(db, { table: options.table, columns: options.columns, name, unique: true });
  await db.query(
    `ALTER TABLE ${quoteQualified(options.table)} ADD CONSTRAINT ${quoteIdent(name)} ` +
      `${kind} USING INDEX ${quoteIdent(name)}`,
  );
}

async function refuseNullableColumns(db: SqlExecutor, options: AddUniqueOptions) {
  for (const column of options.columns) {
    const info = await columnInfo(db, options.table, column);
    if (!info) {
      throw new PatternError(
        'missing-column',
        `addPrimaryKey: ${options.table}.${column} does not exist.`,
      );
    }
    if (info.notNull) continue;
    throw new PatternError(
      'nullable-key-column',
      `addPrimaryKey: ${options.table}.${column} is nullable, and attaching the key would SET NOT ` +
        `NULL with a full scan under an ACCESS EXCLUSIVE lock. Make it NOT NULL first, in a ` +
        `post-deploy migration:\n  await addNotNull(ctx, { table: '${options.table}', column: '${column}' });`,
    );
  }
}
