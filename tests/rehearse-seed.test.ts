import express, { type Express, type RequestHandler } from 'express';
import { Client } from 'pg';
import { DataTypes, Sequelize, type ModelAttributes } from 'sequelize';
import request from 'supertest';
import { z } from 'zod';
import { FIELD_TYPES } from '../app/generate/fields';
import { describeResource } from '../app/generate/resource';
import { renderMigration } from '../app/generate/resource-templates';
import { User } from '../app/models';
import { registerRoutes } from '../app/routes';
import { describeModel, loadMix, resourcesOf, seedTables } from 'zero-downtime-toolkit';
import { createEmptyDatabase, type TestDatabase } from 'zero-downtime-toolkit/testing';
import { createTestApp, type TestApp } from './support/app';

/**
 * Seeding from the models' own description (Sequelize attributes: types, allowNull, unique,
 * references), and the load's requests generated from the same description, against a real
 * PostgreSQL: the users example, and a model shaped like the ones `generate resource` writes.
 */
async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('seeding and load requests for the users example', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  beforeEach(async () => {
    await query(t.database.url, 'TRUNCATE users');
  });

  it('seeds N rows into users from the User model, with unique email addresses', async () => {
    const [seeded] = await seedTables(t.database.url, [describeModel(User)], 250);
    expect(seeded).toMatchObject({ table: 'users', rows: 250 });
    expect(new Set(seeded.ids).size).toBe(250);
    const [counts] = await query<{ rows: string; emails: string; bad: string }>(
      t.database.url,
      `SELECT count(*) AS rows, count(DISTINCT email) AS emails,
              count(*) FILTER (WHERE email !~ '^[^@]+@example\\.com$' OR name = '') AS bad
         FROM users`,
    );
    expect(counts).toEqual({ rows: '250', emails: '250', bad: '0' });
  });

  it('the seeded rows are served by the real routes', async () => {
    const [seeded] = await seedTables(t.database.url, [describeModel(User)], 20);
    const res = await request(t.app).get(`/users/${seeded.ids[7]}`).expect(200);
    expect(res.body.email).toMatch(/@example\.com$/);
  });

  it('finds /users through registerRoutes, with list, read, create and update', () => {
    const resources = resourcesOf([describeModel(User)], registerRoutes);
    expect(resources.map((r) => [r.path, r.shape.table, r.operations])).toEqual([
      ['/users', 'users', ['list', 'read', 'create', 'update']],
    ]);
  });

  it('finds a resource mounted as a router (as releases did before) or with app.METHOD', () => {
    const answer: RequestHandler = (_req, res) => {
      res.end();
    };
    const router = express.Router();
    router.get('/', answer);
    router.route('/:id').get(answer).patch(answer);
    const asRouter = (app: Express) => app.use('/users', router);
    const onTheApp = (app: Express) => {
      app.set('etag', false);
      app.post('/users', answer);
      app.get('/users/:id', answer);
      app.get('/users/:id/avatar', answer);
    };
    const found = (registered: (app: Express) => void) =>
      resourcesOf([describeModel(User)], registered).map((r) => [r.path, r.operations]);
    expect(found(asRouter)).toEqual([['/users', ['list', 'read', 'update']]]);
    expect(found(onTheApp)).toEqual([['/users', ['read', 'create']]]);
  });

  it('every request of the load mix gets its expected status from the real users routes', async () => {
    const shapes = [describeModel(User)];
    const seeded = await seedTables(t.database.url, shapes, 30);
    const mix = loadMix(resourcesOf(shapes, registerRoutes), seeded);
    const methods = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const spec = mix.next(0);
      methods.add(spec.method);
      const sent = request(t.app)[
        spec.method === 'GET' ? 'get' : spec.method === 'POST' ? 'post' : 'patch'
      ](spec.path);
      const res = spec.body === undefined ? await sent : await sent.send(spec.body as object);
      expect({ request: `${spec.method} ${spec.path}`, status: res.status }).toEqual({
        request: `${spec.method} ${spec.path}`,
        status: spec.expect[0],
      });
      spec.onSuccess?.(res.body);
    }
    expect([...methods].sort()).toEqual(['GET', 'PATCH', 'POST']);
  });
});

