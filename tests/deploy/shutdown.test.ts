import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';
import type { RunningServer } from '../../app/server';
import {
  formatSummary,
  startLoad,
  summarizeLoad as summarize,
  failureKind,
} from 'zero-downtime-toolkit';
import { startTestServer, type TestServer } from '../support/app';
import { createTestDatabase } from 'zero-downtime-toolkit/testing';
import { freePort, projectRoot, tsxCli } from '../support/process';

jest.setTimeout(120_000);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
}

function get(port: number, path: string, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

async function waitUntilRefused(port: number): Promise<void> {
  for (;;) {
    try {
      await get(port, '/health/live', false);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED') return;
      // A probe connection still in the accept queue when the listener closes is reset by the
      // kernel: the listener is going away, so keep probing until connections are refused.
      if (code !== 'ECONNRESET') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('graceful shutdown and idle keep-alive sockets', () => {
  let server: TestServer;
  let running: RunningServer;
  let port: number;

  beforeAll(async () => {
    server = await startTestServer({
      SHUTDOWN_DRAIN_DELAY_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    ({ running, port } = server);
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers a request sent on an idle keep-alive socket after the server stopped accepting, with Connection: close', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(port, '/health/live', agent);
    expect(before.status).toBe(200);
    expect(before.headers.connection).toBe('keep-alive');

    const stopped = running.stop('test');
    await waitUntilRefused(port);
    // The pooled socket has been idle through the whole drain: Node's own server.close()
    // would have destroyed it, and this request would fail with ECONNRESET.
    const after = await get(port, '/health/live', agent);
    expect(after.status).toBe(200);
    expect(after.headers.connection).toBe('close');

    await stopped;
    agent.destroy();
  });
});

interface ClusterEvent {
  event: string;
  pids?: number[];
  exitCode?: number | null;
  exitCodes?: (number | null)[];
  message?: string;
}

/** tests/support/rolling-cluster.ts, driven line by line. */
function startCluster(env: Record<string, string>): {
  child: ChildProcess;
  next(event: string): Promise<ClusterEvent>;
  send(line: string): void;
  events: ClusterEvent[];
} {
  const child = spawn(process.execPath, [tsxCli, 'tests/support/rolling-cluster.ts'], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const events: ClusterEvent[] = [];
  const waiting: { event: string; resolve: (event: ClusterEvent) => void }[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{"event"')) return;
    const event = JSON.parse(line) as ClusterEvent;
    events.push(event);
    const index = waiting.findIndex((w) => w.event === event.event || event.event === 'failed');
    if (index >= 0) waiting.splice(index, 1)[0].resolve(event);
  });
  return {
    child,
    events,
    next: (event) => new Promise((resolve) => waiting.push({ event, resolve })),
    send: (line) => child.stdin!.write(`${line}\n`),
  };
}

describe('rolling restart under keep-alive load', () => {
  it('replaces every worker of a two-worker cluster twice under load over 16 keep-alive connections with zero failed requests', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const cluster = startCluster({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '10000',
      CLUSTER_INSTANCES: '2',
    });
    try {
      const ready = await cluster.next('ready');
      expect(ready.pids).toHaveLength(2);

      const load = startLoad({
        baseUrl: `http://127.0.0.1:${port}`,
        connections: 16,
        ratePerSecond: 400,
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (let round = 0; round < 2; round++) {
        const restarted = cluster.next('restarted');
        cluster.send('restart');
        expect((await restarted).event).toBe('restarted');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const records = await load.stop();
      const summary = summarize(records);
      const failures = records.filter((record) => record.outcome !== 'ok').slice(0, 5);

      expect({
        summary: formatSummary('load', summary),
        failures: failures.map(failureKind),
      }).toEqual({ summary: expect.stringContaining(' 0 failed'), failures: [] });
      expect(summary.requests).toBeGreaterThan(500);
      // Old workers told their keep-alive clients to reconnect elsewhere.
      expect(summary.connectionCloses).toBeGreaterThan(0);
      const replaced = cluster.events.filter((event) => event.event === 'replaced');
      expect(replaced.map((event) => event.exitCode)).toEqual([0, 0, 0, 0]);
    } finally {
      cluster.send('stop');
      await Promise.race([
        cluster.next('stopped'),
        new Promise((resolve) => setTimeout(resolve, 15_000)),
      ]);
      cluster.child.kill('SIGKILL');
      await database.drop();
    }
  });
});
