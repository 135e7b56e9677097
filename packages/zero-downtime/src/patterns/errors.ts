import { ToolkitError } from '../core/errors';

/**
 * A refusal or failure of a pattern helper: a stable code and a sentence that says what is
 * dangerous and prints the safe recipe with the user's own names filled in.
 */
export class PatternError extends ToolkitError<string> {}

export function isPatternError(error: unknown): error is PatternError {
  return error instanceof PatternError;
}
