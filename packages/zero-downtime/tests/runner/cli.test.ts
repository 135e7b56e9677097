import fs from 'node:fs';
import path from 'node:path';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import {
  appliedNames,
  columnsOf,
  migrationsFolder,
  runMigrate,
  type MigrationsFolder,
} from './support';

let db: TestDatabase;
let folder: MigrationsFolder;

beforeEach(async () => {
  db = await createEmptyDatabase();
});

afterEach(async () => {
  folder?.remove();
  await db.drop();
});

const migrate = (...args: string[]) =>
  runMigrate([...args, '--migrations-dir', folder.dir], db.url);

describe('migrate command line', () => {
  it('migrate:status lists both phases, applied with time and duration, and pending', async () => {
    folder = migrationsFolder('basic');
    expect((await migrate('pre')).code).toBe(0);

    const { code, output } = await migrate('status');

    expect(code).toBe(0);
    expect(output).toMatch(
      /pre-deploy\s+20260101000000-create-widgets\s+applied \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d+ ms/,
    );
    expect(output).toMatch(/pre-deploy\s+20260101000100-add-widgets-colour\s+applied/);
    expect(output).toMatch(/post-deploy\s+20260101000200-create-widgets-archive\s+pending/);
    expect(output).toContain('pre-deploy: 2 applied, 0 pending; post-deploy: 0 applied, 1 pending');
  });

  it('migrate:status exits 1 when an applied migration no longer matches its file, as migrate would refuse', async () => {
    folder = migrationsFolder('basic');
    expect((await migrate('pre')).code).toBe(0);
    const [first] = fs.readdirSync(path.join(folder.dir, 'pre-deploy')).sort();
    fs.appendFileSync(
      path.join(folder.dir, 'pre-deploy', first),
      '\nCREATE TABLE added_later (id int);\n',
    );

    const { code, output } = await migrate('status');

    expect(output).toMatch(/create-widgets +CHANGED/);
    expect(output).toContain('will refuse to run');
    expect(code).toBe(1);
  });

  it('migrate:create writes a migration that migrate:pre applies and migrate:status lists', async () => {
    folder = migrationsFolder();
    const created = await migrate('create', 'pre', 'add', 'widgets', 'table');
    expect(created.code).toBe(0);
    const [file] = fs.readdirSync(path.join(folder.dir, 'pre-deploy'));
    expect(file).toMatch(/^\d{14}-add-widgets-table\.ts$/);
    expect(created.output).toContain(file);

    const applied = await migrate('pre');
    expect(applied.code).toBe(0);
    expect(applied.output).toContain('pre-deploy: applied 1 migration(s)');
    const status = await migrate('status');
    expect(status.output).toMatch(
      new RegExp(`pre-deploy\\s+${file.replace('.ts', '')}\\s+applied`),
    );
  });

  it('migrate:create --sql writes a .sql migration', async () => {
    folder = migrationsFolder();
    expect((await migrate('create', 'post', 'dropLegacyColumn', '--sql')).code).toBe(0);
    const [file] = fs.readdirSync(path.join(folder.dir, 'post-deploy'));
    expect(file).toMatch(/^\d{14}-drop-legacy-column\.sql$/);
  });

  it('migrate:create refuses a bad name or phase and writes nothing', async () => {
    folder = migrationsFolder();
    const badName = await migrate('create', 'pre', 'drop;users');
    expect(badName.code).not.toBe(0);
    expect(badName.output).toContain('"drop;users" is not a usable migration name');
    const badPhase = await migrate('create', 'later', 'something');
    expect(badPhase.code).toBe(2);
    expect(badPhase.output).toContain('expected the phase, pre or post');
    expect(fs.readdirSync(path.join(folder.dir, 'pre-deploy'))).toEqual([]);
  });

  it('migrate:post with pre-deploy migrations pending exits 1 and names them', async () => {
    folder = migrationsFolder('basic');
    const { code, output } = await migrate('post');
    expect(code).toBe(1);
    expect(output).toContain('2 pre-deploy migration(s) are pending');
    expect(output).toContain('20260101000000-create-widgets, 20260101000100-add-widgets-colour');
    expect(await appliedNames(db.url)).toEqual([]);
  });

  it('a changed applied migration stops migrate:pre with exit 1', async () => {
    folder = migrationsFolder('basic');
    await migrate('pre');
    folder.write(
      'pre-deploy/20260101000100-add-widgets-colour.ts',
      'export async function up() {}\n',
    );
    const { code, output } = await migrate('pre');
    expect(code).toBe(1);
    expect(output).toContain('20260101000100-add-widgets-colour.ts changed after it was applied');
  });

  it('a failed migration is reported in one sentence naming it, without a stack trace', async () => {
    folder = migrationsFolder();
    folder.write('pre-deploy/20260101000000-broken.sql', 'SELECT * FROM no_such_table;');
    const { code, output } = await migrate('pre');
    expect(code).toBe(1);
    expect(output).toContain('Migration 20260101000000-broken (pre-deploy) failed');
    expect(output).toContain('relation "no_such_table" does not exist');
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('migrate:down reverts the last applied .ts migration with its down, and refuses in production', async () => {
    folder = migrationsFolder('basic');
    await migrate('pre');

    const refused = await runMigrate(['down', 'pre', '--migrations-dir', folder.dir], db.url, {
      NODE_ENV: 'production',
    });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('refuses to run with NODE_ENV=production');
    expect(await columnsOf(db.url, 'widgets')).toEqual(['id', 'name', 'colour']);

    const reverted = await migrate('down', 'pre');
    expect(reverted.code).toBe(0);
    expect(reverted.output).toContain('reverted 20260101000100-add-widgets-colour');
    expect(await columnsOf(db.url, 'widgets')).toEqual(['id', 'name']);
    expect(await appliedNames(db.url)).toEqual(['20260101000000-create-widgets']);

    const sqlDown = await migrate('down', 'pre');
    expect(sqlDown.code).toBe(1);
    expect(sqlDown.output).toContain('is a .sql migration and has no down');
  });
});
