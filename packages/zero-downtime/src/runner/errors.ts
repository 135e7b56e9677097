import { ToolkitError } from '../core/errors';
import type { BlockingSession } from './blockers';

export type RunnerErrorCode =
  | 'MIGRATION_FAILED'
  | 'MIGRATION_LOCK_TIMEOUT'
  | 'MIGRATION_CHANGED'
  | 'MIGRATION_MOVED'
  | 'MIGRATION_NAME_INVALID'
  | 'MIGRATION_DUPLICATE'
  | 'MIGRATION_INVALID'
  | 'MIGRATION_NOT_REVERSIBLE'
  | 'MIGRATION_NOT_FOUND'
  | 'MIGRATION_EXISTS'
  | 'PRE_DEPLOY_PENDING'
  | 'DOWN_REFUSED_IN_PRODUCTION'
  | 'ACCEPT_REFUSED'
  | 'MIGRATIONS_DIR_MISSING'
  | 'SQL_PARSE_ERROR';

export interface RunnerErrorDetails {
  migration?: string;
  statement?: string;
  line?: number;
  blockers?: BlockingSession[];
  /** SQLSTATE of the database error behind the failure, e.g. '55P03'. */
  sqlState?: string;
}

/** Every refusal and failure of the runner: a code to branch on, a sentence to act on. */
export class MigrationRunnerError extends ToolkitError<RunnerErrorCode> {
  declare readonly details: RunnerErrorDetails;

  constructor(
    code: RunnerErrorCode,
    message: string,
    details: RunnerErrorDetails = {},
    options: { cause?: unknown } = {},
  ) {
    super(code, message, { details, cause: options.cause });
  }
}

export interface DatabaseErrorFields {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** The PostgreSQL error inside whatever wrapped it (Sequelize, Umzug). */
export function databaseErrorOf(error: unknown): DatabaseErrorFields | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const fields = current as Record<string, unknown>;
    if (typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code)) {
      return {
        code: fields.code,
        message: String(fields.message),
        detail: typeof fields.detail === 'string' ? fields.detail : undefined,
        hint: typeof fields.hint === 'string' ? fields.hint : undefined,
      };
    }
    current = fields.original ?? fields.parent ?? fields.cause;
  }
  return undefined;
}

export function isLockTimeout(error: unknown): boolean {
  return databaseErrorOf(error)?.code === '55P03';
}

export function messageOf(error: unknown): string {
  const database = databaseErrorOf(error);
  if (database) {
    return [database.message, database.detail, database.hint && `Hint: ${database.hint}`]
      .filter(Boolean)
      .join('. ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** One line of SQL for a message: whitespace collapsed, long statements cut. */
export function excerpt(sql: string, max = 160): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
