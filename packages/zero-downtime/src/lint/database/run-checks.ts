/**
 * Runs the data checks of one pending statement on the read-only session: each a single
 * bounded query; a table above zeroDowntime.lint.scanRowLimit, or a query that hits the
 * statement timeout, gives a note saying what was not checked instead of a verdict.
 */
import type { LintThresholds } from '../../core/config';
import { databaseErrorOf, messageOf } from '../../runner/errors';
import { quoteName } from '../ast';
import type { RuleHit } from '../types';
import type { DataCheck } from './checks';
import { isStatementTimeout, type ReadOnlySession } from './connection';
import { describeSize, tableSize } from './sizes';

/** A data check's verdict, like a rule's. */
export interface DataHit extends RuleHit {
  rule: string;
}

/** One line each, for SARIF's rule list and the docs. */
export const dataRuleSummaries: Record<string, string> = {
  'data-duplicate-keys': 'A unique index or constraint would fail on duplicate keys already there.',
  'data-null-rows': 'SET NOT NULL (or a primary key) would fail on NULLs already there.',
  'data-orphan-rows': 'A foreign key would fail on rows whose parent does not exist.',
  'data-check-violations': 'A CHECK constraint would fail on rows that violate it.',
  'data-cast-failures': 'A column type change would fail on values that do not cast.',
  'data-not-checked': 'A data check was skipped (table too large, or the statement timeout).',
};

const samples = 3;
/** Distinct values tried one by one when a type change fails and no exact count is possible. */
const castSampleValues = 100;
const textTypes = new Set(['text', 'character varying', 'character', 'name', 'citext']);

interface Violations {
  total: number;
  samples: string[];
}

const columnList = (columns: string[]) => columns.map(quoteName).join(', ');
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function violations(
  session: ReadOnlySession,
  table: string,
  condition: string,
): Promise<Violations> {
  const rows = await session.query<{ sample: string; total: string }>(
    `SELECT row_to_json(zdm_row)::text AS sample, count(*) OVER () AS total
       FROM ${table} AS zdm_row WHERE ${condition} LIMIT ${samples}`,
  );
  return { total: Number(rows[0]?.total ?? 0), samples: rows.map((row) => row.sample) };
}

function listed(found: Violations): string {
  return found.samples.map((sample) => `  ${sample}`).join('\n');
}

async function columnTypes(
  session: ReadOnlySession,
  table: string,
): Promise<Map<string, string> | undefined> {
  const rows = await session.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [table],
  );
  return rows.length > 0 ? new Map(rows.map((row) => [row.name, row.type])) : undefined;
}

async function primaryKeyOf(session: ReadOnlySession, table: string): Promise<string[]> {
  const rows = await session.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  return rows.map((row) => row.name);
}

async function uniqueHits(
  session: ReadOnlySession,
  check: Extract<DataCheck, { kind: 'unique' }>,
): Promise<DataHit[]> {
  const keys = check.columns.map(quoteName);
  const filters = [
    ...(check.nullsDistinct ? keys.map((key) => `${key} IS NOT NULL`) : []),
    ...(check.where ? [`(${check.where})`] : []),
  ];
  const rows = await session.query<{ key: string[]; n: string; keys: string; rows: string }>(
    `SELECT key, n, count(*) OVER () AS keys, sum(n) OVER () AS rows FROM (
       SELECT ARRAY[${keys.map((key) => `${key}::text`).join(', ')}] AS key, count(*) AS n
         FROM ${check.table} ${filters.length ? `WHERE ${filters.join(' AND ')}` : ''}
        GROUP BY ${keys.join(', ')} HAVING count(*) > 1) AS duplicates
      ORDER BY n DESC LIMIT 5`,
  );
  if (rows.length === 0) return [];
  const what = check.primary ? 'primary key' : 'unique index';
  const first = rows.map((row) => `  (${row.key.join(', ')}): ${row.n} rows`).join('\n');
  return [
    {
      rule: 'data-duplicate-keys',
      severity: 'error',
      message:
        `The ${what} on ${check.table} (${columnList(check.columns)}) would fail: ` +
        `${rows[0].keys} key(s) appear more than once, in ${rows[0].rows} rows. The first:\n${first}`,
      recipe:
        '-- resolve the duplicates first (merge or delete them, in batches), then deploy:\n' +
        `SELECT ${columnList(check.columns)}, count(*) FROM ${check.table}\n` +
        ` GROUP BY ${columnList(check.columns)} HAVING count(*) > 1;`,
    },
  ];
}

