import {
  findTable,
  primaryKeyColumns,
  tableColumns,
  type ColumnInfo,
  type Queryable,
  type TableRef,
} from '../backfill/catalog';
import { CompareError } from './errors';

/**
 * Resolves what is compared: both tables, the key both are walked by, and the columns. The key
 * is the source's primary key unless `--key` says otherwise; the target must be ordered the
 * same way by it, or chunks would not line up.
 */

export interface CompareSide {
  role: 'source' | 'target';
  table: TableRef;
  keys: ColumnInfo[];
  columns: ColumnInfo[];
}

interface Request {
  source: string;
  target: string;
  key?: string[];
  columns?: string[];
}

export async function resolveSides(
  sourceDb: Queryable,
  targetDb: Queryable,
  request: Request,
): Promise<{ source: CompareSide; target: CompareSide }> {
  const sourceTable = await requireTable(sourceDb, request.source, 'source');
  const targetTable = await requireTable(targetDb, request.target, 'target');
  const sourceColumns = await tableColumns(sourceDb, sourceTable);
  const targetColumns = await tableColumns(targetDb, targetTable);
  const keyNames = request.key?.length
    ? request.key
    : await defaultKey(sourceDb, targetDb, sourceTable, targetTable);
  const keyList = keyNames.join(', ');
  const compared = request.columns?.length
    ? request.columns
    : sourceColumns.map((column) => column.name);
  const valueNames = compared.filter((name) => !keyNames.includes(name));
  const side = (role: CompareSide['role'], table: TableRef, all: ColumnInfo[]): CompareSide => ({
    role,
    table,
    keys: pick(all, keyNames, table, `key (${keyList})`),
    columns: pick(all, valueNames, table, 'compared'),
  });
  const source = side('source', sourceTable, sourceColumns);
  const target = side('target', targetTable, targetColumns);
  checkKeyTypes(source, target);
  return { source, target };
}

async function requireTable(db: Queryable, name: string, role: string): Promise<TableRef> {
  const table = await findTable(db, name);
  if (table) return table;
  throw new CompareError(
    'COMPARE_UNKNOWN_TABLE',
    `${role} table "${name}" does not exist. Names are resolved through the search_path; ` +
      `write schema.table for a table in another schema.`,
  );
}

async function defaultKey(
  sourceDb: Queryable,
  targetDb: Queryable,
  source: TableRef,
  target: TableRef,
): Promise<string[]> {
  const sourceKey = (await primaryKeyColumns(sourceDb, source)).map((column) => column.name);
  if (sourceKey.length === 0) {
    throw new CompareError(
      'COMPARE_NO_KEY',
      `${source.display} has no primary key: pass the unique column(s) to walk both tables ` +
        `by, e.g. --key id or --key tenant_id,id.`,
    );
  }
  const targetKey = (await primaryKeyColumns(targetDb, target)).map((column) => column.name);
  if (targetKey.length > 0 && targetKey.join(',') !== sourceKey.join(',')) {
    throw new CompareError(
      'COMPARE_KEY_MISMATCH',
      `the tables have different primary keys: ${source.display} (${sourceKey.join(', ')}), ` +
        `${target.display} (${targetKey.join(', ')}). Pass the columns both are unique on ` +
        `with --key.`,
    );
  }
  return sourceKey;
}

function pick(all: ColumnInfo[], names: string[], table: TableRef, purpose: string): ColumnInfo[] {
  const byName = new Map(all.map((column) => [column.name, column]));
  const missing = names.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new CompareError(
      'COMPARE_UNKNOWN_COLUMN',
      `${table.display} has no column ${missing.map((name) => `"${name}"`).join(', ')} ` +
        `(${purpose} columns). Its columns: ${all.map((column) => column.name).join(', ')}. ` +
        `Choose the columns to compare with --columns.`,
    );
  }
  return names.map((name) => byName.get(name) as ColumnInfo);
}

const INTEGERS = new Set(['smallint', 'integer', 'bigint']);

/** Both sides must sort the key the same way; int -> bigint (a common rebuild) does. */
function checkKeyTypes(source: CompareSide, target: CompareSide): void {
  source.keys.forEach((key, index) => {
    const other = target.keys[index];
    const compatible =
      key.type === other.type || (INTEGERS.has(key.type) && INTEGERS.has(other.type));
    if (compatible) return;
    throw new CompareError(
      'COMPARE_KEY_MISMATCH',
      `key column "${key.name}" is ${key.type} in ${source.table.display} but ${other.type} ` +
        `in ${target.table.display}; both tables must sort the key the same way. Compare ` +
        `by another --key.`,
    );
  });
}
