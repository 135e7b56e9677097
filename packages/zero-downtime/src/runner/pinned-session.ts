import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueryTypes, Sequelize, type Options } from 'sequelize';
import type { Logger } from '../core/logger';
import { loadSqlParser } from '../sql/split';
import { MigrationRunnerError } from './errors';
import { dropInvalidIndexNamed } from './invalid-indexes';
import type { RunnerSettings } from './settings';
import { planSql } from './statement-plan';

/**
 * One migration attempt runs on ONE database connection: a Sequelize instance whose pool holds
 * a single connection. The migration's raw queries, queryInterface calls and toolkit helpers all
 * land on it, so the runner's BEGIN/COMMIT and its lock_timeout / statement_timeout cover every
 * statement. Should that connection ever be replaced, the next query fails instead of silently
 * running outside the transaction with default timeouts.
 */
export interface SessionOptions {
  databaseUrl: string;
  settings: RunnerSettings;
  migrationName: string;
  /** The migration's source file: a .ts migration's statements get the line that sent them. */
  migrationPath?: string;
  logger: Logger;
  serverVersion?: string;
}

export interface CurrentStatement {
  text: string;
  /** Line in the .sql file, when the statement came from one. */
  line?: number;
}

/** A statement the migration sent, with the line of its file that sent it when known. */
export interface SentStatement {
  text: string;
  line?: number;
}

export interface Timeouts {
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

type QueryFunction = Sequelize['query'];

// pool.idle / evict: never let the pool close the connection between two statements.
const NEVER_MS = 2_147_483_647;

export class PinnedSession {
  readonly sequelize: Sequelize;
  pid = 0;
  /** Every statement the migration itself sent, in order (what the linter reads for .ts). */
  readonly statements: SentStatement[] = [];
  current: CurrentStatement | undefined;
  inTransaction = false;
  private nextLine: number | undefined;
  private internalDepth = 0;
  private readonly rawQuery: QueryFunction;

  private constructor(private readonly options: SessionOptions) {
    const { settings, migrationName } = options;
    const sequelizeOptions: Options & { databaseVersion?: string } = {
      dialect: 'postgres',
      logging: (message: string) => this.capture(message),
      // Known up front, so Sequelize opens no extra connection to ask the server.
      databaseVersion: options.serverVersion,
      pool: { max: 1, min: 0, idle: NEVER_MS, evict: NEVER_MS, acquire: NEVER_MS },
      dialectOptions: {
        application_name: `zdm-migrate ${migrationName}`.slice(0, 63),
        lock_timeout: settings.lockTimeoutMs,
        statement_timeout: settings.statementTimeoutMs,
      },
    };
    this.sequelize = new Sequelize(options.databaseUrl, sequelizeOptions);
    this.sequelize.addHook('afterConnect', () => {
      if (this.pid !== 0) {
        throw new MigrationRunnerError(
          'MIGRATION_FAILED',
          `The database connection of migration ${migrationName} was lost mid-migration; ` +
            'its transaction (if any) was rolled back by PostgreSQL. Rerun the migration.',
          { migration: migrationName },
        );
      }
    });
    this.rawQuery = this.sequelize.query.bind(this.sequelize) as QueryFunction;
    this.sequelize.query = ((sql: unknown, queryOptions?: unknown) =>
      this.migrationQuery(sql, queryOptions)) as QueryFunction;
    this.sequelize.transaction = (() => {
      throw new MigrationRunnerError(
        'MIGRATION_INVALID',
        `Migration ${migrationName} called sequelize.transaction(): the runner already runs ` +
          'each migration in one transaction on its one connection. Remove the call, or export ' +
          '`const transaction = false` and group statements with the toolkit helpers.',
        { migration: migrationName },
      );
    }) as unknown as Sequelize['transaction'];
  }

  static async open(options: SessionOptions): Promise<PinnedSession> {
    await loadSqlParser();
    const session = new PinnedSession(options);
    const [row] = await session.internal<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    session.pid = row.pid;
    // PostgreSQL 14+: a killed runner's statement stops within a second instead of running on.
    await session.internal('SET client_connection_check_interval = 1000').catch(() => undefined);
    return session;
  }

