import { columnInfo, hasAnyRow, tableExists, typeOid } from './catalog';
import { PatternError } from './errors';
import { note, type SqlExecutor } from './executor';
import { quoteIdent, quoteQualified } from './identifiers';
import { defaultVolatility, isSerialType } from './volatility';

export interface AddColumnOptions {
  table: string;
  column: string;
  /** A PostgreSQL type, e.g. `text`, `bigint`, `timestamptz`, `numeric(12,2)`. */
  type: string;
  /** A SQL expression; only constants are accepted (PG 11+ keeps them in the catalog). */
  default?: string;
  notNull?: boolean;
}

/**
 * `ALTER TABLE ... ADD COLUMN` that never rewrites the table and never breaks version N:
 * constant defaults only, NOT NULL only with a default (or on an empty table after deploy).
 */
export async function addColumn(db: SqlExecutor, options: AddColumnOptions): Promise<void> {
  const { table, column } = options;
  if (!(await tableExists(db, table))) {
    throw new PatternError('missing-table', `addColumn: table ${table} does not exist.`);
  }
  await refuseRewrites(db, options);
  const existing = await columnInfo(db, table, column);
  if (existing) return alreadyThere(db, options, existing.typeOid);
  await refuseNotNullWithoutDefault(db, options);
  await db.query(addColumnSql(options));
}

function addColumnSql({ table, column, type, default: def, notNull }: AddColumnOptions): string {
  const parts = [`ALTER TABLE ${quoteQualified(table)} ADD COLUMN IF NOT EXISTS`];
  parts.push(quoteIdent(column), type);
  if (def !== undefined) parts.push(`DEFAULT ${def}`);
  if (notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

async function alreadyThere(db: SqlExecutor, options: AddColumnOptions, oid: number) {
  const wanted = await typeOid(db, options.type);
  if (wanted !== null && wanted !== oid) {
    throw new PatternError(
      'column-exists',
      `addColumn: ${options.table}.${options.column} already exists with another type than ` +
        `${options.type}. Pick another column name, or change its type with changeColumnType.`,
    );
  }
  note(db, `addColumn: ${options.table}.${options.column} already exists; nothing to do.`);
}

async function refuseRewrites(db: SqlExecutor, options: AddColumnOptions): Promise<void> {
  const { table, column, type, default: def } = options;
  if (isSerialType(type)) {
    throw new PatternError(
      'serial-column',
      `addColumn: a ${type} column on an existing table rewrites the whole table under an ACCESS ` +
        `EXCLUSIVE lock, blocking every read and write of ${table}. Add it as bigint without a ` +
        `default, create a sequence, set the default to nextval() separately, then backfill:\n` +
        volatileRecipe(table, column, 'bigint', `nextval('${table}_${column}_seq')`),
    );
  }
  if (def === undefined) return;
  const volatility = await defaultVolatility(db, def);
  if (volatility === 'volatile') {
    throw new PatternError(
      'volatile-default',
      `addColumn: DEFAULT ${def} gives each row its own value, so adding ${table}.${column} ` +
        `with it rewrites the whole table under an ACCESS EXCLUSIVE lock. Add the column ` +
        `without a default, set the default for new rows, then backfill existing rows in ` +
        `batches:\n` +
        volatileRecipe(table, column, type, def),
    );
  }
  if (volatility === 'stable') {
    note(
      db,
      `addColumn: DEFAULT ${def} is evaluated once, so ${table} is not rewritten, and every ` +
        `existing row gets that one value; backfill them if they need their own.`,
    );
  }
}

function volatileRecipe(table: string, column: string, type: string, def: string): string {
  return [
    `  await addColumn(ctx, { table: '${table}', column: '${column}', type: '${type}' });`,
    '  await ctx.query(`ALTER TABLE ' +
      `${quoteQualified(table)} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${def}` +
      '`);',
    `  npm run db:backfill -- --name ${table}-${column} --table ${table} --set "${column} = ${def}" --where "${column} IS NULL"`,
  ].join('\n');
}

async function refuseNotNullWithoutDefault(db: SqlExecutor, options: AddColumnOptions) {
  const { table, column, type } = options;
  if (!options.notNull || options.default !== undefined) return;
  const recipe =
    `Add it nullable in pre-deploy, make release N+1 write it on every insert, backfill, ` +
    `then add the constraint in post-deploy:\n` +
    `  pre:  await addColumn(ctx, { table: '${table}', column: '${column}', type: '${type}' });\n` +
    `  post: await addNotNull(ctx, { table: '${table}', column: '${column}' });\n` +
    `or give it a constant default: { ..., default: '<constant>', notNull: true }.`;
  if (db.phase === 'pre') {
    throw new PatternError(
      'not-null-without-default',
      `addColumn: ${table}.${column} NOT NULL without a default breaks version N, which does ` +
        `not know the column: its INSERTs into ${table} would fail. ${recipe}`,
    );
  }
  if (await hasAnyRow(db, table)) {
    throw new PatternError(
      'not-null-without-default',
      `addColumn: ${table}.${column} NOT NULL without a default fails on the rows ${table} ` +
        `already holds. ${recipe}`,
    );
  }
}
