import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { starterRoot } from '../support/project';

/**
 * A throw-away git repository with the smallest project the compat gate can run: the gate's
 * contract (scripts/migrate.ts pre|post, a jest global setup honouring ZDM_TEST_TEMPLATE_URL)
 * around one table and one test. Its node_modules links to this project's, and its lock file is
 * this project's, so the base's worktree shares them as a real project's would.
 */

const projectRoot = starterRoot;

export interface FixtureRepository {
  dir: string;
  write(file: string, content: string): void;
  remove(file: string): void;
  commit(message: string): void;
  destroy(): void;
}

const MIGRATE = `import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

async function main(): Promise<void> {
  const phase = process.argv[2];
  const dir = path.join(__dirname, '..', 'migrations', \`\${phase}-deploy\`);
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS fixture_migrations (name text PRIMARY KEY)');
    const done = await client.query<{ name: string }>('SELECT name FROM fixture_migrations');
    const applied = new Set(done.rows.map((row) => row.name));
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.sql')) : [];
    const pending = files.sort().filter((file) => !applied.has(file));
    for (const file of pending) {
      await client.query(fs.readFileSync(path.join(dir, file), 'utf8'));
      await client.query('INSERT INTO fixture_migrations (name) VALUES ($1)', [file]);
    }
    console.log(\`\${phase}-deploy: applied \${pending.length} migration(s)\`);
  } finally {
    await client.end();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
`;

/**
 * Under the gate: use the template it gives. Alone (the gate's re-run on the version's own
 * schema): migrate a template of its own on TEST_DATABASE_URL's server, as a real project does.
 */
const GLOBAL_SETUP = `import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

const root = path.resolve(__dirname, '..', '..');

export default async function globalSetup(): Promise<void> {
  if (process.env.ZDM_TEST_TEMPLATE_URL) return;
  const url = new URL(process.env.TEST_DATABASE_URL as string);
  url.pathname = '/postgres';
  const name = \`fixture_template_\${process.pid}_\${Date.now()}\`;
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(\`CREATE DATABASE \${name}\`).finally(() => admin.end());
  url.pathname = \`/\${name}\`;
  for (const phase of ['pre', 'post']) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/.bin/tsx'), 'scripts/migrate.ts', phase], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url.toString() },
    });
  }
  process.env.ZDM_TEST_TEMPLATE_URL = url.toString();
  (globalThis as { ownTemplate?: string }).ownTemplate = name;
}
`;

const GLOBAL_TEARDOWN = `import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const name = (globalThis as { ownTemplate?: string }).ownTemplate;
  if (!name) return;
  const url = new URL(process.env.TEST_DATABASE_URL as string);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(\`DROP DATABASE IF EXISTS \${name} WITH (FORCE)\`).finally(() => admin.end());
}
`;

/** Each test file clones the gate's template into its own database, as the real suite does. */
const TEST_DATABASE = `import { Client } from 'pg';

const template = new URL(process.env.ZDM_TEST_TEMPLATE_URL as string);
const name = \`fixture_\${process.pid}_\${Math.random().toString(16).slice(2, 10)}\`;

function urlOf(database: string): string {
  const url = new URL(template.toString());
  url.pathname = \`/\${database}\`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: urlOf('postgres') });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

export async function createDatabase(): Promise<Client> {
  await admin(\`CREATE DATABASE \${name} TEMPLATE \${template.pathname.slice(1)}\`);
  const client = new Client({ connectionString: urlOf(name) });
  await client.connect();
  return client;
}

export async function dropDatabase(client: Client): Promise<void> {
  await client.end();
  await admin(\`DROP DATABASE IF EXISTS \${name} WITH (FORCE)\`);
}
`;

export const READS_NAME_TEST = `import type { Client } from 'pg';
import { createDatabase, dropDatabase } from './support/database';

let db: Client;
beforeAll(async () => (db = await createDatabase()));
afterAll(() => dropDatabase(db));

describe('users', () => {
  it("reads every user's name", async () => {
    await db.query("INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada')");
    const { rows } = await db.query('SELECT id, email, name FROM users');
    expect(rows.map((row) => row.name)).toEqual(['Ada']);
  });
});
`;

export const READS_EMAIL_ONLY_TEST = `import type { Client } from 'pg';
import { createDatabase, dropDatabase } from './support/database';

let db: Client;
beforeAll(async () => (db = await createDatabase()));
afterAll(() => dropDatabase(db));

describe('users', () => {
  it('reads every user by email', async () => {
    await db.query("INSERT INTO users (email) VALUES ('ada@example.com')");
    const { rows } = await db.query('SELECT id, email FROM users');
    expect(rows.map((row) => row.email)).toEqual(['ada@example.com']);
  });
});
`;

export const ALWAYS_FAILS_TEST = `it('fails whatever the schema', () => {
  expect(1 + 1).toBe(3);
});
`;

/** The base commit: a users table with a name column, and a test that reads the name. */
export function createFixtureRepository(): FixtureRepository {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-compat-fixture-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  };
  git('init', '--quiet', '--initial-branch=master');
  git('config', 'user.email', 'fixture@example.com');
  git('config', 'user.name', 'Compat fixture');
  git('config', 'commit.gpgsign', 'false');
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.copyFileSync(path.join(projectRoot, 'package-lock.json'), path.join(dir, 'package-lock.json'));
  write('.gitignore', 'node_modules\n');
  write(
    'package.json',
    JSON.stringify(
      {
        name: 'compat-fixture',
        private: true,
        scripts: {
          'migrate:pre': 'tsx scripts/migrate.ts pre',
          'migrate:post': 'tsx scripts/migrate.ts post',
        },
      },
      null,
      2,
    ),
  );
  write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        strict: true,
        esModuleInterop: true,
        isolatedModules: true,
        skipLibCheck: true,
        types: ['node', 'jest'],
      },
    }),
  );
  write(
    'jest.config.js',
    `module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
};
`,
  );
  write('scripts/migrate.ts', MIGRATE);
  write('tests/support/global-setup.ts', GLOBAL_SETUP);
  write('tests/support/global-teardown.ts', GLOBAL_TEARDOWN);
  write('tests/support/database.ts', TEST_DATABASE);
  write(
    'migrations/pre-deploy/001-create-users.sql',
    'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text);\n',
  );
  write('migrations/post-deploy/.keep', '');
  write('tests/users.test.ts', READS_NAME_TEST);
  const repository: FixtureRepository = {
    dir,
    write,
    remove: (file) => fs.rmSync(path.join(dir, file)),
    commit: (message) => {
      git('add', '--all');
      git('commit', '--quiet', '-m', message);
    },
    destroy: () => {
      fs.unlinkSync(path.join(dir, 'node_modules'));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  repository.commit('base: users with a name, a test reading it');
  return repository;
}
