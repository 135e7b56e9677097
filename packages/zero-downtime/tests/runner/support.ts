import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createCliLogger, type Logger } from '../../src/core/logger';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { cliSource, projectRoot, toolkitRoot, tsxCli } from '../support/project';

/** Helpers shared by the runner tests: migration folders, child runners, quick queries. */

export const fixturesRoot = path.join(toolkitRoot, 'tests', 'fixtures', 'migrations');

export { silentLogger } from '../../src/core/logger';

/** A logger whose lines the test can read. */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createCliLogger({ level: 'debug', write: (line) => lines.push(`${line}\n`) });
  return { logger, lines };
}

export interface MigrationsFolder {
  dir: string;
  write(relative: string, content: string): string;
  remove(): void;
}

/** A temporary migrations folder, optionally starting as a copy of a fixture set. */
export function migrationsFolder(fixture?: string): MigrationsFolder {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-migrations-'));
  fs.mkdirSync(path.join(dir, 'pre-deploy'));
  fs.mkdirSync(path.join(dir, 'post-deploy'));
  if (fixture) fs.cpSync(path.join(fixturesRoot, fixture), dir, { recursive: true });
  return {
    dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      fs.writeFileSync(file, content);
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export async function query<T extends object = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function appliedNames(url: string): Promise<string[]> {
  const exists = await query<{ found: boolean }>(
    url,
    "SELECT to_regclass('zdm_migrations') IS NOT NULL AS found",
  );
  if (!exists[0].found) return [];
  return (await query<{ name: string }>(url, 'SELECT name FROM zdm_migrations ORDER BY name')).map(
    (row) => row.name,
  );
}

export async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await query<{ column_name: string }>(
    url,
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((row) => row.column_name);
}

export async function invalidIndexes(url: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    'SELECT indexrelid::regclass::text AS name FROM pg_index WHERE NOT indisvalid',
  );
  return rows.map((row) => row.name);
}

export interface CliResult {
  code: number | null;
  output: string;
}

export interface MigrateProcess {
  exited: Promise<number | null>;
  output(): string;
  /** SIGKILL to the whole process group: tsx runs the script in a child process of its own. */
  kill(): void;
}

/** `zdm migrate ...` (from source, through tsx) in a child process, against the given database. */
export function startMigrate(
  args: string[],
  databaseUrl: string,
  env: Record<string, string> = {},
): MigrateProcess {
  const child = spawn(process.execPath, [tsxCli, cliSource, 'migrate', ...args], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    exited,
    output: () => output,
    kill: () => process.kill(-(child.pid as number), 'SIGKILL'),
  };
}

export async function runMigrate(
  args: string[],
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const child = startMigrate(args, databaseUrl, env);
  const code = await child.exited;
  return { code, output: child.output() };
}

/** A session holding a lock on `table` inside an open transaction, until `release()`. */
export async function holdTableLock(
  url: string,
  table: string,
): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new Client({ connectionString: url, application_name: 'test-blocker' });
  await client.connect();
  const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
  await client.query('BEGIN');
  await client.query(`SELECT count(*) FROM ${table}`);
  return {
    pid,
    release: async () => {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    },
  };
}

/** A fresh empty database and a migrations folder (a copy of `fixture`) for each test. */
export function eachTestDatabase(fixture?: string): {
  db(): TestDatabase;
  folder(): MigrationsFolder;
} {
  let db: TestDatabase | undefined;
  let folder: MigrationsFolder | undefined;
  beforeEach(async () => {
    db = await createEmptyDatabase();
    folder = migrationsFolder(fixture);
  });
  afterEach(async () => {
    folder?.remove();
    await db?.drop();
  });
  const current = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('only inside a test: the database is per test');
    return value;
  };
  return { db: () => current(db), folder: () => current(folder) };
}
