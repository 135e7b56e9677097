import http from 'node:http';
import { randomBytes } from 'node:crypto';

/**
 * A keep-alive load generator that records the outcome of every single request, so a deploy
 * can be judged by "how many requests failed, and how", not by averages. Used by
 * `npm run bench:deploy`, the shutdown tests and `npm run rehearse`.
 *
 * Each connection is a loop sending one request at a time on a shared keep-alive agent (one
 * socket per loop). Node's agent honours `Connection: close`: a socket the server asked to
 * close is never reused, which is the client behaviour graceful shutdown relies on.
 */

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** Statuses that count as success; anything else is an unexpected status. */
  expect: number[];
  /** Called with the parsed JSON body of a successful response. */
  onSuccess?: (body: unknown) => void;
}

export type Outcome = 'ok' | 'unexpected-status' | 'socket-error' | 'timeout';

export interface RequestRecord {
  method: string;
  /** The route shape (ids replaced), for grouping. */
  route: string;
  startedAt: number;
  endedAt: number;
  latencyMs: number;
  outcome: Outcome;
  status?: number;
  /** Socket error code (ECONNRESET, ECONNREFUSED, EPIPE, ...) or the error message. */
  error?: string;
  /** The server asked to close the connection after this response. */
  connectionClose: boolean;
}

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  /** Overall requests per second to aim for; omitted: as fast as each loop goes. */
  ratePerSecond?: number;
  /** A request not answered within this counts as a timeout. */
  timeoutMs?: number;
  /** What to send next; defaults to a read/write mix on /users. */
  nextRequest?: (loop: number) => RequestSpec;
}

export interface LoadRun {
  readonly records: readonly RequestRecord[];
  /** Stops sending; resolves once every request in flight has an outcome. */
  stop(): Promise<RequestRecord[]>;
}

export function startLoad(options: LoadOptions): LoadRun {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const records: RequestRecord[] = [];
  const nextRequest = options.nextRequest ?? usersMix().next;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.ratePerSecond
    ? (1000 * options.connections) / options.ratePerSecond
    : 0;
  let running = true;

  const loop = async (index: number): Promise<void> => {
    let nextAt = Date.now() + (intervalMs * index) / options.connections;
    while (running) {
      const wait = nextAt - Date.now();
      if (wait > 0) await sleep(wait);
      if (!running) return;
      nextAt = Math.max(nextAt + intervalMs, Date.now() - intervalMs);
      records.push(await send(agent, options.baseUrl, nextRequest(index), timeoutMs));
    }
  };
  const loops = Array.from({ length: options.connections }, (_, index) => loop(index));

  return {
    records,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return records;
    },
  };
}

function send(
  agent: http.Agent,
  baseUrl: string,
  spec: RequestSpec,
  timeoutMs: number,
): Promise<RequestRecord> {
  const startedAt = Date.now();
  const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
  const base = {
    method: spec.method,
    route: routeOf(spec.path),
    startedAt,
    connectionClose: false,
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (fields: Partial<RequestRecord> & { outcome: Outcome }) => {
      if (settled) return;
      settled = true;
      const endedAt = Date.now();
      resolve({ ...base, endedAt, latencyMs: endedAt - startedAt, ...fields });
    };
    const req = http.request(
      new URL(spec.path, baseUrl),
      {
        method: spec.method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) =>
          finish({ outcome: 'socket-error', error: error.code ?? error.message }),
        );
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const connectionClose = res.headers.connection === 'close';
          const ok = spec.expect.includes(status);
          if (ok && spec.onSuccess) spec.onSuccess(parseJson(Buffer.concat(chunks)));
          finish({ outcome: ok ? 'ok' : 'unexpected-status', status, connectionClose });
        });
      },
    );
    req.setTimeout(timeoutMs, () => {
      finish({ outcome: 'timeout', error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ outcome: 'socket-error', error: error.code ?? error.message }),
    );
    req.end(payload);
  });
}

/**
 * Reads and writes on /users: creates (201), renames one (200), reads one (200) and lists
 * (200). `writeShare` of the requests are writes, half creates and half renames. Ids come
 * from the users this generator created, so every expected status is exact.
 */
