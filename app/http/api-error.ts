import { z } from 'zod';

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
    const problems = details.map((problem) => problem.message).join('; ');
    return new ApiError(400, 'VALIDATION_FAILED', `Invalid request: ${problems}.`, details);
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

/** The one shape of every error response, whatever its status. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({
      description: 'Stable, machine-readable: VALIDATION_FAILED, NOT_FOUND, ...',
      example: 'VALIDATION_FAILED',
    }),
    message: z.string().meta({
      description: 'For people: what was wrong and what to do',
      example: 'Invalid request: email is required.',
    }),
    details: z
      .unknown()
      .optional()
      .meta({ description: 'For VALIDATION_FAILED and CONFLICT: a list of { field, message }' }),
    requestId: z.string().meta({ description: 'The X-Request-Id of the request, for the logs' }),
  }),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;
