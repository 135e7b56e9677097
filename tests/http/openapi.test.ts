import SwaggerParser from '@apidevtools/swagger-parser';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../app/app';
import { createLogger } from '../../app/logger';
import { createTestApp, testConfig, type TestApp } from '../support/app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t.close();
});

interface Operation {
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: { required?: string[] } }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function fetchDocument(app: Express = t.app): Promise<Document> {
  const res = await request(app).get('/openapi.json').expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.body as Document;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle: { stack?: Layer[] };
}

/** Every METHOD path the app's router stack answers, mounted routers included. */
function routesInStack(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${layer.route.path === '/' && prefix ? '' : layer.route.path}`;
      return Object.keys(layer.route.methods).map((method) => `${method} ${path}`);
    }
    if (layer.handle.stack) return routesInStack(layer.handle.stack, `${prefix}${layer.rawPath}`);
    return [];
  });
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = await fetchDocument();
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('documents every route of the router stack, and nothing else', async () => {
    const document = await fetchDocument();
    const served = routesInStack((t.app as unknown as { router: { stack: Layer[] } }).router.stack);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(served).toEqual(expect.arrayContaining(['get /users/:id', 'get /health/live']));
    expect(served.sort()).toEqual(documented.sort());
  });

  it('describes params, query and body from the zod schemas', async () => {
    const { paths } = await fetchDocument();
    expect(paths['/users/{id}'].get.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(paths['/users'].get.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ['limit', 'query', false],
      ['cursor', 'query', false],
    ]);
    const body = paths['/users'].post.requestBody?.content['application/json'].schema;
    expect(body?.required).toEqual(['email', 'name']);
    expect(Object.keys(paths['/users'].post.responses).sort()).toEqual(
      ['201', '400', '409', '413', '415', '500', '503'].sort(),
    );
  });

  it('gives every error response the one error shape', async () => {
    const { paths } = await fetchDocument();
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          // Readiness answers 503 with its own checks: load balancers read that body.
          if (Number(status) < 400 || (path === '/health/ready' && status === '503')) continue;
          expect([method, path, status, response.content?.['application/json'].schema]).toEqual([
            method,
            path,
            status,
            { $ref: '#/components/schemas/Error' },
          ]);
        }
      }
    }
  });
});

describe('/docs', () => {
  it('serves Swagger UI from the package, pointed at /openapi.json', async () => {
    await request(t.app).get('/docs').expect(301).expect('Location', '/docs/');
    const page = await request(t.app).get('/docs/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const start = await request(t.app).get('/docs/start.js').expect(200);
    expect(start.text).toContain('"/openapi.json"');
    const bundle = await request(t.app).get('/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it('is not served in production', async () => {
    const production = createApp({
      config: testConfig({ NODE_ENV: 'production', DATABASE_URL: t.database.url }),
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
      sequelize: t.sequelize,
    });
    await request(production).get('/docs/').expect(404);
    await fetchDocument(production);
  });
});
