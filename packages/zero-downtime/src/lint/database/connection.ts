/**
 * The linter's own connection to a real database: read-only (default_transaction_read_only),
 * every query bounded by a statement_timeout, a name that shows in pg_stat_activity.
 */
import { Client } from 'pg';
import { ToolkitError } from '../../core/errors';
import { redactUrl } from '../../core/url';
import { databaseErrorOf, messageOf } from '../../runner/errors';

/** The database given to the linter cannot be reached. */
export class LintDatabaseError extends ToolkitError<'LINT_DATABASE_UNREACHABLE'> {}

/** A read-only session on the database the migrations will meet. */
export interface ReadOnlySession {
  client: Client;
  serverVersionNum: number;
  statementTimeoutMs: number;
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs each query in its own savepoint of one read-only transaction (rolled back after) and
   * returns, per query, its error or undefined: try-casts that must not end the transaction.
   */
  attemptEach(queries: { sql: string; params: unknown[] }[]): Promise<(unknown | undefined)[]>;
  close(): Promise<void>;
}

/** Opens the linter's read-only session on `url`; every statement bounded by the timeout. */
export async function openReadOnly(
  url: string,
  statementTimeoutMs: number,
): Promise<ReadOnlySession> {
  const client = new Client({
    connectionString: url,
    application_name: 'zdm-migrate-lint',
    statement_timeout: statementTimeoutMs,
    options: '-c default_transaction_read_only=on',
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new LintDatabaseError(
      'LINT_DATABASE_UNREACHABLE',
      `The linter could not connect to ${redactUrl(url)} (${messageOf(error)}): check --database ` +
        '(or DATABASE_URL for the deploy), the network and the credentials.',
      { cause: error },
    );
  }
  const query = async <T extends object>(sql: string, params: unknown[] = []) =>
    (await client.query(sql, params)).rows as T[];
  const [{ version }] = await query<{ version: string }>(
    "SELECT current_setting('server_version_num') AS version",
  );
  return {
    client,
    serverVersionNum: Number(version),
    statementTimeoutMs,
    query,
    async attemptEach(queries) {
      await query('BEGIN READ ONLY');
      try {
        const outcomes: (unknown | undefined)[] = [];
        for (const { sql, params } of queries) {
          await query('SAVEPOINT zdm_lint_attempt');
          outcomes.push(
            await query(sql, params).then(
              () => undefined,
              (error: unknown) => error,
            ),
          );
          await query('ROLLBACK TO SAVEPOINT zdm_lint_attempt');
        }
        return outcomes;
      } finally {
        await query('ROLLBACK').catch(() => undefined);
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}

/** Whether a query failed on its statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  return databaseErrorOf(error)?.code === '57014';
}
