import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { errorHandler } from '../../app/http/error-handler';
import { defineRoute, mountResource } from '../../app/http/routes';
import { createLogger } from '../../app/logger';

/** How a route's handler receives its input: validated where it has schemas, as sent elsewhere. */
function thingsApp() {
  const app = express();
  app.set('query parser', 'simple');
  const echo = defineRoute({
    method: 'get',
    path: '/:id',
    summary: 'Echo the input',
    params: z.object({ id: z.coerce.number().int() }),
    responses: { 200: { description: 'The input' } },
    handle: (input, _req, res) => {
      res.json({ params: input.params, query: input.query });
    },
  });
  const search = defineRoute({
    method: 'post',
    path: '/:id/search',
    summary: 'Validate params, query and body',
    params: z.object({ id: z.coerce.number().int() }),
    query: z.object({ limit: z.coerce.number().int() }),
    body: z.object({ text: z.string() }),
    responses: { 200: { description: 'The input' } },
    handle: (input, _req, res) => {
      res.json(input);
    },
  });
  mountResource(app, { path: '/things', tag: 'things', routes: [echo, search] });
  app.use(
    errorHandler({
      logger: createLogger({ env: 'test', logLevel: 'silent' }),
      exposeInternals: true,
    }),
  );
  return app;
}

describe('route input', () => {
  const app = thingsApp();

  it('hands a route without a query schema the query as sent, and its params validated', async () => {
    const res = await request(app).get('/things/7?color=red&n=2').expect(200);
    expect(res.body).toEqual({ params: { id: 7 }, query: { color: 'red', n: '2' } });
  });

  it('validates params, query and body with their schemas', async () => {
    const res = await request(app).post('/things/7/search?limit=5').send({ text: 'a' }).expect(200);
    expect(res.body).toEqual({ params: { id: 7 }, query: { limit: 5 }, body: { text: 'a' } });
  });

  it('reports the first invalid part in the order params, query, body', async () => {
    const invalidFields = async (url: string) => {
      const res = await request(app).post(url).send({}).expect(400);
      return res.body.error.details.map((detail: { field: string }) => detail.field);
    };
    expect(await invalidFields('/things/x/search?limit=y')).toEqual(['params.id']);
    expect(await invalidFields('/things/7/search?limit=y')).toEqual(['query.limit']);
    expect(await invalidFields('/things/7/search?limit=1')).toEqual(['body.text']);
  });
});
