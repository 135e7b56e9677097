import type { SqlExecutor } from './executor';

/**
 * Whether a default expression gives each row its own value. Such a default makes
 * `ADD COLUMN` rewrite the whole table under an ACCESS EXCLUSIVE lock (PostgreSQL stores only
 * non-volatile defaults in the catalog). The clock functions are stable, not volatile, but are
 * treated the same: evaluated once, they would stamp every existing row with the migration's
 * time, which is never what a `created_at`-like default means.
 */
const knownPerRowDefaults =
  /\b(now|random|gen_random_uuid|uuid_generate_v[1-5]|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|nextval|setseed)\s*\(|\b(current_timestamp|current_time|current_date|localtimestamp|localtime)\b/i;

const functionCall = /([a-z_][a-z0-9_$]*)\s*\(/gi;

/** The same check without a database, for generators: the well-known per-row functions. */
export function isKnownPerRowDefault(expression: string): boolean {
  return knownPerRowDefaults.test(expression);
}

export async function isPerRowDefault(db: SqlExecutor, expression: string): Promise<boolean> {
  if (knownPerRowDefaults.test(expression)) return true;
  const names = [...expression.matchAll(functionCall)].map((match) => match[1].toLowerCase());
  if (names.length === 0) return false;
  const rows = await db.query(
    `SELECT 1 FROM pg_proc WHERE proname = ANY($1::text[]) AND provolatile = 'v' LIMIT 1`,
    [names],
  );
  return rows.length > 0;
}

const serialTypes = /^\s*(small|big)?serial[248]?\s*$/i;

export function isSerialType(type: string): boolean {
  return serialTypes.test(type);
}
