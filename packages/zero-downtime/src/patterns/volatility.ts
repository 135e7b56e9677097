import { volatilityOfText, type Volatility } from '../lint/volatility';
import type { SqlExecutor } from './executor';

/**
 * Whether an ADD COLUMN default rewrites the table: the linter's classification
 * (lint/volatility.ts), with functions it does not know looked up in the database. A stable
 * default such as now() is evaluated once and stored in the catalog: no rewrite (every
 * existing row reads the migration's time); a volatile one is computed per row: a rewrite under
 * an ACCESS EXCLUSIVE lock.
 */
export async function defaultVolatility(db: SqlExecutor, expression: string): Promise<Volatility> {
  const { volatility, unknown } = volatilityOfText(expression);
  if (unknown.length === 0) return volatility;
  const rows = await db.query(
    `SELECT coalesce(bool_or(provolatile = 'v'), true) AS volatile
       FROM pg_proc WHERE proname = ANY($1::text[])`,
    [unknown],
  );
  return rows[0]?.volatile === false ? 'stable' : 'volatile';
}

const serialTypes = /^\s*(small|big)?serial[248]?\s*$/i;

export function isSerialType(type: string): boolean {
  return serialTypes.test(type);
}
