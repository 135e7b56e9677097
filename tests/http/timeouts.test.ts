import http from 'node:http';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { createLogger } from '../../app/logger';
import { createTestApp, type TestApp } from '../support/app';
import { until } from '../support/wait';

/**
 * The request deadline and the database statement timeout, against a real PostgreSQL: a lock
 * held by another session keeps the app's query waiting for as long as the test wants.
 */
async function lockUsers(databaseUrl: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; requestId: string } };
  headers: http.IncomingHttpHeaders;
}

function get(port: number, path: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), headers: res.headers }),
        );
      })
      .on('error', reject);
  });
}

describe('REQUEST_DEADLINE_MS', () => {
  let t: TestApp;
  let server: http.Server;
  let port: number;
  let connections = 0;
  const logged: string[] = [];

  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (line: Buffer) => logged.push(line.toString()));
    t = await createTestApp(
      { REQUEST_DEADLINE_MS: '300', DATABASE_STATEMENT_TIMEOUT_MS: '0' },
      createLogger({ env: 'production', logLevel: 'error' }, stream),
    );
    server = http.createServer(t.app);
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('answers 503 JSON when the request takes too long, then serves the next request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const lock = await lockUsers(t.database.url);
    let released = false;
    try {
      const late = await get(port, '/users/1', agent);
      expect(late.status).toBe(503);
      expect(late.headers['content-type']).toMatch(/^application\/json/);
      expect(late.body.error).toMatchObject({
        code: 'DEADLINE_EXCEEDED',
        requestId: late.headers['x-request-id'],
      });
      expect(late.body.error?.message).toContain('REQUEST_DEADLINE_MS');

      // The handler still waits on the lock; once it gets its row it tries to answer again.
      await lock.release();
      released = true;
      const pool = (t.sequelize.connectionManager as unknown as { pool: { using: number } }).pool;
      await until(() => pool.using === 0);
      await new Promise((resolve) => setImmediate(resolve));

      const next = await get(port, '/health/live', agent);
      expect(next.status).toBe(200);
      expect((await get(port, '/users/1', agent)).status).toBe(404);
      // One keep-alive socket throughout: the late answer did not break the connection.
      expect(connections).toBe(1);
      expect(logged.join('')).not.toMatch(/unhandled error|ERR_HTTP_HEADERS_SENT/);
    } finally {
      if (!released) await lock.release();
      agent.destroy();
    }
  });
});

describe('DATABASE_STATEMENT_TIMEOUT_MS', () => {
  it('cuts a query that waits too long and answers 503 DATABASE_TIMEOUT', async () => {
    const t = await createTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '200' });
    const server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: false });
    const lock = await lockUsers(t.database.url);
    try {
      const port = (server.address() as { port: number }).port;
      const res = await get(port, '/users', agent);
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'DATABASE_TIMEOUT' });
      expect(res.body.error?.message).toContain('DATABASE_STATEMENT_TIMEOUT_MS');
    } finally {
      await lock.release();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    }
  });
});
