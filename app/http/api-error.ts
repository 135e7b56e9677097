/**
 * The one error type of the HTTP layer. `operational` errors are expected (bad input, missing
 * rows) and their message is shown as is; anything else is a bug and is hidden in production.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly operational = true,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static badRequest(message: string, details?: unknown): ApiError {
    return new ApiError(400, 'BAD_REQUEST', message, details);
  }

  static validation(details: FieldProblem[]): ApiError {
    const fields = [...new Set(details.map((problem) => problem.field))].join(', ');
    return new ApiError(400, 'VALIDATION_FAILED', `Invalid request: check ${fields}.`, details);
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, 'NOT_FOUND', message);
  }

  static conflict(message: string, details?: unknown): ApiError {
    return new ApiError(409, 'CONFLICT', message, details);
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId: string };
}
