import http from 'node:http';
import net from 'node:net';
import { createApp } from '../../app/app';
import { createSequelize } from '../../app/db/connection';
import { createLogger } from '../../app/logger';
import { initModels } from '../../app/models';
import { testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from 'zero-downtime-toolkit/testing';
import {
  createRandom,
  discoverRoutes,
  fuzzSeed,
  hostileRequest,
  type FuzzRequest,
  type Route,
} from '../support/fuzz';
import { freePort } from '../support/process';
import { readTestServerState } from 'zero-downtime-toolkit/testing';
import { parseJson, send, waitForStatus } from 'zero-downtime-toolkit/testing';
import { DEBUG_LOG_ENV } from '../support/logs';
import {
  crashesIn,
  killAll,
  runScript,
  stopProcess,
  type ScriptProcess,
} from 'zero-downtime-toolkit/testing';
import { createSecrets, type Secrets } from 'zero-downtime-toolkit/testing';

/**
 * A few thousand malformed and hostile requests to every route the app has, against the real
 * server process on a real database. Whatever the input, the answer is a 4xx (or a success),
 * never a 5xx, and the process keeps serving. Replay a failure with FUZZ_SEED=<seed>.
 */

jest.setTimeout(180_000);

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 3_000);
const LOOPS = 8;
const BODY_LIMIT_BYTES = 100 * 1024;
const seed = fuzzSeed();

let database: TestDatabase;
let secrets: Secrets;
let app: ScriptProcess;
let port: number;
let routes: Route[] = [];
let results: Result[] = [];

interface Result {
  request: FuzzRequest;
  status?: number;
  body?: string;
  failure?: string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  secrets = await createSecrets(readTestServerState().serverUrl);
  routes = routesOfTheApp(database.url);
  port = await freePort();
  app = runScript('app/server.ts', [], {
    ...DEBUG_LOG_ENV,
    DATABASE_URL: secrets.withCredentials(database.url),
    PORT: String(port),
    HOST: '127.0.0.1',
    BODY_LIMIT: `${BODY_LIMIT_BYTES}b`,
    SHUTDOWN_DRAIN_DELAY_MS: '0',
  });
  await waitForStatus(port, '/health/ready', 200);
  const knownIds = await createUsers(10);
  const random = createRandom(seed);
  const context = { knownIds, bodyLimitBytes: BODY_LIMIT_BYTES, bearerToken: secrets.bearerToken };
  const requests = Array.from({ length: REQUESTS }, () =>
    hostileRequest(random, random.pick(routes), context),
  );
  results = await sendAll(requests);
});

afterAll(async () => {
  await stopProcess(app);
  await killAll();
  await database?.drop();
  await secrets?.dropRole(readTestServerState().serverUrl);
});

/** The app's routes as its router stack lists them; the app is built but never listens. */
function routesOfTheApp(databaseUrl: string): Route[] {
  const sequelize = createSequelize(databaseUrl);
  initModels(sequelize);
  const app = createApp({
    config: testConfig({ DATABASE_URL: databaseUrl }),
    logger: createLogger({ env: 'test', logLevel: 'silent' }),
    sequelize,
  });
  void sequelize.close();
  return discoverRoutes(app);
}

async function createUsers(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await send(port, validUser(`seed-${i}`));
    ids.push(String((parseJson(answer.body) as { id: string }).id));
  }
  return ids;
}

