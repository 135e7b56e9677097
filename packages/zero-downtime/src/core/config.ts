import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { ToolkitError } from './errors';
import type { LogLevel } from './logger';
import { findProjectRoot } from './project';
import { isPostgresUrl, redactUrl } from './url';

/**
 * The written contract between an app and the toolkit, and the only reader of process.env in
 * the toolkit. Two sources, both validated here with an error that names what is wrong:
 *
 * - the `zeroDowntime` key of the app's package.json: what the toolkit must know about the app
 *   (folders, built entry points, health paths, commands); every key has a default that fits
 *   the starter, so an app only writes what it changed;
 * - the environment (and the project's .env): the database and the runner's timeouts.
 */
export type NodeEnv = 'development' | 'production' | 'test';

export interface ModuleExport {
  /** A compiled module, relative to the project root. */
  module: string;
  export: string;
}

export interface AppContract {
  /** The package name: PM2's app name by default. */
  name: string;
  /** Migration folders: `<migrations>/pre-deploy`, `<migrations>/post-deploy`. */
  migrations: string;
  /** Where `build` compiles the project (with the project root as rootDir). */
  outDir: string;
  /** The models registry the rehearsal seeds from (a Record of Sequelize models). */
  models: ModuleExport;
  /** The function mounting every route module on an Express app; the rehearsal reads it. */
  routes: ModuleExport;
  /** Liveness (never touches the database) and readiness (503 once shutdown begins). */
  health: { live: string; ready: string };
  /** How `migrate lint --database` (and the deploy's check) judges the real database. */
  lint: LintThresholds;
}

/** Table-size thresholds and bounds of the linter's checks against a real database. */
export interface LintThresholds {
  /** Below this many rows, a lock-duration error is only a warning (the lock is brief). */
  smallTableRows: number;
  /** From this many rows on, a lock-duration warning is an error. */
  largeTableRows: number;
  /** Data checks skip tables with more rows than this (they would not finish in time). */
  scanRowLimit: number;
  /** statement_timeout of each catalog query and data check, in ms. */
  statementTimeoutMs: number;
  /** Throughput the duration estimate assumes for scanning or rewriting a table, in MB/s. */
  megabytesPerSecond: number;
}

export interface RunnerEnvironment {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  maxRetries: number;
  timeBudgetMs: number;
}

export interface ToolkitConfig {
  root: string;
  env: NodeEnv;
  /** CI is set (to anything but an empty string): a build server, not a developer's machine. */
  ci: boolean;
  logLevel: LogLevel;
  databaseUrl: string | undefined;
  /** The development database the app starts when DATABASE_URL is unset. */
  embeddedPostgres: { port: number; dataDir: string };
  runner: RunnerEnvironment;
  /** GitHub Actions' job summary file ($GITHUB_STEP_SUMMARY), when running there. */
  stepSummaryFile: string | undefined;
  app: AppContract;
}

const relativePath = z
  .string()
  .min(1)
  .refine((value) => !path.isAbsolute(value), { error: 'must be relative to the project root' });

const count = (fallback: number) => z.number().int().min(0).default(fallback);

const lintDefaults: LintThresholds = {
  smallTableRows: 10_000,
  largeTableRows: 1_000_000,
  scanRowLimit: 10_000_000,
  statementTimeoutMs: 10_000,
  megabytesPerSecond: 50,
};

const lintSchema = z
  .strictObject({
    smallTableRows: count(lintDefaults.smallTableRows),
    largeTableRows: count(lintDefaults.largeTableRows),
    scanRowLimit: count(lintDefaults.scanRowLimit),
    statementTimeoutMs: z.number().int().min(1).default(lintDefaults.statementTimeoutMs),
    megabytesPerSecond: z.number().positive().default(lintDefaults.megabytesPerSecond),
  })
  .default(lintDefaults);

const contractSchema = z.strictObject({
  migrations: relativePath.default('migrations'),
  outDir: relativePath.default('dist'),
  models: z
    .strictObject({ module: relativePath, export: z.string().min(1) })
    .default({ module: 'dist/app/models/index.js', export: 'models' }),
  routes: z
    .strictObject({ module: relativePath, export: z.string().min(1) })
    .default({ module: 'dist/app/routes/index.js', export: 'registerRoutes' }),
  health: z
    .strictObject({
      live: z.string().startsWith('/').default('/health/live'),
      ready: z.string().startsWith('/').default('/health/ready'),
    })
    .default({ live: '/health/live', ready: '/health/ready' }),
  lint: lintSchema,
});

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).optional(),
  DATABASE_URL: z
    .string()
    .refine(isPostgresUrl, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  EMBEDDED_POSTGRES_PORT: integer(1, 65535).default(54329),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('.data/postgres'),
  MIGRATION_LOCK_TIMEOUT_MS: integer(1, 600_000).default(1_000),
  MIGRATION_STATEMENT_TIMEOUT_MS: integer(1, 86_400_000).default(30_000),
  MIGRATION_MAX_RETRIES: integer(0, 100).default(10),
  MIGRATION_TIME_BUDGET_MS: integer(1, 86_400_000).default(180_000),
  CI: z.string().optional(),
  GITHUB_STEP_SUMMARY: z.string().min(1).optional(),
});

