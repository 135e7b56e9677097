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
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await request(t.app).get('/users').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
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
