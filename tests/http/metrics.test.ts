import { QueryTypes } from 'sequelize';
import request from 'supertest';
import type { Sequelize } from 'sequelize';
import { Lifecycle } from '../../app/http/lifecycle';
import { AppMetrics } from '../../app/http/metrics';
import { mountedRoutes } from '../../app/http/routes';
import { resources } from '../../app/routes';
import { createTestApp, startTestServer, type TestApp } from '../support/app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t.close();
});

async function scrape(app = t.app): Promise<string> {
  const res = await request(app).get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

/** The value of one sample line, e.g. http_requests_total{method="GET",...}. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith(`${name}{`) && wanted.every((label) => candidate.includes(label)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  it('counts requests under the route pattern, never the raw URL', async () => {
    const [{ id }] = await t.sequelize.query<{ id: string }>(
      "INSERT INTO users (email, name) VALUES ('metrics@example.com', 'M') RETURNING id",
      { type: QueryTypes.SELECT },
    );
    await request(t.app).get(`/users/${id}`).expect(200);
    await request(t.app).get(`/users/${id}`).expect(200);
    await request(t.app).get('/users/987654321').expect(404);
    await request(t.app).get('/no/such/route/42').expect(404);
    await request(t.app).get('/health/live').expect(200);

    const text = await scrape();
    // A probe route (mounted by app.ts) is labelled like a resource's route.
    expect(
      sample(text, 'http_requests_total', { method: 'GET', route: '/health/live', status: '200' }),
    ).toBe(1);
    const labels = { method: 'GET', route: '/users/:id' };
    expect(sample(text, 'http_requests_total', { ...labels, status: '200' })).toBe(2);
    expect(sample(text, 'http_requests_total', { ...labels, status: '404' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { ...labels, status: '200' })).toBe(
      2,
    );
    expect(
      sample(text, 'http_request_duration_seconds_bucket', {
        ...labels,
        status: '200',
        le: '+Inf',
      }),
    ).toBe(2);
    expect(
      sample(text, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBe(1);
    expect(text).not.toContain(`/users/${id}`);
    expect(text).not.toContain('/users/987654321');
    expect(text).not.toContain('/no/such');
  });

  it('labels a refused body (415) and a bad id (400) with their route too', async () => {
    await request(t.app).post('/users').set('Content-Type', 'text/plain').send('x').expect(415);
    await request(t.app).get('/users/abc').expect(400);
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { route: '/users', status: '415' })).toBe(1);
    expect(sample(text, 'http_requests_total', { route: '/users/:id', status: '400' })).toBe(1);
  });

  it('labels every resource read under its own pattern, generated ones included', async () => {
    const reads = mountedRoutes(resources).filter(
      (route) => route.method === 'get' && route.path === '/:id',
    );
    expect(reads.length).toBeGreaterThan(0);
    for (const route of reads) {
      await request(t.app).get(route.pattern.replace(':id', '987654321')).expect(404);
    }
    const text = await scrape();
    for (const route of reads) {
      expect([
        route.pattern,
        sample(text, 'http_requests_total', { route: route.pattern, status: '404' }),
      ]).toEqual([route.pattern, expect.any(Number)]);
    }
  });

  it('keeps one registry per app, with the pool, the process and the shutdown state', async () => {
    const other = await createTestApp();
    try {
      await request(other.app).get('/users').expect(200);
      const before = await scrape(other.app);
      expect(sample(before, 'http_requests_total', { route: '/users/:id' })).toBeUndefined();
      expect(sample(before, 'http_requests_total', { route: '/users' })).toBe(1);
      expect(before).toMatch(/^db_pool_connections [1-9]/m);
      expect(before).toMatch(/^db_pool_connections_in_use 0$/m);
      expect(before).toMatch(/^db_pool_waiting 0$/m);
      expect(before).toMatch(/^process_cpu_user_seconds_total /m);
      expect(before).toMatch(/^nodejs_eventloop_lag_seconds /m);
      expect(before).toMatch(/^app_shutting_down 0$/m);
      other.lifecycle.beginShutdown();
      expect(await scrape(other.app)).toMatch(/^app_shutting_down 1$/m);
    } finally {
      await other.close();
    }
  });

  it('is off with METRICS_ENABLED=false', async () => {
    const off = await createTestApp({ METRICS_ENABLED: 'false' });
    try {
      await request(off.app).get('/metrics').expect(404);
      const document = await request(off.app).get('/openapi.json').expect(200);
      expect(document.body.paths['/metrics']).toBeUndefined();
    } finally {
      await off.close();
    }
  });

  it('is served on METRICS_PORT alone when one is given', async () => {
    const server = await startTestServer({ METRICS_PORT: '0' });
    try {
      const { metricsUrl, url } = server.running;
      expect(metricsUrl).toBeDefined();
      expect(metricsUrl).not.toBe(url);
      await fetch(`${url}/health/live`);
      const metrics = await fetch(`${metricsUrl}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(sample(text, 'http_requests_total', { route: '/health/live' })).toBe(1);
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      expect((await fetch(`${metricsUrl}/users`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('the request duration histogram', () => {
  it('exposes cumulative buckets, +Inf, sum and count per series, as Prometheus reads them', async () => {
    const sequelize = { connectionManager: {} } as unknown as Sequelize;
    const metrics = new AppMetrics({ sequelize, lifecycle: new Lifecycle() });
    for (const seconds of [0.003, 0.02, 0.3, 20])
      metrics.observe('GET', '/things/:id', 200, seconds);
    metrics.observe('POST', '/things', 201, 0.005);

    const { body } = await metrics.exposition();
    expect(body).toContain('# TYPE http_request_duration_seconds histogram');
    const get = { method: 'GET', route: '/things/:id', status: '200' };
    const bucket = (le: string, labels = get) =>
      sample(body, 'http_request_duration_seconds_bucket', { ...labels, le });
    expect(['0.005', '0.01', '0.025', '0.25', '0.5', '10', '+Inf'].map((le) => bucket(le))).toEqual(
      [1, 1, 2, 2, 3, 3, 4],
    );
    expect(sample(body, 'http_request_duration_seconds_sum', get)).toBeCloseTo(20.323);
    expect(sample(body, 'http_request_duration_seconds_count', get)).toBe(4);
    expect(sample(body, 'http_requests_total', get)).toBe(4);
    // A duration equal to a bound falls in that bound's bucket (Prometheus' "less or equal").
    const post = { method: 'POST', route: '/things', status: '201' };
    expect(bucket('0.005', post)).toBe(1);

    metrics.registry.resetMetrics();
    expect(sample((await metrics.exposition()).body, 'http_requests_total', get)).toBeUndefined();
  });
});
