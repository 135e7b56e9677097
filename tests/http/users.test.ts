import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t.close();
});

async function createUser(email: string, name = 'Ada Lovelace') {
  const res = await request(t.app).post('/users').send({ email, name }).expect(201);
  return res.body as { id: string; email: string; name: string };
}

describe('POST /users', () => {
  it('creates a user, normalises the email and points Location at it', async () => {
    const res = await request(t.app)
      .post('/users')
      .send({ email: '  Grace@Example.COM ', name: 'Grace Hopper' })
      .expect(201);
    expect(res.body).toMatchObject({ email: 'grace@example.com', name: 'Grace Hopper' });
    expect(res.body.id).toMatch(/^\d+$/);
    expect(res.headers.location).toBe(`/users/${res.body.id}`);
    expect(new Date(res.body.createdAt).getTime()).not.toBeNaN();
  });

  it('answers 409 when the email is taken, whatever its case', async () => {
    await createUser('taken@example.com');
    const res = await request(t.app)
      .post('/users')
      .send({ email: 'TAKEN@example.com', name: 'Someone' })
      .expect(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(res.body.error.details).toEqual([{ field: 'body.email', message: 'already taken' }]);
  });

  it('answers 400 naming every failing field', async () => {
    const res = await request(t.app)
      .post('/users')
      .send({ email: 'not-an-email', name: '' })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.email', 'body.name']));
  });

  it('refuses unknown fields rather than silently dropping them', async () => {
    const res = await request(t.app)
      .post('/users')
      .send({ email: 'x@example.com', name: 'X', admin: true })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form (what curl -d sends)', 'application/x-www-form-urlencoded'],
  ])('answers 415 for a body sent as %s, saying to send JSON', async (_name, type) => {
    const res = await request(t.app).post('/users').set('Content-Type', type).send('email=x');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(res.body.error.message).toContain('Content-Type: application/json');
    expect(res.body.error.message).toContain(type);
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('answers 415 for a body with no Content-Type at all', async () => {
    const res = await request(t.app)
      .post('/users')
      .set('Content-Length', '7')
      .unset('Content-Type')
      .send(Buffer.from('email=x'));
    expect(res.status).toBe(415);
    expect(res.body.error.message).toContain('named no Content-Type');
  });

  it('says in plain words which fields are missing or unknown', async () => {
    const empty = await request(t.app).post('/users').send({}).expect(400);
    expect(empty.body.error.details).toEqual([
      { field: 'body.email', message: 'email is required' },
      { field: 'body.name', message: 'name is required' },
    ]);
    expect(empty.body.error.message).toBe('Invalid request: email is required; name is required.');
    const unknown = await request(t.app)
      .post('/users')
      .send({ email: 'u@example.com', name: 'U', admin: true })
      .expect(400);
    expect(unknown.body.error.details).toEqual([
      { field: 'body.admin', message: 'admin is not a field of this request: leave it out' },
    ]);
    const wrongType = await request(t.app)
      .post('/users')
      .send({ email: 'w@example.com', name: 42 })
      .expect(400);
    expect(wrongType.body.error.details).toEqual([
      { field: 'body.name', message: 'name must be text' },
    ]);
  });
});

describe('GET /users', () => {
  it('pages through every user exactly once with the cursor', async () => {
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await createUser(`page${i}@example.com`));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: '3', ...(cursor ? { cursor } : {}) };
      const res = await request(t.app).get('/users').query(query).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((u: { id: string }) => u.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    for (const user of created) expect(seen).toContain(user.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('caps the page size', async () => {
    const res = await request(t.app).get('/users').query({ limit: '1000' }).expect(400);
    expect(res.body.error.details).toEqual([
      { field: 'query.limit', message: 'limit must be at most 100' },
    ]);
  });

  it.each([
    ['abc', 'limit must be a number'],
    ['2.5', 'limit must be a whole number'],
    ['0', 'limit must be at least 1'],
  ])('answers ?limit=%s in plain words', async (limit, message) => {
    const res = await request(t.app).get('/users').query({ limit }).expect(400);
    expect(res.body.error.details).toEqual([{ field: 'query.limit', message }]);
    expect(res.body.error.message).not.toMatch(/NaN|expected|received/);
  });

  it('rejects a cursor it did not issue', async () => {
    const res = await request(t.app).get('/users').query({ cursor: 'garbage' }).expect(400);
    expect(res.body.error.details[0].field).toBe('query.cursor');
  });
});

describe('GET /users/:id', () => {
  it('returns the user', async () => {
    const user = await createUser('get@example.com');
    const res = await request(t.app).get(`/users/${user.id}`).expect(200);
    expect(res.body).toMatchObject(user);
  });

  it('answers 404 for a missing user', async () => {
    const res = await request(t.app).get('/users/987654321').expect(404);
    expect(res.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No user with id 987654321.',
    });
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999999999999', '9223372036854775808'])(
    'answers 400 for the id %s',
    async (id) => {
      const res = await request(t.app).get(`/users/${id}`).expect(400);
      expect(res.body.error.details[0].field).toBe('params.id');
    },
  );

  it('answers 404, not 400 or 500, for the largest bigint id', async () => {
    const res = await request(t.app).get('/users/9223372036854775807').expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});

describe('PATCH /users/:id', () => {
  it('updates the given fields only', async () => {
    const user = await createUser('patch@example.com', 'Before');
    const res = await request(t.app).patch(`/users/${user.id}`).send({ name: 'After' }).expect(200);
    expect(res.body).toMatchObject({ id: user.id, email: 'patch@example.com', name: 'After' });
    const again = await request(t.app).get(`/users/${user.id}`).expect(200);
    expect(again.body.name).toBe('After');
  });

  it('answers 409 when moving to a taken email', async () => {
    await createUser('first@example.com');
    const second = await createUser('second@example.com');
    await request(t.app)
      .patch(`/users/${second.id}`)
      .send({ email: 'first@example.com' })
      .expect(409);
  });

  it('answers 400 for an empty change and 404 for a missing user', async () => {
    const user = await createUser('empty@example.com');
    await request(t.app).patch(`/users/${user.id}`).send({}).expect(400);
    await request(t.app).patch('/users/987654321').send({ name: 'x' }).expect(404);
  });
});

describe('DELETE /users/:id', () => {
  it('deletes the user; a second delete is a 404', async () => {
    const user = await createUser('delete@example.com');
    await request(t.app).delete(`/users/${user.id}`).expect(204);
    await request(t.app).get(`/users/${user.id}`).expect(404);
    await request(t.app).delete(`/users/${user.id}`).expect(404);
  });
});
