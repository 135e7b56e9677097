import type { ColumnInfo, TableRef } from './catalog';
import { columnList, quoteIdent } from '../sql/identifiers';

/**
 * The SQL of a backfill. A batch is a keyset page: the keys after the last finished batch and
 * at most the upper bound fixed at the start, in key order, k of them. Keys travel as text
 * (`key::text` out, `$n::type` back in), which round-trips every key type exactly.
 */

export interface BackfillTarget {
  table: TableRef;
  keys: ColumnInfo[];
  set: string;
  where?: string;
}

/** A key as text values in key-column order: `['42']`, `['acme', '7']`. */
export type KeyValues = string[];

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
 * The last key of the next batch: the `batchSize`-th key after the lower bound, within the
 * upper bound. No row means fewer keys are left: the batch runs to the upper bound.
 * Parameters: lower key (when `hasLower`), upper key, batch size - 1.
 */
export function batchEndStatement(target: BackfillTarget, hasLower: boolean): string {
  const { table, keys } = target;
  const sizeParam = (hasLower ? 2 : 1) * keys.length + 1;
  const keyText = keys.map((key) => `${quoteIdent(key.name)}::text`).join(', ');
  return `SELECT ARRAY[${keyText}] AS key
  FROM ${table.sql}
 WHERE ${keyRange(keys, hasLower)}${userWhere(target.where)}
 ORDER BY ${keyOrder(keys)}
OFFSET $${sizeParam} LIMIT 1`;
}

/**
 * The batch's update: every row in the key range (lower, batch end]. A range predicate on the
 * primary key, rather than a join with a list of keys, lets PostgreSQL read exactly that slice
 * of the index (a join was planned as a merge join reading the index from its start, making
 * each batch slower than the one before). Parameters: lower key (when `hasLower`), batch end.
 */
export function batchUpdateStatement(target: BackfillTarget, hasLower: boolean): string {
  return `UPDATE ${target.table.sql}
   SET ${target.set}
 WHERE ${keyRange(target.keys, hasLower)}${userWhere(target.where)}`;
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