describe('seeding a model shaped like the generator writes, and one with a key and a reference', () => {
  let database: TestDatabase;
  let sequelize: Sequelize;
  const fieldSpecs = Object.keys(FIELD_TYPES).map(
    (type, i) => `f${i}${type}:${type}${i % 3 ? '' : '?'}`,
  );
  const resource = describeResource('gadgets', fieldSpecs);

  beforeAll(async () => {
    database = await createEmptyDatabase();
    await query(
      database.url,
      'CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)',
    );
    await query(database.url, renderMigration(resource));
    await query(
      database.url,
      `CREATE TYPE badge_colour AS ENUM ('red', 'green', 'blue');
       CREATE TABLE badges (
         code text PRIMARY KEY,
         owner_id bigint NOT NULL REFERENCES users (id),
         serial integer NOT NULL UNIQUE,
         colour badge_colour NOT NULL,
         label varchar(8) NOT NULL)`,
    );
    sequelize = new Sequelize(database.url, { dialect: 'postgres', logging: false });
    sequelize.define(
      'Owner',
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        email: { type: DataTypes.TEXT, allowNull: false, unique: true },
        name: { type: DataTypes.TEXT, allowNull: false },
      },
      { tableName: 'users', underscored: true },
    );
    sequelize.define('Gadget', generatedAttributes(), { tableName: 'gadgets', underscored: true });
    sequelize.define(
      'Badge',
      {
        code: { type: DataTypes.TEXT, primaryKey: true },
        ownerId: {
          type: DataTypes.BIGINT,
          allowNull: false,
          references: { model: 'users', key: 'id' },
        },
        serial: { type: DataTypes.INTEGER, allowNull: false, unique: true },
        colour: { type: DataTypes.ENUM('red', 'green', 'blue'), allowNull: false },
        label: { type: DataTypes.STRING(8), allowNull: false },
      },
      { tableName: 'badges', underscored: true, timestamps: false },
    );
  });

  afterAll(async () => {
    await sequelize.close();
    await database.drop();
  });

  /** The attributes `renderModel` writes for the resource, with the same DataTypes. */
  function generatedAttributes(): ModelAttributes {
    const attributes: ModelAttributes = {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    };
    for (const field of resource.fields) {
      const typeName = field.type.sequelize.replace('DataTypes.', '') as keyof typeof DataTypes;
      attributes[field.attribute] = {
        type: DataTypes[typeName] as never,
        allowNull: field.optional,
      };
    }
    attributes.createdAt = DataTypes.DATE;
    attributes.updatedAt = DataTypes.DATE;
    return attributes;
  }

  it('seeds N rows of every generator field type, each one readable through the model', async () => {
    const shapes = Object.values(sequelize.models).map(describeModel);
    const seeded = await seedTables(database.url, shapes, 120);
    expect(seeded.map((table) => [table.table, table.rows, table.skipped])).toEqual([
      ['users', 120, undefined],
      ['gadgets', 120, undefined],
      ['badges', 120, undefined],
    ]);
    const gadgets = await sequelize.models.Gadget.findAll();
    expect(gadgets).toHaveLength(120);
    // validate() rejects when a value breaks the model's type or allowNull.
    for (const gadget of gadgets) await gadget.validate();
    const nulls = await query<{ n: string }>(
      database.url,
      `SELECT count(*) AS n FROM gadgets WHERE ${resource.fields.map((f) => `${f.column} IS NULL`).join(' OR ')}`,
    );
    expect(nulls[0].n).toBe('0');
  });

  it('keeps unique columns unique, enums in range, lengths within bounds and references valid', async () => {
    const shapes = Object.values(sequelize.models).map(describeModel);
    await query(database.url, 'TRUNCATE badges, gadgets, users');
    await seedTables(database.url, shapes, 300);
    const [badges] = await query<Record<string, string>>(
      database.url,
      `SELECT count(*) AS rows, count(DISTINCT code) AS codes, count(DISTINCT serial) AS serials,
              count(DISTINCT colour) AS colours, max(length(label)) AS longest,
              count(*) FILTER (WHERE owner_id NOT IN (SELECT id FROM users)) AS orphans
         FROM badges`,
    );
    expect(badges).toEqual({
      rows: '300',
      codes: '300',
      serials: '300',
      colours: '3',
      longest: 8,
      orphans: '0',
    });
  });

  it("create and update bodies for the generated resource pass the generator's own validation", () => {
    const gadget = describeModel(sequelize.models.Gadget);
    const mix = loadMix(
      [{ path: resource.path, shape: gadget, operations: ['list', 'read', 'create', 'update'] }],
      [{ table: 'gadgets', rows: 5, ids: ['1', '2', '3', '4', '5'] }],
    );
    // The zod shape `renderRoutes` writes for these fields, built from the same expressions.
    const fields = Object.fromEntries(
      resource.fields.map((field) => [
        field.attribute,
        zodFrom(field.type.zod + (field.optional ? '.nullable().optional()' : '')),
      ]),
    );
    const createBody = z.object(fields).strict();
    const updateBody = z.object(fields).partial().strict();
    const bodies = { POST: 0, PATCH: 0 };
    for (let i = 0; i < 30; i++) {
      const spec = mix.next(0);
      if (spec.method === 'POST') {
        bodies.POST++;
        expect(createBody.safeParse(spec.body).error).toBeUndefined();
      }
      if (spec.method === 'PATCH') {
        bodies.PATCH++;
        expect(updateBody.safeParse(spec.body).error).toBeUndefined();
      }
    }
    expect(bodies.POST).toBeGreaterThan(0);
    expect(bodies.PATCH).toBeGreaterThan(0);
  });
});

function zodFrom(expression: string): z.ZodType {
  return new Function('z', `return ${expression};`)(z) as z.ZodType;
}
