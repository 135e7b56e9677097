import type { FailedRequest, LoadReport } from './load';

/**
 * Judges a drain from both ends: what the load's clients saw, and what the server's own
 * request log (LOG_LEVEL=http, one JSON line per request, with the X-Request-Id the client
 * sent) says it received.
 *
 * A failed request is one the server accepted and did not answer in full with a 200:
 * - a response other than 200;
 * - an error on a request the server's log records (it read the request, the client did not
 *   get the response), or that the server logged as aborted;
 * - an error on a reused keep-alive socket (the server closed a connection under a client
 *   that was using it: exactly what a careless drain does).
 * Not failed, and counted apart: a new connection reset, before any byte of a response, at
 * the moment the listener closed, for a request the server's log never saw. The kernel had
 * completed that connection's handshake, but the process never accepted it; closing a
 * listening socket resets whatever is still in its accept queue. Like a refused connection
 * it never reached the server, and a client behind a load balancer that honours readiness
 * (which fails for the whole drain delay first) never opens it.
 */
export interface ServerLogLine {
  level?: string;
  message?: string;
  timestamp?: string;
  requestId?: string;
  status?: number;
  aborted?: boolean;
}

export function parseJsonLines(text: string): ServerLogLine[] {
  const lines: ServerLogLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as ServerLogLine);
    } catch {
      // a line that only looks like JSON: not the request log
    }
  }
  return lines;
}

export interface DrainVerdict {
  failed: (FailedRequest | ServerLogLine)[];
  resetInAcceptQueue: FailedRequest[];
  /** When the server logged that it stopped accepting (ms since epoch). */
  stoppedAcceptingAt?: number;
  /** Load requests the server logged. */
  seenByServer: number;
}

/**
 * How far from the server's "stopped accepting" line a reset of a queued connection may be
 * noticed: the line is written just after the listener closed, but on a busy machine either
 * process can be descheduled for a while in between.
 */
const ACCEPT_QUEUE_WINDOW_MS = { before: 1_000, after: 2_000 };

export function judgeDrain(
  report: LoadReport,
  serverLog: ServerLogLine[],
  requestIdPrefix: string,
): DrainVerdict {
  const seen = new Map<string, ServerLogLine>();
  for (const line of serverLog) {
    if (line.requestId?.startsWith(`${requestIdPrefix}-`)) seen.set(line.requestId, line);
  }
  const stopped = serverLog.find((line) => line.message?.startsWith('shutdown: stopped accepting'));
  const stoppedAcceptingAt = stopped?.timestamp ? Date.parse(stopped.timestamp) : undefined;

  const failed: DrainVerdict['failed'] = [];
  const resetInAcceptQueue: FailedRequest[] = [];
  for (const failure of report.failures) {
    const neverAccepted =
      failure.status === undefined &&
      !failure.reusedSocket &&
      /^(ECONNRESET|EPIPE):/.test(failure.error ?? '') &&
      !seen.has(failure.requestId) &&
      stoppedAcceptingAt !== undefined &&
      failure.at >= stoppedAcceptingAt - ACCEPT_QUEUE_WINDOW_MS.before &&
      failure.at <= stoppedAcceptingAt + ACCEPT_QUEUE_WINDOW_MS.after;
    (neverAccepted ? resetInAcceptQueue : failed).push(failure);
  }
  for (const line of seen.values()) {
    if (line.aborted || (line.status !== undefined && line.status !== 200)) failed.push(line);
  }
  return { failed, resetInAcceptQueue, stoppedAcceptingAt, seenByServer: seen.size };
}
