import http from 'node:http';

/**
 * A small HTTP client for fault scenarios: talks only to 127.0.0.1, records every answer
 * (status, body, when) or the failure (socket error, or the client's own timeout), and a load
 * loop bounded both in request count and in time.
 */
export interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Answer {
  method: string;
  path: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  body?: string;
  /** A socket error code, or `client-timeout` when no answer came within the client's limit. */
  failure?: string;
}

export function send(
  port: number,
  request: Sent,
  options: { agent?: http.Agent; timeoutMs?: number } = {},
): Promise<Answer> {
  const startedAt = Date.now();
  const base = { method: request.method, path: request.path, startedAt };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (fields: Partial<Answer>) => {
      if (settled) return;
      settled = true;
      resolve({ ...base, endedAt: Date.now(), ...fields });
    };
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined && headers['content-length'] === undefined) {
      headers['content-length'] = Buffer.byteLength(request.body);
    }
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) =>
          finish({ failure: error.code ?? error.message }),
        );
        res.on('end', () =>
          finish({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 20_000, () => {
      finish({ failure: 'client-timeout' });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ failure: error.code ?? error.message }),
    );
    req.end(request.body);
  });
}

export interface Load {
  readonly answers: readonly Answer[];
  stop(): Promise<Answer[]>;
}

/**
 * `loops` loops, each sending one request at a time on a shared keep-alive agent, until
 * `stop()`, `maxRequests` in all, or `maxMs` has passed, whichever comes first.
 */
export function startLoad(
  port: number,
  options: {
    loops: number;
    next: (loop: number, count: number) => Sent;
    maxRequests: number;
    maxMs: number;
    timeoutMs?: number;
    pauseMs?: number;
  },
): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.loops });
  const answers: Answer[] = [];
  const until = Date.now() + options.maxMs;
  let sent = 0;
  let running = true;
  const loop = async (index: number): Promise<void> => {
    while (running && sent < options.maxRequests && Date.now() < until) {
      const request = options.next(index, sent++);
      answers.push(await send(port, request, { agent, timeoutMs: options.timeoutMs }));
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const loops = Array.from({ length: options.loops }, (_, index) => loop(index));
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return answers;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitForStatus(
  port: number,
  path: string,
  status: number,
  timeoutMs = 30_000,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    const answer = await send(port, { method: 'GET', path }, { timeoutMs: 5_000 });
    if (answer.status === status) return Date.now();
    last = answer.failure ?? `status ${answer.status}`;
    await sleep(100);
  }
  throw new Error(`${path} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

export function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}