const EXAMPLES: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  DATABASE_URL: 'postgres://app:secret@db.internal:5432/app',
  EMBEDDED_POSTGRES_PORT: '54329',
  EMBEDDED_POSTGRES_DIR: '.data/postgres',
  MIGRATION_LOCK_TIMEOUT_MS: '1000',
  MIGRATION_STATEMENT_TIMEOUT_MS: '30000',
  MIGRATION_MAX_RETRIES: '10',
  MIGRATION_TIME_BUDGET_MS: '180000',
  CI: 'true',
};

export type ConfigErrorCode = 'CONFIG_INVALID';

export class ToolkitConfigError extends ToolkitError<ConfigErrorCode> {}

export interface LoadConfigOptions {
  root?: string;
  /** The environment; by default process.env with the project's .env filling gaps. */
  env?: NodeJS.ProcessEnv;
}

export function loadToolkitConfig(options: LoadConfigOptions = {}): ToolkitConfig {
  const root = path.resolve(options.root ?? findProjectRoot());
  const manifest = readManifest(root);
  const app = parseContract(manifest, root);
  const env = options.env ?? readEnvironment(root);
  const vars = parseEnvironment(env);
  return {
    root,
    env: vars.NODE_ENV,
    ci: Boolean(vars.CI),
    logLevel: vars.LOG_LEVEL ?? (vars.NODE_ENV === 'test' ? 'silent' : 'info'),
    databaseUrl: vars.DATABASE_URL,
    embeddedPostgres: {
      port: vars.EMBEDDED_POSTGRES_PORT,
      dataDir: path.resolve(root, vars.EMBEDDED_POSTGRES_DIR),
    },
    runner: {
      lockTimeoutMs: vars.MIGRATION_LOCK_TIMEOUT_MS,
      statementTimeoutMs: vars.MIGRATION_STATEMENT_TIMEOUT_MS,
      maxRetries: vars.MIGRATION_MAX_RETRIES,
      timeBudgetMs: vars.MIGRATION_TIME_BUDGET_MS,
    },
    stepSummaryFile: vars.GITHUB_STEP_SUMMARY,
    app: { name: manifest.name, ...app },
  };
}

/** An app contract with every default, for a project root (tests, tools). */
export function appContract(root: string): AppContract {
  const manifest = readManifest(root);
  return { name: manifest.name, ...parseContract(manifest, root) };
}

/** Absolute path of a contract path. */
export function inProject(config: { root: string }, relative: string): string {
  return path.resolve(config.root, relative);
}

interface Manifest {
  name: string;
  zeroDowntime?: unknown;
}

function readManifest(root: string): Manifest {
  const file = path.join(root, 'package.json');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw new ToolkitConfigError(
      'CONFIG_INVALID',
      `${file} could not be read (${(error as Error).message}): run the command from the ` +
        'project folder, the one holding package.json',
      { cause: error },
    );
  }
  if (typeof manifest.name !== 'string' || !manifest.name) {
    throw new ToolkitConfigError('CONFIG_INVALID', `${file} has no "name"`);
  }
  return manifest;
}

function parseContract(manifest: Manifest, root: string): Omit<AppContract, 'name'> {
  const parsed = contractSchema.safeParse(manifest.zeroDowntime ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = ['zeroDowntime', ...issue.path.map(String)].join('.');
  const problem =
    issue.code === 'unrecognized_keys'
      ? `has unknown key(s) ${issue.keys.map((name) => `"${name}"`).join(', ')}`
      : issue.message;
  throw new ToolkitConfigError(
    'CONFIG_INVALID',
    `${path.join(root, 'package.json')}: ${key} ${problem}. The keys, their defaults and ` +
      'meaning are in the toolkit README ("The app contract").',
  );
}

function parseEnvironment(env: NodeJS.ProcessEnv): z.infer<typeof environmentSchema> {
  const given = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const parsed = environmentSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = String(issue.path[0]);
  const value = env[variable] ?? '';
  const shown = variable === 'DATABASE_URL' ? redactUrl(value) : value;
  const example = EXAMPLES[variable];
  throw new ToolkitConfigError(
    'CONFIG_INVALID',
    `${variable} is invalid: "${shown}" ${issue.message}` +
      (example ? ` (for example ${variable}=${example})` : ''),
    { details: { variable } },
  );
}

/** process.env, with the project's .env filling what is unset (never overriding). */
function readEnvironment(root: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const file = path.join(root, '.env');
  if (fs.existsSync(file)) {
    dotenv.config({ path: file, processEnv: env as Record<string, string>, quiet: true });
  }
  return env;
}
