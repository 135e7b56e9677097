/** A shadow rebuild refusal or failure: a stable code and what to do about it. */
export class ShadowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShadowError';
  }
}

export function isShadowError(error: unknown): error is ShadowError {
  return error instanceof ShadowError;
}
