import { ToolkitError } from '../core/errors';

/** A shadow rebuild refusal or failure: a stable code and what to do about it. */
export class ShadowError extends ToolkitError<string> {}

export function isShadowError(error: unknown): error is ShadowError {
  return error instanceof ShadowError;
}
