import type { ColumnInfo, TableRef } from './catalog';
import { columnList, quoteIdent } from '../sql/identifiers';

/**
 * The SQL of a backfill. A batch is a keyset page: the keys after the last finished batch and
 * at most the upper bound fixed at the start, in key order, LIMIT k; the update joins those
 * keys. Keys travel as text (`key::text` out, `$n::type` back in), which round-trips every
 * key type exactly.
 */

export interface BackfillTarget {
  table: TableRef;
  keys: ColumnInfo[];
  set: string;
  where?: string;
}

/** A key as text values in key-column order: `['42']`, `['acme', '7']`. */
export type KeyValues = string[];

const BATCH_KEY = (index: number) => `zdm_k${index + 1}`;

function keyTuple(keys: ColumnInfo[], relation?: string): string {
  return `(${columnList(
    keys.map((key) => key.name),
    relation,
  )})`;
}

function paramTuple(keys: ColumnInfo[], firstParam: number): string {
  return `(${keys.map((key, index) => `$${firstParam + index}::${key.type}`).join(', ')})`;
}

/** `(k) > ($1) AND (k) <= ($2)`; the lower bound is absent on the first batch. */
export function keyRange(keys: ColumnInfo[], hasLower: boolean, firstParam = 1): string {
  const tuple = keyTuple(keys);
  const upperParam = hasLower ? firstParam + keys.length : firstParam;
  const upper = `${tuple} <= ${paramTuple(keys, upperParam)}`;
  return hasLower ? `${tuple} > ${paramTuple(keys, firstParam)} AND ${upper}` : upper;
}

function userWhere(where: string | undefined): string {
  return where ? ` AND (${where})` : '';
}

function keyOrder(keys: ColumnInfo[], direction = ''): string {
  return keys.map((key) => `${quoteIdent(key.name)}${direction}`).join(', ');
}

/**
 * Parameters: lower key (when `hasLower`), upper key, batch size. Returns one row:
 * `updated` (rows changed), `selected` (keys in the page), `last_key` (text array).
 */
export function batchStatement(target: BackfillTarget, hasLower: boolean): string {
  const { table, keys } = target;
  const limitParam = (hasLower ? 2 : 1) * keys.length + 1;
  const batchKeys = keys.map((_, index) => BATCH_KEY(index));
  const selectKeys = keys.map((key, index) => `${quoteIdent(key.name)} AS ${batchKeys[index]}`);
  const lastKey = batchKeys.map((column) => `${column}::text`).join(', ');
  return `WITH zdm_batch AS MATERIALIZED (
  SELECT ${selectKeys.join(', ')}
    FROM ${table.sql}
   WHERE ${keyRange(keys, hasLower)}${userWhere(target.where)}
   ORDER BY ${keyOrder(keys)}
   LIMIT $${limitParam}
), zdm_updated AS (
  UPDATE ${table.sql}
     SET ${target.set}
    FROM zdm_batch
   WHERE ${keyTuple(keys, table.sql)} = (${batchKeys.map((column) => `zdm_batch.${column}`).join(', ')})
  RETURNING 1
)
SELECT (SELECT count(*) FROM zdm_updated)::int AS updated,
       (SELECT count(*) FROM zdm_batch)::int AS selected,
       (SELECT ARRAY[${lastKey}] FROM zdm_batch
         ORDER BY ${batchKeys.map((column) => `${column} DESC`).join(', ')} LIMIT 1) AS last_key`;
}

/** The largest key now: the fixed upper bound of a new backfill. */
export function maxKeyStatement(target: BackfillTarget): string {
  const keys = target.keys.map((key) => `${quoteIdent(key.name)}::text`).join(', ');
  return `SELECT ARRAY[${keys}] AS key FROM ${target.table.sql}
   ORDER BY ${keyOrder(target.keys, ' DESC')} LIMIT 1`;
}

/** Rows still to do (lower key when resuming, upper key): the planner's estimate or a count. */
export function remainingRowsQuery(target: BackfillTarget, hasLower: boolean): string {
  return `SELECT 1 FROM ${target.table.sql}
   WHERE ${keyRange(target.keys, hasLower)}${userWhere(target.where)}`;
}

export function boundParams(lower: KeyValues | null, upper: KeyValues): string[] {
  return lower ? [...lower, ...upper] : [...upper];
}
