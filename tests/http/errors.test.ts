import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t.close();
});

describe('error responses share one JSON shape with the request id', () => {
  it('answers malformed JSON with 400 and keeps serving', async () => {
    const res = await request(t.app)
      .post('/users')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.c", "name": ')
      .expect(400);
    expect(res.body.error.code).toBe('MALFORMED_JSON');
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
    await request(t.app).get('/health/live').expect(200);
  });

  it('answers a 1 MB body with 413 and keeps serving', async () => {
    const huge = JSON.stringify({ email: 'big@example.com', name: 'x'.repeat(1024 * 1024) });
    const res = await request(t.app)
      .post('/users')
      .set('Content-Type', 'application/json')
      .send(huge)
      .expect(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    await request(t.app).get('/health/live').expect(200);
  });

  it('answers an unknown route with 404', async () => {
    const res = await request(t.app).get('/nope/nothing').expect(404);
    expect(res.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No route for GET /nope/nothing.',
    });
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const given = await request(t.app).get('/nope').set('X-Request-Id', 'abc-123').expect(404);
    expect(given.headers['x-request-id']).toBe('abc-123');
    expect(given.body.error.requestId).toBe('abc-123');
    const unsafe = await request(t.app).get('/nope').set('X-Request-Id', 'a b\tc').expect(404);
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f]{16}-\d+$/);
  });

  it('gives every request without an id one of its own, never the same twice', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await request(t.app).get('/nope')).headers['x-request-id']);
    expect(new Set(ids).size).toBe(3);
    // One process, one prefix: the counter tells them apart.
    expect(new Set(ids.map((id) => id.split('-')[0])).size).toBe(1);
  });

  it("sends the API security headers on JSON, helmet's page headers on /docs, no x-powered-by", async () => {
    const api = await request(t.app).get('/users').expect(200);
    expect(api.headers['x-powered-by']).toBeUndefined();
    expect(api.headers).toMatchObject({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    // The headers helmet makes for HTML pages are not on API responses.
    for (const header of ['referrer-policy', 'cross-origin-opener-policy', 'x-xss-protection']) {
      expect(api.headers[header]).toBeUndefined();
    }
    const missing = await request(t.app).get('/nope').expect(404);
    expect(missing.headers['x-frame-options']).toBe('DENY');
    const page = await request(t.app).get('/docs/').expect(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
  });
});

describe('unexpected errors', () => {
  it('hide internals in production and show them in development', async () => {
    const production = await createTestApp({ NODE_ENV: 'production' });
    const development = await createTestApp({ NODE_ENV: 'development' });
    try {
      // A dropped table is a bug, not bad input: the query fails with an internal error.
      await production.sequelize.query('DROP TABLE users');
      await development.sequelize.query('DROP TABLE users');
      const hidden = await request(production.app).get('/users').expect(500);
      expect(hidden.body.error).toEqual({
        code: 'INTERNAL_ERROR',
        message: 'Something went wrong on our side.',
        requestId: hidden.headers['x-request-id'],
      });
      const shown = await request(development.app).get('/users').expect(500);
      expect(shown.body.error.message).toMatch(/relation "users" does not exist/);
      expect(shown.body.error.details.stack).toContain('Error');
    } finally {
      await production.close();
      await development.close();
    }
  });
});
