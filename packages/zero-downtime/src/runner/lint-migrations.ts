import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../core/logger';
import {
  explainSql,
  explainStatements,
  lintSql,
  lintStatements,
  parseSuppressions,
  type ExplainedStatement,
  type Finding,
} from '../lint';
import {
  lintAgainstDatabase,
  type DatabaseLintOptions,
  type JudgedMigration,
} from '../lint/database';
import { loadSqlParser, splitParsedStatementsSync } from '../sql/split';
import { MigrationRunnerError, excerpt, messageOf } from './errors';
import { executeMigration } from './execute';
import { listMigrationFiles, type MigrationFile } from './files';
import { defaultMigrationsDir } from './migrate';
import { displayPath } from './plan';
import { lintReplayedSql } from './replay-sql';
import { withRunnerLock, type LockedRun } from './run';
import { resolveSettings, type RunnerSettings } from './settings';
import { readAppliedMigrations } from './storage';

/**
 * `migrate:lint`: every migration runs in a throw-away database, after every migration before
 * it. A `.ts` migration is linted by the SQL it really sends (each statement captured on its
 * pinned connection); a `.sql` file by its text, with what the schema it met decides
 * (src/lint/replay.ts). Without a database server, `.sql` files are linted by their text alone.
 */
export interface LintMigrationsOptions {
  logger: Logger;
  migrationsDir?: string;
  /** Files to lint; default: the pending migrations of both phases. */
  files?: string[];
  /** Needed to find pending migrations and to run .ts migrations. */
  databaseUrl?: string;
  settings?: Partial<RunnerSettings>;
  /**
   * Judge the pending statements against this database too (read-only): table sizes and the
   * rows already there. Pending then means not applied there.
   */
  database?: DatabaseLintOptions;
}

export interface LintMigrationsReport {
  linted: MigrationFile[];
  findings: Finding[];
  /** Every statement of the linted files with its lock, for `migrate:lint --explain`. */
  explained: ExplainedStatement[];
}

interface Linted {
  findings: Finding[];
  explained: ExplainedStatement[];
}

export async function lintMigrations(
  options: LintMigrationsOptions,
): Promise<LintMigrationsReport> {
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  const all = listMigrationFiles(migrationsDir);
  const targets = options.files?.length
    ? options.files.map((file) => findMigration(all, file, migrationsDir))
    : await pendingMigrations(all, options.database?.url ?? options.databaseUrl);
  const result: Linted = { findings: [], explained: [] };
  const judged: JudgedMigration[] = [];
  await loadSqlParser();
  // With a server for a throw-away database, .sql files are replayed too (the schema each
  // statement meets decides what their text cannot); without one, judged by their text.
  const replayed = options.databaseUrl ? targets : targets.filter((target) => target.kind === 'ts');
  for (const file of targets.filter((target) => !replayed.includes(target))) {
    const source = fs.readFileSync(file.path, 'utf8');
    const name = displayPath(file.path);
    result.findings.push(...(await lintSql(source, { file: name, phase: file.phase })));
    result.explained.push(...(await explainSql(source, name)));
    if (options.database) judged.push(judgedSql(file, source));
  }
  if (replayed.length > 0) {
    const scratch = await lintInScratch(all, replayed, options, judged);
    result.findings.push(...scratch.findings);
    result.explained.push(...scratch.explained);
  }
  if (!options.database) return { linted: targets, ...result };
  const inOrder = judged.sort((a, b) => byTimestamp(a, b));
  return {
    linted: targets,
    findings: await lintAgainstDatabase(inOrder, result.findings, options.database),
    explained: result.explained,
  };
}

/** `checkPendingData`: the migrations folder and the database to check. */
export interface DataCheckOptions {
  migrationsDir?: string;
  database: DatabaseLintOptions;
}

/**
 * `zdm migrate check` (and the deploy, before migrate-pre): the data checks of the pending
 * `.sql` migrations against the database, read-only, nothing run. A `.ts` migration's SQL is
 * known only by running it, which needs a throw-away database beside this one: a note says it
 * was not checked (`migrate lint --database` checks it).
 */
export async function checkPendingData(options: DataCheckOptions): Promise<LintMigrationsReport> {
  const all = listMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const pending = await pendingMigrations(all, options.database.url);
  await loadSqlParser();
  const judged = pending
    .filter((file) => file.kind === 'sql')
    .map((file) => judgedSql(file, fs.readFileSync(file.path, 'utf8')));
  const notes: Finding[] = pending
    .filter((file) => file.kind === 'ts')
    .map((file) => ({
      rule: 'data-not-checked',
      severity: 'warning',
      file: displayPath(file.path),
      line: 0,
      statement: '',
      message:
        'The rows this .ts migration meets were not checked: its SQL is known only by running ' +
        'it in a throw-away database.',
      recipe: '-- npm run migrate:lint -- --database <this database URL> checks it',
    }));
  const findings = await lintAgainstDatabase(judged, [], options.database);
  return { linted: pending, findings: [...findings, ...notes], explained: [] };
}

