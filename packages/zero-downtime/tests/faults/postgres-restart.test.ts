import { migrateDatabase } from '../../src/runner';
import path from 'node:path';
import { freePort, starterRoot } from '../support/project';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server';
import {
  parseJson,
  send,
  sleep,
  startLoad,
  waitForStatus,
  type Answer,
  type Sent,
} from '../../src/testing';
import { capturingLogger, DEBUG_LOG_ENV } from './support/logs';
import { adminQuery, appSessionsWaitingOnLock, lockTable, waitUntil } from './support/postgres';
import { crashesIn, killAll, runScript, stopProcess, type ScriptProcess } from '../../src/testing';
import { createSecrets, type Secrets } from '../../src/testing';

/**
 * PostgreSQL restarted by an operator (`pg_ctl stop -m fast`, a few seconds down, start) while
 * the real server process serves keep-alive load. The app must stay up, say so honestly on
 * its probes, answer fast with 503 instead of hanging, and recover by itself.
 */

jest.setTimeout(120_000);

const OUTAGE_MS = 3_000;
const CLIENT_TIMEOUT_MS = 20_000;

let postgres: PostgresServer | undefined;
let secrets: Secrets;
let app: ScriptProcess;
let port: number;
const runnerLog = capturingLogger();
let answers: Answer[] = [];
const outage = { stoppedAt: 0, restartedAt: 0, readyAgainAt: 0 };

beforeAll(async () => {
  postgres = await startPostgresServer();
  secrets = await createSecrets(postgres.url());
  await adminQuery(postgres.url(), 'CREATE DATABASE app');
  const databaseUrl = secrets.withCredentials(postgres.url('app'));
  await migrateDatabase({ databaseUrl, phases: ['pre', 'post'], logger: runnerLog.logger });
  port = await freePort();
  app = runScript(
    path.join(starterRoot, 'app/server.ts'),
    [],
    {
      ...DEBUG_LOG_ENV,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_POOL_MAX: '4',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
    },
    starterRoot,
  );
  await waitForStatus(port, '/health/ready', 200);
  answers = await serveLoadAcrossRestart(postgres);
});

afterAll(async () => {
  await stopProcess(app);
  await killAll();
  await postgres?.destroy();
});

/**
 * Runs `fault` while some of the app's queries are certainly in flight: they queue behind a
 * lock on users, and the fault hits before the lock is released.
 */
async function withQueriesInFlight<T>(fault: () => Promise<T>): Promise<T> {
  const url = (postgres as PostgresServer).url('app');
  const lock = await lockTable(url, 'users');
  try {
    await waitUntil('app queries waiting on the lock', async () => {
      return (await appSessionsWaitingOnLock(url)).length >= 2;
    });
    return await fault();
  } finally {
    await lock.release();
  }
}

async function serveLoadAcrossRestart(server: PostgresServer): Promise<Answer[]> {
  const load = startLoad(port, {
    loops: 8,
    next: nextRequest(secrets.bearerToken),
    maxRequests: 30_000,
    maxMs: 60_000,
    timeoutMs: CLIENT_TIMEOUT_MS,
    pauseMs: 5,
  });
  try {
    await sleep(1_000);
    await withQueriesInFlight(() => server.stop('fast'));
    outage.stoppedAt = Date.now();
    await sleep(OUTAGE_MS);
    outage.restartedAt = Date.now();
    await server.start();
    outage.readyAgainAt = await waitForStatus(port, '/health/ready', 200);
    await sleep(1_500);
  } finally {
    await load.stop();
  }
  return [...load.answers];
}

/**
 * Each loop has its own job: three list users, three create users (so queries are in flight
 * when the server goes down), one polls readiness, one liveness.
 */
function nextRequest(token: string): (loop: number, count: number) => Sent {
  const headers = { authorization: `Bearer ${token}` };
  return (loop, count) => {
    switch (loop) {
      case 0:
      case 1:
      case 2:
        return { method: 'GET', path: '/users?limit=5', headers };
      case 3:
      case 4:
      case 5:
        return {
          method: 'POST',
          path: '/users',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ email: `restart-${count}@example.com`, name: `R ${count}` }),
        };
      case 6:
        return { method: 'GET', path: '/health/ready', headers };
      default:
        return { method: 'GET', path: '/health/live', headers };
    }
  };
}

const on = (path: string) => answers.filter((answer) => answer.path.startsWith(path));
const during = (answer: Answer) =>
  answer.startedAt >= outage.stoppedAt && answer.endedAt <= outage.restartedAt;
const after = (answer: Answer) => answer.startedAt >= outage.readyAgainAt;

