import request from 'supertest';
import { createApp } from '../../app/app';
import { createSequelize } from '../../app/db/connection';
import { Lifecycle } from '../../app/http/lifecycle';
import { createLogger } from '../../app/logger';
import { createTestApp, testConfig, type TestApp } from '../support/app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ GIT_COMMIT: 'abc1234' });
});

afterAll(async () => {
  await t.close();
});

describe('health endpoints', () => {
  it('liveness answers with the running version', async () => {
    const res = await request(t.app).get('/health/live').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      version: t.config.version.package,
      commit: 'abc1234',
    });
  });

  it('readiness answers 200 while the database is reachable', async () => {
    const res = await request(t.app).get('/health/ready').expect(200);
    expect(res.body).toMatchObject({
      status: 'ready',
      commit: 'abc1234',
      checks: { database: 'ok' },
    });
  });

  it('readiness turns 503 once shutdown begins, while liveness stays 200', async () => {
    const lifecycle = new Lifecycle();
    const app = createApp({
      config: t.config,
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
      sequelize: t.sequelize,
      lifecycle,
    });
    await request(app).get('/health/ready').expect(200);
    lifecycle.beginShutdown();
    const res = await request(app).get('/health/ready').expect(503);
    expect(res.body.checks.shuttingDown).toBe(true);
    await request(app).get('/health/live').expect(200);
  });

  it('readiness is 503 and liveness 200 when the database cannot be reached', async () => {
    const unreachable = createSequelize('postgres://nobody:pw@127.0.0.1:1/none', { poolMax: 1 });
    const app = createApp({
      config: testConfig(),
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
      sequelize: unreachable,
    });
    try {
      const res = await request(app).get('/health/ready').expect(503);
      expect(res.body.checks.database).toBe('unreachable');
      await request(app).get('/health/live').expect(200);
    } finally {
      await unreachable.close();
    }
  });
});
