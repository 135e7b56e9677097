import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app';

const allowed = 'https://app.example.com';

function preflight(t: TestApp, origin: string, method: string) {
  return request(t.app)
    .options('/users')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', method)
    .set('Access-Control-Request-Headers', 'content-type');
}
const other = 'https://elsewhere.example.com';

describe('CORS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: `${allowed}, https://admin.example.com` });
  });

  afterAll(async () => {
    await t.close();
  });

  it('lets an allowed origin read answers, and the request id', async () => {
    const res = await request(t.app).get('/users').set('Origin', allowed).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('answers the preflight of an allowed origin', async () => {
    const res = await preflight(t, allowed, 'POST').expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
  });

  it('gives another origin no CORS header, so browsers refuse it', async () => {
    const res = await request(t.app).get('/users').set('Origin', other).expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const refused = await preflight(t, other, 'DELETE');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS by default', () => {
  it('allows no origin at all', async () => {
    const t = await createTestApp();
    try {
      const res = await request(t.app).get('/users').set('Origin', allowed).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const refused = await preflight(t, allowed, 'POST');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