async function notNullHits(
  session: ReadOnlySession,
  check: Extract<DataCheck, { kind: 'not-null' }>,
): Promise<DataHit[]> {
  const condition = check.columns.map((column) => `${quoteName(column)} IS NULL`).join(' OR ');
  const found = await violations(session, check.table, condition);
  if (found.total === 0) return [];
  return [
    {
      rule: 'data-null-rows',
      severity: 'error',
      message:
        `${check.table} has ${found.total} row(s) where ${condition}: making ` +
        `${columnList(check.columns)} NOT NULL would fail. The first:\n${listed(found)}`,
      recipe:
        '-- backfill them first (npm run db:backfill), then deploy:\n' +
        `SELECT count(*) FROM ${check.table} WHERE ${condition};`,
    },
  ];
}

/** A constraint's violations: an error when validated now, else a warning for its VALIDATE. */
function validationHit(
  rule: string,
  validatesNow: boolean,
  what: (when: string) => string,
  found: Violations,
  recipe: string,
): DataHit[] {
  if (found.total === 0) return [];
  const when = validatesNow
    ? 'would fail'
    : 'is added NOT VALID, but its VALIDATE CONSTRAINT would fail';
  const severity = validatesNow ? 'error' : 'warning';
  return [{ rule, severity, message: `${what(when)}. The first:\n${listed(found)}`, recipe }];
}

async function checkHits(
  session: ReadOnlySession,
  check: Extract<DataCheck, { kind: 'check' }>,
): Promise<DataHit[]> {
  const condition = `(${check.expression}) IS FALSE`;
  const found = await violations(session, check.table, condition);
  return validationHit(
    'data-check-violations',
    check.validatesNow,
    (when) =>
      `CHECK (${check.expression}) on ${check.table} ${when}: ${found.total} row(s) violate it`,
    found,
    `-- fix those rows first, then deploy:\nSELECT * FROM ${check.table} WHERE ${condition};`,
  );
}

async function foreignKeyHits(
  session: ReadOnlySession,
  check: Extract<DataCheck, { kind: 'foreign-key' }>,
): Promise<DataHit[]> {
  const parentColumns = check.parentColumns.length
    ? check.parentColumns
    : await primaryKeyOf(session, check.parent);
  if (parentColumns.length !== check.columns.length) return [];
  const present = check.columns.map((column) => `zdm_row.${quoteName(column)} IS NOT NULL`);
  const matches = check.columns.map(
    (column, at) => `zdm_parent.${quoteName(parentColumns[at])} = zdm_row.${quoteName(column)}`,
  );
  const condition =
    `${present.join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${check.parent} AS zdm_parent ` +
    `WHERE ${matches.join(' AND ')})`;
  const found = await violations(session, check.table, condition);
  return validationHit(
    'data-orphan-rows',
    check.validatesNow,
    (when) =>
      `The foreign key ${check.table} (${columnList(check.columns)}) -> ${check.parent} ` +
      `${when}: ${found.total} row(s) reference a missing parent`,
    found,
    '-- delete or re-point the orphans first (in batches), then deploy:\n' +
      `SELECT * FROM ${check.table} AS zdm_row WHERE ${condition};`,
  );
}

function castHit(check: Extract<DataCheck, { kind: 'cast' }>, detail: string): DataHit[] {
  return [
    {
      rule: 'data-cast-failures',
      severity: 'error',
      message: `Changing ${check.table}.${quoteName(check.column)} to ${check.type} would fail: ${detail}`,
      recipe:
        '-- fix or convert those values first, or change the type through a new column ' +
        '(npm run generate -- change-type), then deploy',
    },
  ];
}

