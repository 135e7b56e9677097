import { ToolkitError } from '../core/errors';

/** A comparison that could not run: bad options, unknown tables or columns, unusable keys. */
export type CompareErrorCode =
  | 'COMPARE_BAD_OPTION'
  | 'COMPARE_UNKNOWN_TABLE'
  | 'COMPARE_UNKNOWN_COLUMN'
  | 'COMPARE_NO_KEY'
  | 'COMPARE_KEY_MISMATCH';

export class CompareError extends ToolkitError<CompareErrorCode> {}

export function isCompareError(error: unknown): error is CompareError {
  return error instanceof CompareError;
}
