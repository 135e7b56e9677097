import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { isPostgresUrl, redactUrl } from 'zero-downtime-toolkit';
import { z } from 'zod';

export { redactUrl };

/**
 * The only reader of process.env. Everything else receives a typed, validated Config.
 * A bad variable stops start-up with one line naming it, its problem and a good example.
 */

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

/** A comma list of browser origins such as https://app.example.com (scheme, host, port). */
const origins = z
  .string()
  .transform((list) =>
    list
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .refine((list) => list.every(isOrigin), {
    error: 'must be a comma list of origins such as https://app.example.com (no path)',
  });

const postgresUrl = z
  .string()
  .refine(isPostgresUrl, { error: 'must be a postgres:// or postgresql:// URL' });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: integer(1, 1000).default(10),
  EMBEDDED_POSTGRES_PORT: integer(1, 65535).default(54329),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('.data/postgres'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, { error: 'must be a size such as 100kb or 1mb' })
    .default('100kb'),
  SHUTDOWN_DRAIN_DELAY_MS: integer(0, 600_000).optional(),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).optional(),
  KEEP_ALIVE_TIMEOUT_MS: integer(1, 3_600_000).default(75_000),
  HEADERS_TIMEOUT_MS: integer(1, 3_600_000).optional(),
  REQUEST_TIMEOUT_MS: integer(1, 3_600_000).default(120_000),
  REQUEST_DEADLINE_MS: integer(0, 3_600_000).default(15_000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(0, 3_600_000).default(10_000),
  CORS_ORIGINS: origins.optional(),
  METRICS_ENABLED: flag.default(true),
  METRICS_PORT: integer(0, 65535).optional(),
  MIGRATION_LOCK_TIMEOUT_MS: integer(1, 600_000).default(1_000),
  MIGRATION_STATEMENT_TIMEOUT_MS: integer(1, 86_400_000).default(30_000),
  MIGRATION_MAX_RETRIES: integer(0, 100).default(10),
  MIGRATION_TIME_BUDGET_MS: integer(1, 86_400_000).default(180_000),
  GIT_COMMIT: z.string().optional(),
});

const examples: Record<string, string> = {
  NODE_ENV: 'production',
  PORT: '3000',
  HOST: '0.0.0.0',
  LOG_LEVEL: 'info',
  DATABASE_URL: 'postgres://app:secret@db.internal:5432/app',
  DATABASE_POOL_MAX: '10',
  EMBEDDED_POSTGRES_PORT: '54329',
  EMBEDDED_POSTGRES_DIR: '.data/postgres',
  BODY_LIMIT: '100kb',
  SHUTDOWN_DRAIN_DELAY_MS: '5000',
  SHUTDOWN_TIMEOUT_MS: '20000',
  KEEP_ALIVE_TIMEOUT_MS: '75000',
  HEADERS_TIMEOUT_MS: '76000',
  REQUEST_TIMEOUT_MS: '120000',
  REQUEST_DEADLINE_MS: '15000',
  DATABASE_STATEMENT_TIMEOUT_MS: '10000',
  CORS_ORIGINS: 'https://app.example.com,https://admin.example.com',
  METRICS_ENABLED: 'false',
  METRICS_PORT: '9464',
  MIGRATION_LOCK_TIMEOUT_MS: '1000',
  MIGRATION_STATEMENT_TIMEOUT_MS: '30000',
  MIGRATION_MAX_RETRIES: '10',
  MIGRATION_TIME_BUDGET_MS: '180000',
  GIT_COMMIT: '3f2c1ab',
};

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug' | 'silent';

export interface Config {
  env: NodeEnv;
  port: number;
  host: string;
  logLevel: LogLevel;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** PostgreSQL `statement_timeout` of the app's queries; 0 turns it off. */
  databaseStatementTimeoutMs: number;
  embeddedPostgres: { port: number; dataDir: string };
  bodyLimit: string;
  /** Browser origins allowed by CORS; empty: no cross-origin access. */
  corsOrigins: string[];
  http: {
    /** Node's `server.requestTimeout`: the whole request must arrive within it. */
    requestTimeoutMs: number;
    /** A request not answered within it gets 503 DEADLINE_EXCEEDED; 0 turns it off. */
    deadlineMs: number;
  };
  /** Prometheus metrics at /metrics, on the API port or on their own `port`. */
  metrics: { enabled: boolean; port: number | undefined };
  shutdown: {
    drainDelayMs: number;
    timeoutMs: number;
    keepAliveTimeoutMs: number;
    headersTimeoutMs: number;
  };
  migrations: {
    lockTimeoutMs: number;
    statementTimeoutMs: number;
    maxRetries: number;
    timeBudgetMs: number;
  };
  version: { package: string; commit: string | undefined };
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    const example = examples[variable];
    super(`${variable} ${problem}${example ? ` (for example ${variable}=${example})` : ''}`);
  }
}

