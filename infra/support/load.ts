import http from 'node:http';

/**
 * A bounded keep-alive load on 127.0.0.1, for watching a server drain. Each client has its own
 * keep-alive agent with one socket, and sends its requests back to back.
 *
 * What counts as a failed request: every request that got a response must have got a 200, and
 * no request may be cut off once the connection it was sent on was accepted (a reset, a hang-up
 * before the response ended, a timeout), whether the socket was new or reused. A connection
 * refused at connect time never reached the server, so it is not a failed request: it is how a
 * client learns that the listener has closed, and that client then stops.
 */
export interface LoadOptions {
  port: number;
  paths: string[];
  clients: number;
  /** Upper bound on the requests of all clients together. */
  maxRequests: number;
  /** Upper bound on the whole run. */
  maxDurationMs: number;
  /** A request that has not finished by then is a failure. */
  requestTimeoutMs: number;
  /** Each request is sent with `X-Request-Id: <prefix>-<client>-<n>`. */
  requestIdPrefix: string;
}

export interface FailedRequest {
  client: number;
  path: string;
  /** The X-Request-Id it was sent with, which the server's request log records. */
  requestId: string;
  at: number;
  reusedSocket: boolean;
  status?: number;
  error?: string;
}

export interface LoadReport {
  requests: number;
  /** End times (ms since epoch) of the requests answered 200. */
  okAt: number[];
  failures: FailedRequest[];
  refused: number;
  /** When the first connection was refused. */
  firstRefusedAt?: number;
  /** Per-client reason to stop. */
  stoppedBy: ('refused' | 'max-requests' | 'max-duration' | 'stopped')[];
  startedAt: number;
  endedAt: number;
}

interface Outcome {
  status?: number;
  error?: string;
  code?: string;
  reusedSocket: boolean;
}

function request(
  agent: http.Agent,
  port: number,
  path: string,
  requestId: string,
  timeoutMs: number,
) {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const done = (outcome: Outcome) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      }
    };
    const headers = { 'x-request-id': requestId };
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => done({ status: res.statusCode, reusedSocket: req.reusedSocket }));
      res.on('aborted', () =>
        done({ error: 'response aborted', code: 'ABORTED', reusedSocket: req.reusedSocket }),
      );
      res.on('error', (error: NodeJS.ErrnoException) =>
        done({ error: error.message, code: error.code, reusedSocket: req.reusedSocket }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ error: error.message, code: error.code, reusedSocket: req.reusedSocket }),
    );
    const timer = setTimeout(() => {
      done({
        error: `no response within ${timeoutMs} ms`,
        code: 'TIMEOUT',
        reusedSocket: req.reusedSocket,
      });
      req.destroy();
    }, timeoutMs);
  });
}

export interface RunningLoad {
  /** Requests answered 200 so far. */
  okCount(): number;
  /** Stops the clients after their current request. */
  stop(): void;
  done: Promise<LoadReport>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const report: LoadReport = {
    requests: 0,
    okAt: [],
    failures: [],
    refused: 0,
    stoppedBy: [],
    startedAt: Date.now(),
    endedAt: 0,
  };
  const deadline = report.startedAt + options.maxDurationMs;
  let stopped = false;

  const client = async (index: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; ; i++) {
        if (stopped) return 'stopped' as const;
        if (report.requests >= options.maxRequests) return 'max-requests' as const;
        if (Date.now() >= deadline) return 'max-duration' as const;
        const path = options.paths[(index + i) % options.paths.length];
        const requestId = `${options.requestIdPrefix}-${index}-${i}`;
        report.requests++;
        const outcome = await request(
          agent,
          options.port,
          path,
          requestId,
          options.requestTimeoutMs,
        );
        const at = Date.now();
        if (outcome.code === 'ECONNREFUSED') {
          report.refused++;
          report.firstRefusedAt ??= at;
          return 'refused' as const;
        }
        if (outcome.status === 200) {
          report.okAt.push(at);
        } else {
          report.failures.push({
            client: index,
            path,
            requestId,
            at,
            reusedSocket: outcome.reusedSocket,
            status: outcome.status,
            error: outcome.error && `${outcome.code}: ${outcome.error}`,
          });
        }
      }
    } finally {
      agent.destroy();
    }
  };

  const done = Promise.all(Array.from({ length: options.clients }, (_, i) => client(i))).then(
    (reasons) => {
      report.stoppedBy = reasons;
      report.endedAt = Date.now();
      return report;
    },
  );
  return {
    okCount: () => report.okAt.length,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/** GET on 127.0.0.1 with a fresh connection; resolves with the status and the parsed body. */
export async function getJson(port: number, path: string, timeoutMs = 5_000) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as Record<string, unknown> };
}
