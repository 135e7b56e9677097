import { ToolkitError } from '../core/errors';

/**
 * Why the compat gate could not run at all (as opposed to running and finding a break, which
 * is a report, not an error): a stable code and a sentence the user can act on.
 */
export type CompatErrorCode =
  | 'COMPAT_BAD_OPTION'
  | 'COMPAT_NOT_A_REPOSITORY'
  | 'COMPAT_UNKNOWN_REF'
  | 'COMPAT_BASE_UNSUPPORTED'
  | 'COMPAT_DEPENDENCIES_FAILED'
  | 'COMPAT_WORKTREE_FAILED';

export class CompatError extends ToolkitError<CompatErrorCode> {}

export function isCompatError(error: unknown): error is CompatError {
  return error instanceof CompatError;
}