/** Reads `.env` (quietly, never overriding real variables) and validates the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = readEnvironment()): Config {
  const parsed = schema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0]);
    const value = env[variable];
    const shown = variable === 'DATABASE_URL' ? redactUrl(value ?? '') : value;
    throw new ConfigError(variable, `is invalid: "${shown}" ${issue.message}`);
  }
  const vars = parsed.data;
  if (vars.NODE_ENV === 'production' && !vars.DATABASE_URL) {
    throw new ConfigError(
      'DATABASE_URL',
      'is required when NODE_ENV=production (the embedded database is for development only)',
    );
  }
  const headersTimeoutMs = vars.HEADERS_TIMEOUT_MS ?? vars.KEEP_ALIVE_TIMEOUT_MS + 1_000;
  if (vars.REQUEST_TIMEOUT_MS < headersTimeoutMs) {
    throw new ConfigError(
      'REQUEST_TIMEOUT_MS',
      `is ${vars.REQUEST_TIMEOUT_MS}, below the headers timeout of ${headersTimeoutMs} ms (HEADERS_TIMEOUT_MS, else KEEP_ALIVE_TIMEOUT_MS + 1000): give at least ${headersTimeoutMs}`,
    );
  }
  if (
    vars.METRICS_PORT !== undefined &&
    vars.METRICS_PORT !== 0 &&
    vars.METRICS_PORT === vars.PORT
  ) {
    throw new ConfigError(
      'METRICS_PORT',
      `is the API's PORT (${vars.PORT}): give another port, or leave it unset to serve /metrics on the API port`,
    );
  }
  const drainDelayMs = vars.SHUTDOWN_DRAIN_DELAY_MS ?? (vars.NODE_ENV === 'production' ? 5_000 : 0);
  return {
    env: vars.NODE_ENV,
    port: vars.PORT,
    host: vars.HOST,
    logLevel: vars.LOG_LEVEL ?? defaultLogLevel(vars.NODE_ENV),
    databaseUrl: vars.DATABASE_URL,
    databasePoolMax: vars.DATABASE_POOL_MAX,
    databaseStatementTimeoutMs: vars.DATABASE_STATEMENT_TIMEOUT_MS,
    embeddedPostgres: {
      port: vars.EMBEDDED_POSTGRES_PORT,
      dataDir: path.resolve(projectRoot(), vars.EMBEDDED_POSTGRES_DIR),
    },
    bodyLimit: vars.BODY_LIMIT.toLowerCase(),
    corsOrigins: vars.CORS_ORIGINS ?? [],
    http: { requestTimeoutMs: vars.REQUEST_TIMEOUT_MS, deadlineMs: vars.REQUEST_DEADLINE_MS },
    metrics: { enabled: vars.METRICS_ENABLED, port: vars.METRICS_PORT },
    shutdown: {
      drainDelayMs,
      // `tsx watch` (npm run dev) kills the app 5 s after its signal: stay under it.
      timeoutMs: vars.SHUTDOWN_TIMEOUT_MS ?? (vars.NODE_ENV === 'production' ? 20_000 : 4_000),
      keepAliveTimeoutMs: vars.KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs,
    },
    migrations: {
      lockTimeoutMs: vars.MIGRATION_LOCK_TIMEOUT_MS,
      statementTimeoutMs: vars.MIGRATION_STATEMENT_TIMEOUT_MS,
      maxRetries: vars.MIGRATION_MAX_RETRIES,
      timeBudgetMs: vars.MIGRATION_TIME_BUDGET_MS,
    },
    version: { package: packageVersion(), commit: vars.GIT_COMMIT ?? releaseRevision() },
  };
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

function readEnvironment(): NodeJS.ProcessEnv {
  dotenv.config({ quiet: true, path: path.join(projectRoot(), '.env') });
  return process.env;
}

function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

function defaultLogLevel(env: NodeEnv): LogLevel {
  if (env === 'test') return 'silent';
  return env === 'production' ? 'info' : 'debug';
}

/** The folder holding package.json, whether running from source or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (dir !== path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/** The deploy pipeline writes the commit of a release into a REVISION file beside package.json. */
function releaseRevision(): string | undefined {
  const file = path.join(projectRoot(), 'REVISION');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() || undefined : undefined;
}

function packageVersion(): string {
  return (require(path.join(projectRoot(), 'package.json')) as { version: string }).version;
}
