import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { RunningServer } from '../app/server';
import { createTestDatabase } from 'zero-downtime-toolkit/testing';
import { startTestServer, type TestServer } from './support/app';
import { freePort, spawnTs, stopLeftoverPostgres, waitForStatus } from './support/process';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(options: http.RequestOptions, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('graceful shutdown (in process)', () => {
  let server: TestServer;
  let running: RunningServer;
  let port: number;

  beforeAll(async () => {
    server = await startTestServer({ SHUTDOWN_DRAIN_DELAY_MS: '400', SHUTDOWN_TIMEOUT_MS: '5000' });
    ({ running, port } = server);
  });

  afterAll(async () => {
    await server.close();
  });

  it('fails readiness at once, finishes the in-flight request with Connection: close, then refuses new connections', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ready = await send({ port, path: '/health/ready', agent });
    expect(ready.status).toBe(200);

    // A request whose body is still arriving when shutdown begins.
    const slowBody = JSON.stringify({ email: 'slow@example.com', name: 'Slow' });
    const inFlight = new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          port,
          path: '/users',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': slowBody.length },
        },
        (res) => {
          let data = '';
          res.on('data', (chunk) => (data += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }),
          );
        },
      );
      req.on('error', reject);
      req.write(slowBody.slice(0, 10));
      setTimeout(() => req.end(slowBody.slice(10)), 700);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopped = running.stop('test');
    const duringDrain = await send({ port, path: '/health/ready', agent });
    expect(duringDrain.status).toBe(503);
    expect(duringDrain.headers.connection).toBe('close');

    const slow = await inFlight;
    expect(slow.status).toBe(201);
    expect(slow.headers.connection).toBe('close');

    await stopped;
    await expect(send({ port, path: '/health/live' })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    agent.destroy();
  });
});

describe('the process entry point', () => {
  it('serves with DATABASE_URL set and exits 0 on SIGTERM', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const child = spawnTs('app/server.ts', [], {
      DATABASE_URL: database.url,
      PORT: String(port),
      NODE_ENV: 'production',
      SHUTDOWN_DRAIN_DELAY_MS: '100',
    });
    try {
      await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200);
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(child.output()).toContain('shutdown: complete');
    } finally {
      child.process.kill('SIGKILL');
      await database.drop();
    }
  });

  // initdb on a busy machine can take most of a minute.
  it('starts an embedded PostgreSQL when DATABASE_URL is unset, migrates it, prints how to connect, keeps its log in a file, refuses a second start on it in one line, and stops it on SIGTERM', async () => {
    const port = await freePort();
    const postgresPort = await freePort();
    const dataDir = path.join(os.tmpdir(), `zdm-embedded-start-${process.pid}-${Date.now()}`);
    const child = spawnTs('app/server.ts', [], {
      DATABASE_URL: '',
      PORT: String(port),
      NODE_ENV: 'development',
      LOG_LEVEL: 'debug',
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(postgresPort),
    });
    try {
      await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 150_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}; the server printed:\n${child.output()}`);
        },
      );
      const created = await fetch(`http://127.0.0.1:${port}/users`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'embedded@example.com', name: 'Embedded' }),
      });
      expect(created.status).toBe(201);
      const url = `postgres://postgres:postgres@127.0.0.1:${postgresPort}/app`;
      expect(child.output()).toContain(`Database   ${url}`);
      expect(child.output()).toContain(`Connect    psql ${url}`);
      // Even at LOG_LEVEL=debug, initdb's and the server's own lines go to the file only.
      expect(child.output()).not.toMatch(/initdb|Success\. You can now start|LOG: {2}/);
      expect(fs.readFileSync(`${dataDir}.log`, 'utf8')).toContain(
        'database system is ready to accept connections',
      );
      // A second start on the same data folder is refused in one line: the toolkit's sentence
      // once, with its code, and no stack.
      const second = spawnTs('app/server.ts', [], {
        DATABASE_URL: '',
        PORT: String(await freePort()),
        NODE_ENV: 'development',
        EMBEDDED_POSTGRES_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(postgresPort),
      });
      expect(await second.exited).toBe(1);
      const refusal = second.output();
      expect(refusal.match(/is already running/g)).toHaveLength(1);
      expect(refusal).toContain('EMBEDDED_POSTGRES_IN_USE');
      expect(refusal).not.toMatch(/\n\s+at /);
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(child.output()).toMatch(/migration\(s\) applied/);
      expect(fs.existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      child.process.kill('SIGKILL');
      await stopLeftoverPostgres(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(`${dataDir}.log`, { force: true });
    }
  }, 180_000);
});
