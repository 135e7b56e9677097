import type { ClientBase } from 'pg';
import { qualifiedName } from '../sql/identifiers';

/**
 * Catalog look-ups shared by backfill and compare. A table name typed by a user is resolved by
 * PostgreSQL itself (`to_regclass`, honouring quoting and the search_path); everything built
 * from it afterwards uses the catalog's names, quoted.
 */

export type Queryable = Pick<ClientBase, 'query'>;

export interface TableRef {
  oid: number;
  schema: string;
  name: string;
  /** `"schema"."name"`, safe to paste into SQL. */
  sql: string;
  /** `schema.name`, for messages. */
  display: string;
}

export interface ColumnInfo {
  name: string;
  /** The column's type as SQL, e.g. `bigint` or `character varying(20)`, usable in a cast. */
  type: string;
}

/** The planner's estimate of the rows a query returns: instant, whatever the table's size. */
export async function plannerRows(
  db: Queryable,
  sql: string,
  values: unknown[] = [],
): Promise<number> {
  const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `EXPLAIN (FORMAT JSON) ${sql}`,
    values,
  );
  return Math.round(rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
}

export async function findTable(db: Queryable, name: string): Promise<TableRef | undefined> {
  let rows: { oid: number; schema: string; name: string }[];
  try {
    ({ rows } = await db.query(
      `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
      [name],
    ));
  } catch {
    return undefined; // a name PostgreSQL cannot even parse names no table
  }
  const [row] = rows;
  if (!row) return undefined;
  return { ...row, sql: qualifiedName(row.schema, row.name), display: `${row.schema}.${row.name}` };
}

export async function tableColumns(db: Queryable, table: TableRef): Promise<ColumnInfo[]> {
  const { rows } = await db.query<ColumnInfo>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type
       FROM pg_attribute
      WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped
      ORDER BY attnum`,
    [table.oid],
  );
  return rows;
}

/** The primary key's columns in key order; empty when the table has none. */
export async function primaryKeyColumns(db: Queryable, table: TableRef): Promise<ColumnInfo[]> {
  const { rows } = await db.query<ColumnInfo>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisprimary
      ORDER BY k.position`,
    [table.oid],
  );
  return rows;
}
