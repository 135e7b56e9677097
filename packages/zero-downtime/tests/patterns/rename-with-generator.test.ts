import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { starterRoot } from '../support/project';
import { DataTypes, Model, Sequelize, type ModelStatic } from 'sequelize';
import { silentLogger } from '../../src/core/logger';
import { patterns } from '../../src/generate/patterns';
import { migrateDatabase } from '../../src/runner';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { startLoop } from './support';

/**
 * users.name -> users.full_name exactly as the docs and the generator's advice say: the
 * generator writes the migrations, the runner applies them phase by phase, and a Sequelize model
 * of version N (attribute `name` on column name) and one of version N+1 (attribute `name`,
 * `field: 'full_name'`) keep working at every step, with the same JSON.
 */
let database: TestDatabase;
let project: string;
const sequelizes: Sequelize[] = [];
const logger = silentLogger;
const ROOT = starterRoot;

type User = Model & { id: string; email: string; name: string };

/** The model of version N (the column name) or of N+1 (the column full_name). */
function userModel(column: 'name' | 'full_name'): ModelStatic<User> {
  const sequelize = new Sequelize(database.url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 2 },
  });
  sequelizes.push(sequelize);
  class VersionedUser extends Model {}
  VersionedUser.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      email: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false, field: column },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'users', underscored: true },
  );
  return VersionedUser as unknown as ModelStatic<User>;
}

const migrate = (phase: 'pre' | 'post') =>
  migrateDatabase({
    databaseUrl: database.url,
    phases: [phase],
    logger,
    migrationsDir: path.join(project, 'migrations'),
  });

function generate(args: string[], at: string) {
  const generator = patterns.find((candidate) => candidate.name === 'rename-column')!;
  return generator.run(args, { projectRoot: project, now: new Date(at) });
}

let oldVersion: ModelStatic<User>;
let newVersion: ModelStatic<User>;
let counter = 0;

/** One round of what each version does: create, read back, update, read back. */
async function versionWorks(model: ModelStatic<User>) {
  const n = ++counter;
  const created = await model.create({
    email: `${model.name}-${n}@example.com`,
    name: `Person ${n}`,
  });
  expect(created.name).toBe(`Person ${n}`);
  await created.update({ name: `Renamed ${n}` });
  const found = await model.findByPk(created.id);
  expect(found?.name).toBe(`Renamed ${n}`);
  return { id: created.id, value: `Renamed ${n}` };
}

/** Each version reads what the other wrote, and both answer the same JSON: the API is unchanged. */
async function crossCheck() {
  const fromOld = await versionWorks(oldVersion);
  const seenByNew = await newVersion.findByPk(fromOld.id);
  expect(seenByNew?.name).toBe(fromOld.value);
  const fromNew = await versionWorks(newVersion);
  expect((await oldVersion.findByPk(fromNew.id))?.name).toBe(fromNew.value);
  const json = (user: User | null) => JSON.parse(JSON.stringify(user)) as Record<string, unknown>;
  expect(json(seenByNew)).toEqual(json(await oldVersion.findByPk(fromOld.id)));
  expect(Object.keys(json(seenByNew))).toContain('name');
  expect(Object.keys(json(seenByNew))).not.toContain('fullName');
}

beforeAll(async () => {
  database = await createEmptyDatabase();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-rename-'));
  // Generated migrations import the toolkit by name, as in a real project.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
  fs.mkdirSync(path.join(project, 'migrations', 'pre-deploy'), { recursive: true });
  fs.mkdirSync(path.join(project, 'migrations', 'post-deploy'), { recursive: true });
  fs.copyFileSync(
    path.join(ROOT, 'migrations', 'pre-deploy', '20260101000000-create-users.sql'),
    path.join(project, 'migrations', 'pre-deploy', '20260101000000-create-users.sql'),
  );
  await migrate('pre');
  oldVersion = userModel('name');
  newVersion = userModel('full_name');
  await oldVersion.sequelize!.query(
    `INSERT INTO users (email, name) SELECT 'seed' || n || '@example.com', 'Seed ' || n FROM generate_series(1, 3000) n`,
  );
});

afterAll(async () => {
  await Promise.all(sequelizes.map((sequelize) => sequelize.close()));
  fs.rmSync(project, { recursive: true, force: true });
  await database.drop();
});

test('step 1-2 (pre-deploy): the generated expand migration runs while version N keeps writing', async () => {
  await versionWorks(oldVersion);
  const written = generate(['users', 'name', 'full_name'], '2026-06-01T12:00:00Z').written;
  expect(written).toHaveLength(2);
  const writer = startLoop(() => versionWorks(oldVersion).then(() => undefined));
  await migrate('pre');
  expect(await writer.stop()).toBeGreaterThan(0);
  const [[mismatch]] = (await oldVersion.sequelize!.query(
    `SELECT count(*)::int AS n FROM users WHERE full_name IS DISTINCT FROM name`,
  )) as [Array<{ n: number }>, unknown];
  expect(mismatch.n).toBe(0);
});

test("rollout: version N and version N+1 serve side by side and each sees the other's writes", async () => {
  const writers = [
    startLoop(() => versionWorks(oldVersion).then(() => undefined)),
    startLoop(() => versionWorks(newVersion).then(() => undefined)),
  ];
  await crossCheck();
  for (const writer of writers) expect(await writer.stop()).toBeGreaterThan(0);
});

test('step 3 (post-deploy): contract; version N+1 keeps working (and a straggling N too)', async () => {
  await migrate('post');
  await versionWorks(newVersion);
  await crossCheck();
  const [[column]] = (await newVersion.sequelize!.query(
    `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'full_name'`,
  )) as [Array<{ attnotnull: boolean }>, unknown];
  expect(column.attnotnull).toBe(true);
});

test('step 4 (post-deploy of the next release): cleanup drops name; N+1 keeps working, a model still naming it would not', async () => {
  const cleanup = generate(
    ['users', 'name', 'full_name', '--cleanup'],
    '2026-07-01T00:00:00Z',
  ).written;
  expect(cleanup).toEqual([
    'migrations/post-deploy/20260701000000-rename-users-name-to-full-name-cleanup.ts',
  ]);
  await migrate('post');
  await versionWorks(newVersion);
  await expect(oldVersion.findByPk('1')).rejects.toThrow(/column "name" does not exist/);
  const [[nulls]] = (await newVersion.sequelize!.query(
    `SELECT count(*)::int AS n FROM users WHERE full_name IS NULL`,
  )) as [Array<{ n: number }>, unknown];
  expect(nulls.n).toBe(0);
});