function judgedSql(file: MigrationFile, source: string): JudgedMigration {
  const statements = splitParsedStatementsSync(source).map(({ text, line }) => ({ text, line }));
  return { name: file.name, file: displayPath(file.path), phase: file.phase, statements };
}

function findMigration(all: MigrationFile[], given: string, migrationsDir: string): MigrationFile {
  const found = all.find((file) => path.resolve(file.path) === path.resolve(given));
  if (!found) {
    throw new MigrationRunnerError(
      'MIGRATION_NOT_FOUND',
      `${given} is not a migration file in ${displayPath(migrationsDir)}/pre-deploy or ` +
        'post-deploy (its folder tells the linter its phase).',
    );
  }
  return found;
}

async function pendingMigrations(
  all: MigrationFile[],
  databaseUrl: string | undefined,
): Promise<MigrationFile[]> {
  if (!databaseUrl) return all;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const applied = new Set((await readAppliedMigrations(client)).map((record) => record.name));
    return all.filter((file) => !applied.has(file.name));
  } finally {
    await client.end();
  }
}

/** Deploy order as far as files tell it: by timestamp across both phases. */
function byTimestamp(
  a: Pick<MigrationFile, 'name' | 'phase'>,
  b: Pick<MigrationFile, 'name' | 'phase'>,
): number {
  if (a.name !== b.name) return a.name.localeCompare(b.name);
  // A file compares equal to itself: the last target is part of the sequence it ends.
  return a.phase === b.phase ? 0 : a.phase === 'pre' ? -1 : 1;
}

async function lintInScratch(
  all: MigrationFile[],
  targets: MigrationFile[],
  options: LintMigrationsOptions,
  judged: JudgedMigration[],
): Promise<Linted> {
  if (!options.databaseUrl) {
    throw new MigrationRunnerError(
      'MIGRATION_INVALID',
      'Linting a .ts migration runs it in a throw-away database: set DATABASE_URL to a server ' +
        'where this user may CREATE DATABASE.',
    );
  }
  const last = [...targets].sort(byTimestamp).at(-1) as MigrationFile;
  const sequence = [...all].sort(byTimestamp).filter((file) => byTimestamp(file, last) <= 0);
  return withScratchDatabase(options.databaseUrl, options.logger, (url) =>
    withRunnerLock(url, options.logger, (run) =>
      runAndLint(sequence, new Set(targets), url, run, options, judged),
    ),
  );
}

async function runAndLint(
  sequence: MigrationFile[],
  targets: Set<MigrationFile>,
  url: string,
  run: LockedRun,
  options: LintMigrationsOptions,
  judged: JudgedMigration[],
): Promise<Linted> {
  const findings: Finding[] = [];
  const explained: ExplainedStatement[] = [];
  const execution = {
    databaseUrl: url,
    settings: resolveSettings(options.settings),
    logger: options.logger,
    monitor: run.monitor,
    record: true,
    serverVersion: run.serverVersion,
  };
  for (const file of sequence) {
    if (!targets.has(file)) {
      await executeMigration(file, 'up', execution);
      continue;
    }
    if (file.kind === 'sql') {
      const source = fs.readFileSync(file.path, 'utf8');
      const replay = await lintReplayedSql(file, source, url);
      findings.push(...replay.findings);
      explained.push(...(await explainSql(source, displayPath(file.path))));
      if (options.database) judged.push(judgedSql(file, source));
      if (!replay.failure) continue;
      findings.push(failedRunFinding(file, replay.failure));
      break;
    }
    try {
      const result = await executeMigration(file, 'up', execution);
      const statements = result.statements.map(({ text, line }) => ({ text, line: line ?? 0 }));
      judged.push({ name: file.name, file: displayPath(file.path), phase: file.phase, statements });
      explained.push(...(await explainStatements(result.statements, displayPath(file.path))));
      findings.push(
        ...(await lintStatements(result.statements, {
          file: displayPath(file.path),
          phase: file.phase,
          transactional: result.transactional,
          suppressions: parseSuppressions(fs.readFileSync(file.path, 'utf8')),
        })),
      );
    } catch (error) {
      findings.push(failedRunFinding(file, error));
      break;
    }
  }
  return { findings, explained };
}

function failedRunFinding(file: MigrationFile, error: unknown): Finding {
  const details = error instanceof MigrationRunnerError ? error.details : {};
  const statement = details.statement;
  return {
    rule: 'migration-fails',
    severity: 'error',
    file: displayPath(file.path),
    line: details.line ?? 0,
    statement: statement ? excerpt(statement) : '',
    message: `The migration failed on a copy of the schema built from the migrations before it: ${messageOf(error)}`,
    recipe: '-- fix the migration so that it applies after the earlier ones, then lint again',
  };
}

async function withScratchDatabase<T>(
  databaseUrl: string,
  logger: Logger,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const name = `zdm_lint_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`).catch((error: unknown) => {
      throw new MigrationRunnerError(
        'MIGRATION_INVALID',
        `Linting runs the migrations in a throw-away database, and CREATE DATABASE failed ` +
          `(${messageOf(error)}): grant CREATEDB to this user, or lint against a development server.`,
      );
    });
    logger.debug(`migrate: lint: throw-away database ${name}`);
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    try {
      return await work(url.toString());
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
