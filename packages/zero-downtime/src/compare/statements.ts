import { columnList, quoteIdent, quoteLiteral } from '../sql/identifiers';
import type { CompareSide } from './tables';

/**
 * The SQL of a comparison. Each value is compared through a canonical text that keeps apart
 * what `=` or a plain `::text` would blur:
 *   - SQL NULL is the bare word NULL; any real value is its JSON form, so '' is `""`;
 *   - json and jsonb go through jsonb, whose text has sorted keys and no insignificant spaces;
 *   - numeric keeps its scale (1.0 and 1.00 differ, as an application reading them sees);
 *   - timestamps keep their microseconds, text its trailing spaces.
 * Sessions use the same TimeZone and output styles on both sides (see `SESSION_SETTINGS`).
 */

export const SESSION_SETTINGS: [string, string][] = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, YMD'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '1'],
  ['bytea_output', 'hex'],
];

export const NULL_MARK = 'NULL';

/** A key as text values in key-column order. */
export type KeyValues = string[];

export interface Range {
  after: KeyValues | null;
  upTo: KeyValues | null;
}

function canonical(column: string): string {
  return `coalesce(to_jsonb(${quoteIdent(column)})::text, ${quoteLiteral(NULL_MARK)})`;
}

function keyObject(side: CompareSide): string {
  const pairs = side.keys.map((key) => `${quoteLiteral(key.name)}, ${quoteIdent(key.name)}`);
  return `jsonb_build_object(${pairs.join(', ')})::text`;
}

function valuesArray(side: CompareSide): string {
  if (side.columns.length === 0) return `ARRAY[]::text[]`;
  return `ARRAY[${side.columns.map((column) => canonical(column.name)).join(', ')}]`;
}

function keyOrder(side: CompareSide): string {
  return columnList(side.keys.map((key) => key.name));
}

function tuple(side: CompareSide, firstParam: number): string {
  return `(${side.keys.map((key, index) => `$${firstParam + index}::${key.type}`).join(', ')})`;
}

/** `WHERE` for keys after `range.after` and at most `range.upTo`; open ends are omitted. */
export function rangeCondition(side: CompareSide, range: Range): { sql: string; params: string[] } {
  const keys = `(${keyOrder(side)})`;
  const parts: string[] = [];
  const params: string[] = [];
  if (range.after) {
    parts.push(`${keys} > ${tuple(side, params.length + 1)}`);
    params.push(...range.after);
  }
  if (range.upTo) {
    parts.push(`${keys} <= ${tuple(side, params.length + 1)}`);
    params.push(...range.upTo);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The key `chunkSize` rows after `after`, or no row when fewer remain. */
export function boundaryQuery(side: CompareSide, after: KeyValues | null, chunkSize: number) {
  const where = rangeCondition(side, { after, upTo: null });
  const keys = side.keys.map((key) => `${quoteIdent(key.name)}::text`).join(', ');
  return {
    text: `SELECT ARRAY[${keys}] AS key FROM ${side.table.sql} ${where.sql}
            ORDER BY ${keyOrder(side)} OFFSET ${chunkSize - 1} LIMIT 1`,
    values: where.params,
  };
}

/** Whether key `a` sorts at or before key `b`, by the side's key types. */
export function keyNotAfterQuery(side: CompareSide, a: KeyValues, b: KeyValues) {
  return {
    text: `SELECT ${tuple(side, 1)} <= ${tuple(side, a.length + 1)} AS not_after`,
    values: [...a, ...b],
  };
}

export function chunkHashQuery(side: CompareSide, range: Range) {
  const where = rangeCondition(side, range);
  return {
    text: `SELECT count(*)::int AS rows,
                  md5(string_agg(${keyObject(side)} || ' ' || ${valuesArray(side)}::text, E'\\n'
                                 ORDER BY ${keyOrder(side)})) AS hash
             FROM ${side.table.sql} ${where.sql}`,
    values: where.params,
  };
}

export function chunkRowsQuery(side: CompareSide, range: Range) {
  const where = rangeCondition(side, range);
  return {
    text: `SELECT ${keyObject(side)} AS key, ${valuesArray(side)} AS "values"
             FROM ${side.table.sql} ${where.sql} ORDER BY ${keyOrder(side)}`,
    values: where.params,
  };
}