function describeAnswers(list: Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of list) {
    const key = `${answer.method} ${answer.path.split('?')[0]} ${answer.status ?? answer.failure}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key}: ${count}`).join('\n');
}

test('the app process stays up through the restart and logs no crash', () => {
  expect(app.running()).toBe(true);
  expect(crashesIn(app.output())).toEqual([]);
});

test('every request during the restart got an HTTP answer: no socket error, none left to the client timeout', () => {
  const failures = answers.filter((answer) => answer.failure !== undefined);
  expect(answers.length).toBeGreaterThan(100);
  expect(describeAnswers(failures)).toBe('');
});

test('every 5xx answer is a 503 with the SERVICE_UNAVAILABLE JSON error', () => {
  const errors = answers.filter((answer) => (answer.status ?? 0) >= 500);
  expect(errors.filter((answer) => answer.path.startsWith('/users')).length).toBeGreaterThan(0);
  const unexpected = errors.filter((answer) => {
    if (answer.status !== 503) return true;
    const body = parseJson(answer.body) as
      { error?: { code?: string; requestId?: string } } | { status?: string } | undefined;
    if (answer.path.startsWith('/health/ready'))
      return (body as { status?: string })?.status !== 'not ready';
    const error = (body as { error?: { code?: string; requestId?: string } })?.error;
    return error?.code !== 'SERVICE_UNAVAILABLE' || typeof error.requestId !== 'string';
  });
  expect(describeAnswers(unexpected)).toBe('');
});

test('readiness turns 503 while PostgreSQL is down and 200 again after it restarts', () => {
  const ready = on('/health/ready');
  const firstDown = ready.findIndex((answer) => answer.status === 503 && during(answer));
  expect(ready[0].status).toBe(200);
  expect(firstDown).toBeGreaterThan(0);
  expect(ready.slice(firstDown).some((answer) => answer.status === 200 && after(answer))).toBe(
    true,
  );
});

test('liveness answers 200 throughout: a database outage never asks for a restart', () => {
  const live = on('/health/live');
  expect(live.filter(during).length).toBeGreaterThan(10);
  expect(live.filter((answer) => answer.status !== 200)).toEqual([]);
});

test('requests during the outage are refused with 503, and succeed again once readiness is back', () => {
  const users = on('/users');
  const refused = users.filter(during);
  expect(refused.length).toBeGreaterThan(0);
  expect(describeAnswers(refused.filter((answer) => answer.status !== 503))).toBe('');
  const recovered = users.filter(after);
  expect(recovered.length).toBeGreaterThan(0);
  expect(
    describeAnswers(recovered.filter((answer) => ![200, 201].includes(answer.status ?? 0))),
  ).toBe('');
});

test('no log line of the app or the runner carries the database password or the bearer token', () => {
  expect(app.output()).toContain('"level":"debug"');
  expect(secrets.foundIn(app.output())).toEqual([]);
  expect(secrets.foundIn(runnerLog.lines.join('\n'))).toEqual([]);
});

test('a backend killed in the middle of a query (crash recovery) answers 503, and the app recovers by itself', async () => {
  const headers = { authorization: `Bearer ${secrets.bearerToken}` };
  const url = (postgres as PostgresServer).url('app');
  const lock = await lockTable(url, 'users');
  let inFlight: Promise<Answer>[];
  try {
    inFlight = [1, 2, 3].map(() => send(port, { method: 'GET', path: '/users', headers }));
    let waiting: number[] = [];
    await waitUntil('three requests waiting on the lock', async () => {
      waiting = await appSessionsWaitingOnLock(url);
      return waiting.length >= 3;
    });
    process.kill(waiting[0], 'SIGKILL');
  } finally {
    await lock.release();
  }
  const crashed = await Promise.all(inFlight);
  // The killed session's request fails; the others may finish before the postmaster's crash
  // recovery ends every session, or fail with it. Failing means a 503, never a 500.
  const failed = crashed.filter((answer) => answer.status !== 200);
  expect(failed.length).toBeGreaterThan(0);
  for (const answer of failed) {
    expect(answer.status).toBe(503);
    expect(parseJson(answer.body)).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
  }
  await waitForStatus(port, '/health/ready', 200);
  const created = await send(port, {
    method: 'POST',
    path: '/users',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'after-crash@example.com', name: 'After crash' }),
  });
  expect(created.status).toBe(201);
  expect(app.running()).toBe(true);
  expect(crashesIn(app.output())).toEqual([]);
  expect(secrets.foundIn(app.output())).toEqual([]);
});

test('SIGTERM after the restart still shuts the app down cleanly with exit 0', async () => {
  app.signal('SIGTERM');
  expect(await app.exited).toBe(0);
  expect(app.output()).toContain('shutdown: complete');
});