  /** The line of the .sql file the next migration statement comes from. */
  expectLine(line: number): void {
    this.nextLine = line;
  }

  /** Runner bookkeeping on the pinned connection: not captured, not the "current statement". */
  async internal<T extends object = Record<string, unknown>>(
    sql: string,
    bind?: unknown[],
  ): Promise<T[]> {
    this.internalDepth += 1;
    try {
      return (await this.rawQuery(sql, { bind, type: QueryTypes.SELECT, raw: true })) as T[];
    } finally {
      this.internalDepth -= 1;
    }
  }

  async begin(): Promise<void> {
    await this.internal('BEGIN');
    this.inTransaction = true;
  }

  async commit(): Promise<void> {
    await this.internal('COMMIT');
    this.inTransaction = false;
  }

  async rollback(): Promise<void> {
    this.inTransaction = false;
    await this.internal('ROLLBACK');
  }

  /** Runs `work` with some timeouts changed (0 = none), then restores the runner's values. */
  async withTimeouts<T>(timeouts: Timeouts, work: () => Promise<T>): Promise<T> {
    const { settings } = this.options;
    await this.setTimeouts(timeouts.lockTimeoutMs, timeouts.statementTimeoutMs);
    try {
      return await work();
    } finally {
      await this.setTimeouts(
        timeouts.lockTimeoutMs === undefined ? undefined : settings.lockTimeoutMs,
        timeouts.statementTimeoutMs === undefined ? undefined : settings.statementTimeoutMs,
      ).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.sequelize.close().catch(() => undefined);
  }

  private async setTimeouts(lockMs?: number, statementMs?: number): Promise<void> {
    if (lockMs !== undefined) await this.internal(`SET lock_timeout = ${Math.trunc(lockMs)}`);
    if (statementMs !== undefined) {
      await this.internal(`SET statement_timeout = ${Math.trunc(statementMs)}`);
    }
  }

  private capture(message: string): void {
    if (this.internalDepth > 0) return;
    const text = message.replace(/^Executing \([^)]*\): /, '');
    this.statements.push({ text, line: this.current?.line });
  }

  /** The line of the migration file on the stack of this query call (a .ts migration's call). */
  private callerLine(): number | undefined {
    const file = this.options.migrationPath;
    return file === undefined ? undefined : callerLineIn(file);
  }

  /** Every statement of the migration goes through here, whoever sends it. */
  private async migrationQuery(sql: unknown, queryOptions?: unknown): Promise<unknown> {
    if (this.internalDepth > 0) return this.rawQuery(sql as string, queryOptions as object);
    const text = typeof sql === 'string' ? sql : String((sql as { query?: unknown }).query ?? '');
    this.current = { text, line: this.nextLine ?? this.callerLine() };
    this.nextLine = undefined;
    const plan = planSql(text);
    if (this.inTransaction && plan.controlsTransaction) {
      throw new MigrationRunnerError(
        'MIGRATION_INVALID',
        `Migration ${this.options.migrationName} sent \`${text.trim()}\` inside the runner's ` +
          'transaction, which would commit or abandon it halfway. Remove it, or export ' +
          '`const transaction = false` to manage transactions yourself.',
        { migration: this.options.migrationName, statement: text },
      );
    }
    if (!this.inTransaction) {
      for (const index of plan.concurrentIndexes) {
        await dropInvalidIndexNamed(this, index, this.options.logger);
      }
    }
    const send = () => this.rawQuery(sql as string, queryOptions as object);
    if (plan.concurrent)
      return this.withTimeouts({ lockTimeoutMs: 0, statementTimeoutMs: 0 }, send);
    if (plan.validates) return this.withTimeouts({ statementTimeoutMs: 0 }, send);
    return send();
  }
}

/**
 * The line in `file` of the nearest frame of the current stack (async frames included) that
 * runs code of that file: where a migration called queryInterface, sequelize.query or a helper.
 */
export function callerLineIn(file: string): number | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const wanted = path.resolve(file);
  for (const match of stack.matchAll(/(?:\(|at )((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/gm)) {
    const frameFile = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    if (path.resolve(frameFile) === wanted) return Number(match[2]);
  }
  return undefined;
}
