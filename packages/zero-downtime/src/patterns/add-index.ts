import { indexInfo } from './catalog';
import { PatternError } from './errors';
import { note, withoutStatementTimeout, type SqlExecutor } from './executor';
import { requireNoTransaction } from './guards';
import {
  bareName,
  columnList,
  objectName,
  quoteIdent,
  quoteQualified,
  siblingName,
} from './identifiers';

export interface AddIndexOptions {
  table: string;
  /** Plain column names; or give `expression` for an expression index. */
  columns?: string[];
  /** The raw key list, e.g. `lower(email)`; needs `name`. */
  expression?: string;
  name?: string;
  unique?: boolean;
  /** Index method: btree (default), gin, gist, brin, hash. */
  using?: string;
  /** Partial index predicate. */
  where?: string;
  include?: string[];
}

const uniqueViolation = '23505';

/**
 * `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, after dropping an INVALID leftover of the same
 * name (what a failed or interrupted concurrent build leaves behind). Returns the index name.
 */
export async function addIndex(db: SqlExecutor, options: AddIndexOptions): Promise<string> {
  const name = indexName(options);
  requireNoTransaction(
    db,
    'addIndex',
    `CREATE INDEX CONCURRENTLY on ${options.table} cannot run in a transaction block, and ` +
      'without CONCURRENTLY the build blocks every write to the table.',
  );
  const existing = await indexInfo(db, options.table, name);
  if (existing?.valid) {
    note(db, `addIndex: ${name} already exists; nothing to do.`);
    return name;
  }
  if (existing) await dropIndexConcurrently(db, options.table, name);
  try {
    await withoutStatementTimeout(db, () => db.query(createIndexSql(options, name)));
  } catch (error) {
    await dropIndexConcurrently(db, options.table, name).catch(() => undefined);
    throw explainIndexFailure(error, options, name);
  }
  return name;
}

export function indexName(options: AddIndexOptions): string {
  if (options.name) return options.name;
  if (!options.columns?.length) {
    throw new PatternError(
      'index-name-required',
      `addIndex: an expression index on ${options.table} needs a name: { name: '...' }.`,
    );
  }
  return objectName(bareName(options.table), ...options.columns, options.unique ? 'key' : 'idx');
}

function createIndexSql(options: AddIndexOptions, name: string): string {
  const keys = options.expression ?? columnList(options.columns ?? []);
  const parts = [
    `CREATE ${options.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)}`,
    `ON ${quoteQualified(options.table)}`,
  ];
  if (options.using) parts.push(`USING ${options.using}`);
  parts.push(`(${keys})`);
  if (options.include?.length) parts.push(`INCLUDE (${columnList(options.include)})`);
  if (options.where) parts.push(`WHERE ${options.where}`);
  return parts.join(' ');
}

function explainIndexFailure(error: unknown, options: AddIndexOptions, name: string): unknown {
  if ((error as { code?: string }).code !== uniqueViolation) return error;
  const keys = options.expression ?? (options.columns ?? []).join(', ');
  return new PatternError(
    'duplicate-keys',
    `addIndex: ${name} cannot be unique, ${options.table} holds duplicate (${keys}). ` +
      `Find them with:\n  SELECT ${keys}, count(*) FROM ${options.table} GROUP BY ${keys} ` +
      `HAVING count(*) > 1;\nfix them, then rerun the migration (the invalid index was dropped).`,
  );
}

async function dropIndexConcurrently(db: SqlExecutor, table: string, name: string) {
  await withoutStatementTimeout(db, () =>
    db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteQualified(siblingName(table, name))}`),
  );
}

export interface RemoveIndexOptions {
  /** The table the index is on (gives its schema). */
  table: string;
  name: string;
}

/** `DROP INDEX CONCURRENTLY IF EXISTS`: a plain DROP INDEX blocks every query on the table. */
export async function removeIndex(db: SqlExecutor, options: RemoveIndexOptions): Promise<void> {
  const { table, name } = options;
  requireNoTransaction(
    db,
    'removeIndex',
    `DROP INDEX CONCURRENTLY cannot run in a transaction block, and a plain DROP INDEX waits ` +
      `for an ACCESS EXCLUSIVE lock on ${table} that queues every query behind it.`,
  );
  const existing = await indexInfo(db, table, name);
  if (!existing) {
    note(db, `removeIndex: ${name} does not exist; nothing to do.`);
    return;
  }
  if (existing.constraint) {
    throw new PatternError(
      'index-backs-constraint',
      `removeIndex: ${name} enforces constraint ${existing.constraint} on ${table}; drop the ` +
        `constraint instead (in post-deploy if version N relies on it):\n` +
        `  ALTER TABLE ${quoteQualified(table)} DROP CONSTRAINT ${quoteIdent(existing.constraint)};`,
    );
  }
  await dropIndexConcurrently(db, table, name);
}
