import { loadModule, parseSync } from 'libpg-query';
import type { ColumnInfo, Queryable, TableRef } from './catalog';
import { BackfillError } from './errors';
import { batchEndStatement, batchUpdateStatement, type BackfillTarget } from './statements';

/**
 * Bad input is refused before anything is written. Three layers: PostgreSQL's parser checks the
 * `--set` is only assignments and the `--where` only a condition (nothing smuggled after them);
 * the catalog checks the assigned columns exist; then the real batch statement runs on the
 * first rows inside a transaction that is rolled back, so type errors, unknown functions and
 * errors raised by the expression at run time (division by zero, bad casts) show up now.
 */

interface ParsedUpdate {
  stmts: { stmt: Record<string, Record<string, unknown>> }[];
}

const TRIAL_ROWS = 100;

async function parse(sql: string): Promise<ParsedUpdate | Error> {
  await loadModule();
  try {
    return parseSync(sql) as ParsedUpdate;
  } catch (error) {
    return error as Error;
  }
}

/** The columns a `--set` assigns, after checking it is nothing but assignments. */
export async function assignedColumns(table: TableRef, set: string): Promise<string[]> {
  const parsed = await parse(`UPDATE ${table.sql} SET ${set}`);
  const update = parsed instanceof Error ? undefined : onlyStatement(parsed, 'UpdateStmt');
  const extra = ['whereClause', 'fromClause', 'returningList', 'withClause'];
  if (!update || extra.some((clause) => update[clause] !== undefined)) {
    const reason = parsed instanceof Error ? `: ${parsed.message}` : '';
    throw new BackfillError(
      'BACKFILL_INVALID_SET',
      `--set "${set}" is not a list of assignments${reason}. Write it as ` +
        `"column = expression[, column = expression]", e.g. --set "email_lower = lower(email)"; ` +
        `put conditions in --where.`,
    );
  }
  const targets = update.targetList as { ResTarget: { name: string } }[];
  return targets.map((target) => target.ResTarget.name);
}

export async function checkWhereSyntax(table: TableRef, where: string): Promise<void> {
  const parsed = await parse(`SELECT 1 FROM ${table.sql} WHERE (${where})`);
  const select = parsed instanceof Error ? undefined : onlyStatement(parsed, 'SelectStmt');
  const allowed = new Set(['targetList', 'fromClause', 'whereClause', 'limitOption', 'op']);
  if (!select || Object.keys(select).some((clause) => !allowed.has(clause))) {
    const reason = parsed instanceof Error ? `: ${parsed.message}` : '';
    throw new BackfillError(
      'BACKFILL_INVALID_WHERE',
      `--where "${where}" is not a condition${reason}. Write a boolean expression over ` +
        `${table.display}'s columns, e.g. --where "email_lower IS NULL".`,
    );
  }
}

function onlyStatement(parsed: ParsedUpdate, kind: string): Record<string, unknown> | undefined {
  if (parsed.stmts.length !== 1) return undefined;
  return parsed.stmts[0].stmt[kind];
}

export function checkColumnsExist(
  table: TableRef,
  columns: ColumnInfo[],
  assigned: string[],
): void {
  const known = new Set(columns.map((column) => column.name));
  const unknown = assigned.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new BackfillError(
      'BACKFILL_UNKNOWN_COLUMN',
      `column ${unknown.map((name) => `"${name}"`).join(', ')} does not exist in ` +
        `${table.display} (its columns: ${[...known].join(', ')}). Add it in a pre-deploy ` +
        `migration first, then backfill it.`,
    );
  }
}

/** Runs the first batch's update and `--where` on real rows, then rolls everything back. */
export async function trialRun(
  db: Queryable,
  target: BackfillTarget,
  upperKey: string[] | null,
): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query("SELECT set_config('statement_timeout', '30s', true)");
    if (target.where) await runTrial(db, 'where', whereTrial(target));
    await runTrial(
      db,
      'set',
      batchUpdateStatement(target, false),
      await trialEnd(db, target, upperKey),
    );
  } finally {
    await db.query('ROLLBACK');
  }
}

/** The end key of a first batch of TRIAL_ROWS keys; NULLs on an empty table (still planned). */
async function trialEnd(
  db: Queryable,
  target: BackfillTarget,
  upperKey: string[] | null,
): Promise<(string | null)[]> {
  if (!upperKey) return target.keys.map(() => null);
  const { rows } = await db.query<{ key: string[] }>(batchEndStatement(target, false), [
    ...upperKey,
    TRIAL_ROWS - 1,
  ]);
  return rows[0]?.key ?? upperKey;
}

function whereTrial(target: BackfillTarget): string {
  return `SELECT count(*) FROM (SELECT 1 FROM ${target.table.sql} WHERE (${target.where}) LIMIT ${TRIAL_ROWS}) AS trial`;
}

async function runTrial(
  db: Queryable,
  part: 'set' | 'where',
  sql: string,
  params: unknown[] = [],
): Promise<void> {
  try {
    await db.query(sql, params);
  } catch (error) {
    const message = (error as Error).message;
    throw part === 'where'
      ? new BackfillError(
          'BACKFILL_INVALID_WHERE',
          `--where fails on the table: ${message}. Nothing was written.`,
        )
      : new BackfillError(
          'BACKFILL_INVALID_SET',
          `--set fails on the table: ${message}. Nothing was written; fix the expression ` +
            `(try it with SELECT on a few rows) and run the same command again.`,
        );
  }
}
