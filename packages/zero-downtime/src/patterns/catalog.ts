import type { SqlExecutor } from './executor';
import { quoteQualified, siblingName } from './identifiers';

/**
 * Catalog look-ups the helpers make before each step, so a rerun after a crash sees what is
 * already done and carries on from there.
 */
export interface ColumnInfo {
  type: string;
  typeOid: number;
  notNull: boolean;
  default: string | null;
}

export interface ConstraintInfo {
  type: 'c' | 'f' | 'p' | 'u' | string;
  validated: boolean;
  index: string | null;
}

export interface IndexInfo {
  valid: boolean;
  table: string;
  unique: boolean;
  constraint: string | null;
}

async function first<T>(db: SqlExecutor, sql: string, params: unknown[]): Promise<T | undefined> {
  const rows = await db.query(sql, params);
  return rows[0] as T | undefined;
}

export async function relationKind(db: SqlExecutor, name: string): Promise<string | null> {
  const row = await first<{ relkind: string }>(
    db,
    'SELECT relkind FROM pg_class WHERE oid = to_regclass($1)',
    [quoteQualified(name)],
  );
  return row?.relkind ?? null;
}

export async function tableExists(db: SqlExecutor, table: string): Promise<boolean> {
  const kind = await relationKind(db, table);
  return kind === 'r' || kind === 'p';
}

export async function columnInfo(
  db: SqlExecutor,
  table: string,
  column: string,
): Promise<ColumnInfo | null> {
  const row = await first<{ type: string; type_oid: number; notnull: boolean; def: string | null }>(
    db,
    `SELECT format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int AS type_oid,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0
        AND NOT a.attisdropped`,
    [quoteQualified(table), column],
  );
  if (!row) return null;
  return { type: row.type, typeOid: row.type_oid, notNull: row.notnull, default: row.def };
}

export async function constraintInfo(
  db: SqlExecutor,
  table: string,
  name: string,
): Promise<ConstraintInfo | null> {
  const row = await first<{ contype: string; convalidated: boolean; index: string | null }>(
    db,
    `SELECT contype, convalidated, conindid::regclass::text AS index
       FROM pg_constraint
      WHERE conrelid = to_regclass($1) AND conname = $2`,
    [quoteQualified(table), name],
  );
  if (!row) return null;
  const index = row.index === '-' || row.index === '0' ? null : row.index;
  return { type: row.contype, validated: row.convalidated, index };
}

export async function primaryKeyName(db: SqlExecutor, table: string): Promise<string | null> {
  const row = await first<{ conname: string }>(
    db,
    `SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p'`,
    [quoteQualified(table)],
  );
  return row?.conname ?? null;
}

/** The primary key's columns in key order, or an empty list when the table has none. */
export async function primaryKeyColumns(db: SqlExecutor, table: string): Promise<string[]> {
  const rows = await db.query(
    `SELECT a.attname AS name
       FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
      WHERE c.conrelid = to_regclass($1) AND c.contype = 'p'
      ORDER BY k.position`,
    [quoteQualified(table)],
  );
  return rows.map((row) => String(row.name));
}

/** An index named `name` in the schema of `table` (indexes share their table's schema). */
export async function indexInfo(
  db: SqlExecutor,
  table: string,
  name: string,
): Promise<IndexInfo | null> {
  const row = await first<{ valid: boolean; tbl: string; unique: boolean; con: string | null }>(
    db,
    `SELECT i.indisvalid AS valid, i.indrelid::regclass::text AS tbl, i.indisunique AS unique,
            (SELECT conname FROM pg_constraint c WHERE c.conindid = i.indexrelid
                AND c.contype IN ('p', 'u', 'x') LIMIT 1) AS con
       FROM pg_index i WHERE i.indexrelid = to_regclass($1)`,
    [quoteQualified(siblingName(table, name))],
  );
  if (!row) return null;
  return { valid: row.valid, table: row.tbl, unique: row.unique, constraint: row.con };
}

export async function triggerExists(
  db: SqlExecutor,
  table: string,
  name: string,
): Promise<boolean> {
  const row = await first(
    db,
    'SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2',
    [quoteQualified(table), name],
  );
  return row !== undefined;
}

export async function hasAnyRow(db: SqlExecutor, table: string): Promise<boolean> {
  const row = await first(db, `SELECT 1 FROM ${quoteQualified(table)} LIMIT 1`, []);
  return row !== undefined;
}

/** Canonical spelling of a type name (`int` -> `integer`), or null when it does not exist. */
export async function typeOid(db: SqlExecutor, type: string): Promise<number | null> {
  const row = await first<{ oid: number | null }>(db, 'SELECT to_regtype($1)::oid::int AS oid', [
    type,
  ]);
  return row?.oid ?? null;
}
