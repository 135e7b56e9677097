import { ToolkitError } from '../core/errors';

/**
 * A backfill refusal or failure: a stable code and a sentence the user can act on. Every
 * refusal of bad input happens before anything is written.
 */
export type BackfillErrorCode =
  | 'BACKFILL_BAD_OPTION'
  | 'BACKFILL_UNKNOWN_TABLE'
  | 'BACKFILL_UNKNOWN_COLUMN'
  | 'BACKFILL_NO_PRIMARY_KEY'
  | 'BACKFILL_INVALID_SET'
  | 'BACKFILL_INVALID_WHERE'
  | 'BACKFILL_NAME_CONFLICT'
  | 'BACKFILL_ALREADY_RUNNING'
  | 'BACKFILL_BATCH_FAILED';

export class BackfillError extends ToolkitError<BackfillErrorCode> {}

export function isBackfillError(error: unknown): error is BackfillError {
  return error instanceof BackfillError;
}