async function castHits(
  session: ReadOnlySession,
  check: Extract<DataCheck, { kind: 'cast' }>,
  from: string,
): Promise<DataHit[]> {
  const column = quoteName(check.column);
  if (!check.using && textTypes.has(from) && session.serverVersionNum >= 160_000) {
    const condition = `${column} IS NOT NULL AND NOT pg_input_is_valid(${column}::text, ${literal(check.type)})`;
    const found = await violations(session, check.table, condition);
    if (found.total === 0) return [];
    const detail = `${found.total} value(s) are not valid ${check.type} (pg_input_is_valid). The first:\n${listed(found)}`;
    return castHit(check, detail);
  }
  const value = check.using ?? column;
  const [failure] = await session.attemptEach([
    { sql: `SELECT count((${value})::${check.type}) FROM ${check.table}`, params: [] },
  ]);
  if (failure === undefined) return [];
  if (isStatementTimeout(failure)) throw failure;
  if (check.using) return castHit(check, `casting every row failed: ${messageOf(failure)}.`);
  const distinct = await session.query<{ value: string }>(
    `SELECT DISTINCT ${column}::text AS value FROM ${check.table} WHERE ${column} IS NOT NULL LIMIT ${castSampleValues}`,
  );
  const outcomes = await session.attemptEach(
    distinct.map((row) => ({ sql: `SELECT $1::${from}::${check.type}`, params: [row.value] })),
  );
  const bad = distinct.filter((_, at) => outcomes[at] !== undefined).map((row) => row.value);
  const method =
    session.serverVersionNum >= 160_000
      ? 'each value was cast'
      : 'PostgreSQL before 16 has no pg_input_is_valid: each value was cast in a savepoint';
  return castHit(
    check,
    `casting every row failed (${messageOf(failure)}); of the first ${distinct.length} ` +
      `distinct value(s), ${bad.length} do not cast (${method}): ` +
      `${bad.slice(0, samples).map(literal).join(', ')}.`,
  );
}

async function validateHits(
  session: ReadOnlySession,
  check: Extract<DataCheck, { kind: 'validate' }>,
): Promise<DataHit[]> {
  const [found] = await session.query<{
    contype: string;
    expression: string | null;
    columns: string[] | null;
    parent: string | null;
    parent_columns: string[] | null;
  }>(
    `SELECT c.contype, pg_get_expr(c.conbin, c.conrelid) AS expression,
            (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num) AS columns,
            c.confrelid::regclass::text AS parent,
            (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num) AS parent_columns
       FROM pg_constraint c WHERE c.conrelid = to_regclass($1) AND c.conname = $2`,
    [check.table, check.constraint],
  );
  if (found?.contype === 'c' && found.expression) {
    return checkHits(session, {
      kind: 'check',
      table: check.table,
      expression: found.expression,
      validatesNow: true,
    });
  }
  if (found?.contype === 'f' && found.columns && found.parent) {
    return foreignKeyHits(session, {
      kind: 'foreign-key',
      table: check.table,
      columns: found.columns,
      parent: found.parent,
      parentColumns: found.parent_columns ?? [],
      validatesNow: true,
    });
  }
  return [];
}

function columnsOf(check: DataCheck): string[] {
  if (check.kind === 'unique' || check.kind === 'not-null' || check.kind === 'foreign-key') {
    return check.columns;
  }
  return check.kind === 'cast' ? [check.column] : [];
}

function notChecked(check: DataCheck, why: string): DataHit[] {
  return [
    {
      rule: 'data-not-checked',
      severity: 'warning',
      message: `The rows of ${check.table} were not checked for this statement: ${why}.`,
      recipe:
        '-- check them by hand on a replica, or raise zeroDowntime.lint.scanRowLimit / ' +
        'statementTimeoutMs in package.json',
    },
  ];
}

/** The verdicts of one check, or nothing when the table or a column does not exist yet. */
export async function runDataCheck(
  session: ReadOnlySession,
  check: DataCheck,
  thresholds: LintThresholds,
): Promise<DataHit[]> {
  const types = await columnTypes(session, check.table);
  // A table or column a pending migration creates has no rows of its own yet.
  if (!types || columnsOf(check).some((column) => !types.has(column))) return [];
  const size = await tableSize(session, check.table);
  if (size && size.rows > thresholds.scanRowLimit) {
    return notChecked(
      check,
      `${describeSize(check.table, size, thresholds)}, above zeroDowntime.lint.scanRowLimit ` +
        `(${thresholds.scanRowLimit} rows)`,
    );
  }
  try {
    switch (check.kind) {
      case 'unique':
        return await uniqueHits(session, check);
      case 'not-null':
        return await notNullHits(session, check);
      case 'check':
        return await checkHits(session, check);
      case 'foreign-key':
        return await foreignKeyHits(session, check);
      case 'cast':
        return await castHits(session, check, types.get(check.column) as string);
      case 'validate':
        return await validateHits(session, check);
    }
  } catch (error) {
    // Class 42 (an undefined column, table or function): what the statement needs is made by
    // a pending migration before it, so the rows it meets are not there yet either.
    if (databaseErrorOf(error)?.code?.startsWith('42')) return [];
    if (!isStatementTimeout(error)) throw error;
    return notChecked(
      check,
      `the check ran past the statement timeout of ${thresholds.statementTimeoutMs} ms`,
    );
  }
}
