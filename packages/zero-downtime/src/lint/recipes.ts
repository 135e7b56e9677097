/** SQL and commands shared by several rules' recipes, with the user's names filled in. */
import type { RangeVar } from 'libpg-query';
import { bareTable, identifier, quoteName, tableText } from './ast';

function kebab(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .split('')
    .map((char) => (/[a-z0-9]/.test(char) ? char : '-'))
    .join('')
    .split('-')
    .filter(Boolean)
    .join('-');
}

/** Quotes a command-line argument for POSIX shells, preferring the readable double quotes. */
export function shellArgument(value: string): string {
  if (!/["$`\\!]/.test(value)) return `"${value}"`;
  return `'${value.split("'").join(`'\\''`)}'`;
}

export function backfillCommand(
  relation: RangeVar | undefined,
  set: string,
  where?: string,
  action = 'backfill',
): string {
  const name = kebab(action, bareTable(relation), set.split('=')[0] ?? '');
  const whereOption = where ? ` --where ${shellArgument(where)}` : '';
  return (
    `npm run db:backfill -- --name ${name} --table ${tableText(relation)} ` +
    `--set ${shellArgument(set)}${whereOption}`
  );
}

export function notNullConstraintName(relation: RangeVar | undefined, column: string): string {
  return identifier([bareTable(relation), column], 'not_null');
}

/** The PostgreSQL 12+ way to make a column NOT NULL without a long exclusive lock. */
export function setNotNullRecipe(relation: RangeVar | undefined, column: string): string {
  const table = tableText(relation);
  const constraint = quoteName(notNullConstraintName(relation, column));
  const col = quoteName(column);
  return [
    `ALTER TABLE ${table} ADD CONSTRAINT ${constraint} CHECK (${col} IS NOT NULL) NOT VALID;`,
    '-- next migration (VALIDATE must not share a transaction with the ADD above):',
    `ALTER TABLE ${table} VALIDATE CONSTRAINT ${constraint};`,
    `ALTER TABLE ${table} ALTER COLUMN ${col} SET NOT NULL;`,
    `ALTER TABLE ${table} DROP CONSTRAINT ${constraint};`,
  ].join('\n');
}

export interface SyncTrigger {
  relation: RangeVar | undefined;
  /** Column written by version N. */
  oldColumn: string;
  /** Column written by version N+1. */
  newColumn: string;
  /** PL/pgSQL expressions computing one column from the other, e.g. `NEW.age`. */
  toNew: string;
  toOld: string;
}

/** A trigger keeping two columns in sync in both directions, whoever writes (N or N+1). */
export function syncTriggerSql({ relation, oldColumn, newColumn, toNew, toOld }: SyncTrigger) {
  const table = tableText(relation);
  const name = quoteName(identifier([bareTable(relation), oldColumn, newColumn], 'sync'));
  const [oldCol, newCol] = [quoteName(oldColumn), quoteName(newColumn)];
  return [
    `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$`,
    'BEGIN',
    `  IF TG_OP = 'INSERT' AND NEW.${newCol} IS NULL OR TG_OP = 'UPDATE' AND NEW.${oldCol} IS DISTINCT FROM OLD.${oldCol} THEN`,
    `    NEW.${newCol} := ${toNew};`,
    `  ELSIF TG_OP = 'INSERT' OR NEW.${newCol} IS DISTINCT FROM OLD.${newCol} THEN`,
    `    NEW.${oldCol} := ${toOld};`,
    '  END IF;',
    '  RETURN NEW;',
    'END $$;',
    `CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON ${table}`,
    `  FOR EACH ROW EXECUTE FUNCTION ${name}();`,
  ].join('\n');
}

export function dropSyncTriggerSql(trigger: SyncTrigger): string {
  const { relation, oldColumn, newColumn } = trigger;
  const name = quoteName(identifier([bareTable(relation), oldColumn, newColumn], 'sync'));
  return [
    `DROP TRIGGER IF EXISTS ${name} ON ${tableText(relation)};`,
    `DROP FUNCTION IF EXISTS ${name}();`,
  ].join('\n');
}
