import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger';
import { ApiError } from './api-error';
import { sendError } from './error-handler';
import { UNMATCHED_ROUTE, type AppMetrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
  interface Response {
    /** The pattern of the route that took the request (`/users/:id`): the metrics label. */
    routePattern?: string;
  }
}

const deadlineAnswered = new WeakSet<Response>();

/** Whether the request deadline already answered this response with 503. */
export function answeredByDeadline(res: Response): boolean {
  return deadlineAnswered.has(res);
}

export interface RequestContextOptions {
  logger: Logger;
  metrics: AppMetrics | undefined;
  /** 0: no deadline. */
  deadlineMs: number;
}

/**
 * Everything done for every request, in one middleware (each middleware is a cost on every
 * request): the request id (X-Request-Id when sane, else a new one, echoed back), the request
 * deadline, and, once the response is finished or the client gave up, one log line and the
 * request's metrics.
 */
export function requestContext({ logger, metrics, deadlineMs }: RequestContextOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const given = req.get('x-request-id');
    req.id = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const timer = deadlineMs > 0 ? setTimeout(answerDeadline, deadlineMs, req, res) : undefined;
    // 'close' (emitted once) follows 'finish' on a completed response and also fires when the
    // client gives up.
    res.on('close', () => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      metrics?.observe(req.method, res.routePattern ?? UNMATCHED_ROUTE, res.statusCode, seconds);
      logRequest(logger, req, res, seconds);
    });
    next();
  };
}

function answerDeadline(req: Request, res: Response): void {
  if (res.headersSent) return;
  deadlineAnswered.add(res);
  sendError(
    req,
    res,
    new ApiError(
      503,
      'DEADLINE_EXCEEDED',
      'The request took longer than the server allows (REQUEST_DEADLINE_MS); retry shortly.',
    ),
  );
}

function logRequest(logger: Logger, req: Request, res: Response, seconds: number): void {
  const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'http';
  // The logger drops a line of a level that is off; return before building its fields.
  if (!logger.isLevelEnabled(level)) return;
  logger.log(level, `${req.method} ${req.originalUrl} ${res.statusCode}`, {
    requestId: req.id,
    method: req.method,
    path: req.originalUrl,
    status: res.statusCode,
    durationMs: Math.round(seconds * 10_000) / 10,
    aborted: !res.writableFinished || undefined,
  });
}
