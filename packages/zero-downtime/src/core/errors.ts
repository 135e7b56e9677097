/**
 * Every error the toolkit raises on purpose: a code to branch on, a sentence a person can act
 * on, optional details for machines, and the cause. The command line prints code and message
 * (and the stack only with --verbose); anything that is not a ToolkitError is a bug.
 */
export interface ToolkitErrorOptions {
  details?: object;
  cause?: unknown;
}

export class ToolkitError<Code extends string = string> extends Error {
  readonly details: object;

  constructor(
    readonly code: Code,
    message: string,
    options: ToolkitErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }
}

export function isToolkitError(error: unknown): error is ToolkitError {
  return error instanceof ToolkitError;
}
