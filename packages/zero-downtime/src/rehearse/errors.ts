import { ToolkitError } from '../core/errors';

/**
 * Why a rehearsal could not run at all (as opposed to running and finding failed requests,
 * which is a report, not an error): a stable code and a sentence the user can act on.
 */
export type RehearsalErrorCode =
  | 'REHEARSAL_BAD_OPTION'
  | 'REHEARSAL_NOT_A_REPOSITORY'
  | 'REHEARSAL_UNKNOWN_REF'
  | 'REHEARSAL_BASE_UNSUPPORTED'
  | 'REHEARSAL_BASE_DEPLOY_FAILED'
  | 'REHEARSAL_HEAD_BUILD_FAILED'
  | 'REHEARSAL_NOTHING_TO_LOAD'
  | 'REHEARSAL_INTERRUPTED';

export class RehearsalError extends ToolkitError<RehearsalErrorCode> {}

export function isRehearsalError(error: unknown): error is RehearsalError {
  return error instanceof RehearsalError;
}