export function usersMix(writeShare = 0.25): {
  next: (loop: number) => RequestSpec;
  created: string[];
} {
  const created: string[] = [];
  const tag = randomBytes(4).toString('hex');
  let counter = 0;
  let writes = 0;
  const remember = (body: unknown) => {
    const id = (body as { id?: string } | undefined)?.id;
    if (id) created.push(String(id));
  };
  const anyId = () => created[Math.floor(Math.random() * created.length)];
  const next = (): RequestSpec => {
    const n = counter++;
    // Writes are spread evenly: request n is a write when the share says one is due.
    const write = created.length < 20 || writes < Math.floor((n + 1) * writeShare);
    if (write) writes++;
    if (created.length < 20 || (write && writes % 2 === 1)) {
      return {
        method: 'POST',
        path: '/users',
        body: { email: `load-${tag}-${n}@example.com`, name: `Load ${n}` },
        expect: [201],
        onSuccess: remember,
      };
    }
    if (write) {
      return {
        method: 'PATCH',
        path: `/users/${anyId()}`,
        body: { name: `Renamed ${n}` },
        expect: [200],
      };
    }
    if (n % 2 === 0) return { method: 'GET', path: '/users?limit=10', expect: [200] };
    return { method: 'GET', path: `/users/${anyId()}`, expect: [200] };
  };
  return { next, created };
}

export interface LoadSummary {
  requests: number;
  failed: number;
  /** Failures by kind: `status 502`, `socket ECONNRESET`, `timeout`. */
  failuresByKind: Record<string, number>;
  connectionCloses: number;
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Counts, failures by kind and latency percentiles. The rate is over `durationMs` when given
 * (for a subset of a run), else over the span from the first request to the last answer.
 */
export function summarize(records: readonly RequestRecord[], durationMs?: number): LoadSummary {
  const failuresByKind: Record<string, number> = {};
  let failed = 0;
  for (const record of records) {
    if (record.outcome === 'ok') continue;
    failed++;
    const kind = failureKind(record);
    failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
  }
  const latencies = records.map((record) => record.latencyMs).sort((a, b) => a - b);
  let first = Infinity;
  let last = -Infinity;
  for (const record of records) {
    first = Math.min(first, record.startedAt);
    last = Math.max(last, record.endedAt);
  }
  const span = durationMs ?? (records.length > 0 ? last - first : 1000);
  const seconds = Math.max(span / 1000, 0.001);
  return {
    requests: records.length,
    failed,
    failuresByKind,
    connectionCloses: records.filter((record) => record.connectionClose).length,
    ratePerSecond: Math.round(records.length / seconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? 0,
  };
}

export function failureKind(record: RequestRecord): string {
  if (record.outcome === 'unexpected-status') return `status ${record.status}`;
  if (record.outcome === 'socket-error') return `socket ${record.error}`;
  return record.outcome;
}

/** Records whose request overlapped one of the windows, and the rest. */
export function splitByWindows(
  records: readonly RequestRecord[],
  windows: readonly { start: number; end: number }[],
): { inside: RequestRecord[]; outside: RequestRecord[] } {
  const inside: RequestRecord[] = [];
  const outside: RequestRecord[] = [];
  for (const record of records) {
    const overlaps = windows.some((w) => record.endedAt >= w.start && record.startedAt <= w.end);
    (overlaps ? inside : outside).push(record);
  }
  return { inside, outside };
}

export function formatSummary(label: string, summary: LoadSummary): string {
  const failures = Object.entries(summary.failuresByKind)
    .map(([kind, count]) => `${kind}: ${count}`)
    .join(', ');
  return (
    `${label}: ${summary.requests} requests (${summary.ratePerSecond}/s), ` +
    `${summary.failed} failed${failures ? ` (${failures})` : ''}, ` +
    `p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, max ${summary.maxMs} ms, ` +
    `${summary.connectionCloses} answered with Connection: close`
  );
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

function routeOf(path: string): string {
  return path.replace(/\?.*$/, '').replace(/\/\d+$/, '/:id');
}

function parseJson(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
