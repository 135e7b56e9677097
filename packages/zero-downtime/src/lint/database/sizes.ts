/**
 * Table sizes from the catalog, and what they do to a finding: a lock held while PostgreSQL
 * scans, rewrites or indexes a 50-row table is over before anyone notices; on a table of
 * millions of rows it is an outage. Thresholds: the app contract's `lint` key.
 */
import type { LintThresholds } from '../../core/config';
import type { Finding } from '../types';
import { isStatementTimeout, type ReadOnlySession } from './connection';

/** A table's size as the catalog tells it. */
export interface TableSize {
  rows: number;
  bytes: number;
  /** True when the rows come from the planner's estimate (reltuples), false when counted. */
  estimated: boolean;
}

/** Rules whose danger is how long a lock is held, which grows with the table. */
const lockDurationRules = new Set([
  'create-index-non-concurrent',
  'add-foreign-key-validated',
  'add-check-validated',
  'add-unique-constraint',
  'add-primary-key',
  'unbatched-data-change',
  'exclusive-table-operation',
]);
/** Rules that also break version N in pre-deploy, whatever the size: sized in post-deploy only. */
const lockDurationRulesPostDeploy = new Set(['set-not-null', 'alter-column-type']);

/** Whether a finding of this rule in this phase gets its severity from the table's size. */
export function isSizeDependent(rule: string, phase: string | undefined): boolean {
  return lockDurationRules.has(rule) || (phase === 'post' && lockDurationRulesPostDeploy.has(rule));
}

/**
 * Rows and bytes of a table (`table` as SQL text, e.g. `public.users`), or undefined when it
 * does not exist yet. A table never analyzed (reltuples -1) is counted, within the timeout.
 */
export async function tableSize(
  session: ReadOnlySession,
  table: string,
): Promise<TableSize | undefined> {
  const [row] = await session.query<{ reltuples: number; bytes: string }>(
    `SELECT c.reltuples::float8 AS reltuples, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [table],
  );
  if (!row) return undefined;
  const bytes = Number(row.bytes);
  if (row.reltuples >= 0) return { rows: Math.round(row.reltuples), bytes, estimated: true };
  try {
    const [counted] = await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return { rows: Number(counted.n), bytes, estimated: false };
  } catch (error) {
    if (!isStatementTimeout(error)) throw error;
    // Too big to count in time: at least as big as a large table.
    return { rows: Number.MAX_SAFE_INTEGER, bytes, estimated: true };
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 2 : 0)} MB`;
}

function duration(seconds: number): string {
  if (seconds < 1) return 'under a second';
  if (seconds < 120) return `about ${Math.round(seconds)} s`;
  if (seconds < 7_200) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3_600).toFixed(1)} h`;
}

/** "users: about 1,200 rows (0.16 MB); ... under a second at 50 MB/s". */
export function describeSize(table: string, size: TableSize, thresholds: LintThresholds): string {
  const rows =
    size.rows === Number.MAX_SAFE_INTEGER
      ? `too many rows to count within ${thresholds.statementTimeoutMs} ms`
      : `${size.estimated ? 'about ' : ''}${size.rows.toLocaleString('en-US')} rows`;
  const seconds = size.bytes / (thresholds.megabytesPerSecond * 1_000_000);
  return (
    `${table} has ${rows} (${megabytes(size.bytes)} with its indexes); reading or rewriting ` +
    `it takes ${duration(seconds)} at ${thresholds.megabytesPerSecond} MB/s ` +
    '(zeroDowntime.lint.megabytesPerSecond)'
  );
}

/** The finding with its severity set by the table's size, and the size in its message. */
export function sizedFinding(
  finding: Finding,
  table: string,
  size: TableSize,
  thresholds: LintThresholds,
): Finding {
  const { smallTableRows, largeTableRows } = thresholds;
  let severity = finding.severity;
  let verdict = '';
  if (size.rows < smallTableRows && severity === 'error') {
    severity = 'warning';
    verdict = ` Below zeroDowntime.lint.smallTableRows (${smallTableRows}): the lock is brief, a warning.`;
  } else if (size.rows >= largeTableRows && severity === 'warning') {
    severity = 'error';
    verdict = ` At or above zeroDowntime.lint.largeTableRows (${largeTableRows}): an error.`;
  }
  const sized = `${describeSize(table, size, thresholds)}.${verdict}`;
  return { ...finding, severity, message: `${finding.message}\nIn the database: ${sized}` };
}