function validUser(tag: string) {
  return {
    method: 'POST',
    path: '/users',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.bearerToken}` },
    body: JSON.stringify({ email: `${tag}-${seed}@example.com`, name: `Fuzz ${tag}` }),
  };
}

async function sendAll(requests: FuzzRequest[]): Promise<Result[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
  const out: Result[] = new Array(requests.length);
  let next = 0;
  const loop = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index];
      out[index] = request.raw ? await sendRaw(request) : await sendParsed(request, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: LOOPS }, loop));
  } finally {
    agent.destroy();
  }
  return out;
}

async function sendParsed(request: FuzzRequest, agent: http.Agent): Promise<Result> {
  const answer = await send(
    port,
    { method: request.method, path: request.path, headers: request.headers, body: request.body },
    { agent, timeoutMs: 20_000 },
  );
  return { request, status: answer.status, body: answer.body, failure: answer.failure };
}

/** Writes the request byte by byte as given, reads the status line, closes. */
function sendRaw(request: FuzzRequest): Promise<Result> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = (fields: Partial<Result>) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ request, ...fields });
    };
    const headers = Object.entries({
      host: `127.0.0.1:${port}`,
      connection: 'close',
      ...request.headers,
      ...(request.body ? { 'content-length': String(request.body.length) } : {}),
    }).map(([name, value]) => `${name}: ${value}\r\n`);
    const head = Buffer.from(
      `${request.method} ${request.path} HTTP/1.1\r\n${headers.join('')}\r\n`,
      'latin1',
    );
    socket.setTimeout(20_000, () => finish({ failure: 'client-timeout' }));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(received ? statusOf(received) : { failure: error.code ?? error.message }),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) finish(statusOf(received));
    });
    socket.on('end', () =>
      finish(received ? statusOf(received) : { failure: 'closed without answer' }),
    );
    socket.write(request.body ? Buffer.concat([head, request.body]) : head);
  });
}

function statusOf(response: string): Partial<Result> {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return match
    ? { status: Number(match[1]), body: response }
    : { failure: `not HTTP: ${response.slice(0, 40)}` };
}

function report(list: Result[]): string[] {
  return list.map(
    (result) =>
      `${result.status ?? result.failure} ${result.request.method} ${result.request.path.slice(0, 80)} [${result.request.label}] ${result.body?.slice(0, 160) ?? ''}`,
  );
}

test('the routes come from the router stack, generated resources included', () => {
  expect(routes).toEqual(
    expect.arrayContaining([
      { method: 'GET', path: '/health/live' },
      { method: 'GET', path: '/health/ready' },
      { method: 'POST', path: '/users' },
      { method: 'GET', path: '/users' },
      { method: 'GET', path: '/users/:id' },
      { method: 'PATCH', path: '/users/:id' },
      { method: 'DELETE', path: '/users/:id' },
    ]),
  );
});

test('a few thousand hostile requests to every route get no 5xx answer', () => {
  expect(results).toHaveLength(REQUESTS);
  const aimedAt = new Set(
    results.map(({ request }) => `${request.route.method} ${request.route.path}`),
  );
  expect([...aimedAt].sort()).toEqual(
    routes.map((route) => `${route.method} ${route.path}`).sort(),
  );
  const serverErrors = results.filter((result) => (result.status ?? 0) >= 500);
  expect({ seed, serverErrors: report(serverErrors) }).toEqual({ seed, serverErrors: [] });
});

test('what the fuzzer found stays fixed: a cursor past the largest bigint is a 400, not a 500', async () => {
  for (const after of ['9999999999999999999', '9223372036854775808']) {
    const cursor = Buffer.from(JSON.stringify({ after })).toString('base64url');
    const answer = await send(port, { method: 'GET', path: `/users?cursor=${cursor}` });
    expect(answer.status).toBe(400);
    expect(parseJson(answer.body)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  }
});

test('every hostile request is answered: no reset, no hang', () => {
  const unanswered = results.filter((result) => result.status === undefined);
  expect({ seed, unanswered: report(unanswered) }).toEqual({ seed, unanswered: [] });
});

test('every error answer of the app is the one JSON error shape with a request id', () => {
  const appErrors = results.filter(
    (result) =>
      !result.request.raw &&
      result.request.method !== 'HEAD' &&
      (result.status ?? 0) >= 400 &&
      result.body?.startsWith('{'),
  );
  expect(appErrors.length).toBeGreaterThan(REQUESTS / 4);
  const malformed = appErrors.filter((result) => {
    const error = (parseJson(result.body) as { error?: { code?: unknown; requestId?: unknown } })
      ?.error;
    return typeof error?.code !== 'string' || typeof error.requestId !== 'string';
  });
  expect({ seed, malformed: report(malformed) }).toEqual({ seed, malformed: [] });
});

test('the server process survives the fuzzing, logs no crash, and still serves', async () => {
  expect(app.running()).toBe(true);
  expect(crashesIn(app.output())).toEqual([]);
  const unhandled = app
    .output()
    .split('\n')
    .filter((line) => line.includes('unhandled error'));
  expect(unhandled).toEqual([]);
  expect((await send(port, { method: 'GET', path: '/health/ready' })).status).toBe(200);
  expect((await send(port, validUser('after-fuzzing'))).status).toBe(201);
});

test('no log line of the fuzzed server carries the database password or the bearer token', () => {
  expect(app.output()).toContain('"level":"debug"');
  expect(secrets.foundIn(app.output())).toEqual([]);
});
