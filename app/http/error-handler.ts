import type { NextFunction, Request, Response } from 'express';
import { ConnectionError, UniqueConstraintError } from 'sequelize';
import type { Logger } from '../logger';
import { ApiError, type ErrorBody } from './api-error';

/** The 404 catch-all, registered after every route. */
export function notFound() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    next(ApiError.notFound(`No route for ${req.method} ${req.path}.`));
  };
}

/**
 * Turns every error into one JSON shape carrying the request id. Unexpected errors are logged
 * with their stack and, in production, answered without internals.
 */
export function errorHandler(options: { logger: Logger; exposeInternals: boolean }) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const apiError = toApiError(error, options.exposeInternals);
    if (!apiError.operational) {
      options.logger.error('unhandled error', { requestId: req.id, error });
    }
    sendError(req, res, apiError);
  };
}

/** Answers with the one error shape. */
export function sendError(req: Request, res: Response, apiError: ApiError): void {
  const body: ErrorBody = {
    error: {
      code: apiError.code,
      message: apiError.message,
      ...(apiError.details === undefined ? {} : { details: apiError.details }),
      requestId: req.id,
    },
  };
  res.status(apiError.status).json(body);
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function toApiError(error: unknown, exposeInternals: boolean): ApiError {
  if (error instanceof ApiError) return error;
  const bodyError = fromBodyParser(error as BodyParserError);
  if (bodyError) return bodyError;
  if (error instanceof UniqueConstraintError) {
    const fields = Object.keys(error.fields ?? {});
    return ApiError.conflict(
      `A record with this ${fields.join(', ') || 'value'} already exists.`,
      fields.map((field) => ({ field: `body.${field}`, message: 'already taken' })),
    );
  }
  if (sqlState(error) === STATEMENT_TIMEOUT) {
    return new ApiError(
      503,
      'DATABASE_TIMEOUT',
      'The database took longer than allowed (DATABASE_STATEMENT_TIMEOUT_MS); retry shortly.',
    );
  }
  if (error instanceof ConnectionError || isConnectionFailure(error)) {
    return new ApiError(503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly.');
  }
  const message =
    exposeInternals && error instanceof Error ? error.message : 'Something went wrong on our side.';
  const details = exposeInternals && error instanceof Error ? { stack: error.stack } : undefined;
  return new ApiError(500, 'INTERNAL_ERROR', message, details, false);
}

function fromBodyParser(error: BodyParserError): ApiError | undefined {
  switch (error?.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new ApiError(
        413,
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than the limit of ${error.limit} bytes.`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UNSUPPORTED_ENCODING', error.message);
    case 'request.aborted':
      return new ApiError(400, 'REQUEST_ABORTED', 'The client aborted the request.');
    default:
      if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
        return new ApiError(error.status, 'BAD_REQUEST', error.message);
      }
      return undefined;
  }
}

/** SQLSTATE class 08 (connection exception), and a server shutting down or starting up. */
const CONNECTION_SQLSTATE = /^(08...|57P0[123])$/;
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** pg's errors for a connection lost in the middle of a query carry no code, only a message. */
const LOST_CONNECTION = /^Connection terminated|is not queryable$/;

/** query_canceled: what PostgreSQL answers when `statement_timeout` cuts a query. */
const STATEMENT_TIMEOUT = '57014';

function originalError(error: unknown): { code?: string; message?: string } | undefined {
  return (error as { original?: { code?: string; message?: string } })?.original;
}

function sqlState(error: unknown): string {
  return originalError(error)?.code ?? '';
}

/** Errors of a pool that cannot reach PostgreSQL (restart, failover, network). */
function isConnectionFailure(error: unknown): boolean {
  const original = originalError(error);
  const code = sqlState(error);
  return (
    CONNECTION_SQLSTATE.test(code) ||
    CONNECTION_ERRNO.has(code) ||
    LOST_CONNECTION.test(original?.message ?? '')
  );
}
