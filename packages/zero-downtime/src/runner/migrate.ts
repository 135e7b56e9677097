import path from 'node:path';
import { appContract } from '../core/config';
import { findProjectRoot } from '../core/project';
import type { Logger } from '../core/logger';
import { MigrationRunnerError } from './errors';
import { executeMigration } from './execute';
import { listMigrationFiles, type MigrationFile } from './files';
import type { HelpersFactory } from './helpers';
import { createPhaseUmzug, unwrapUmzugError } from './phase';
import { withRunnerLock, type LockedRun } from './run';
import { PHASES, resolveSettings, type Phase, type RunnerSettings } from './settings';
import { readAppliedMigrations } from './storage';
import { pendingFiles, refuseWhilePreDeployPending, verifyAppliedFiles } from './verify';

export interface MigrateOptions {
  databaseUrl: string;
  phases: Phase[];
  logger: Logger;
  settings?: Partial<RunnerSettings>;
  /** Default: <project root>/migrations. */
  migrationsDir?: string;
  helpers?: HelpersFactory;
}

export interface AppliedMigrationSummary {
  name: string;
  phase: Phase;
  durationMs: number;
  attempts: number;
  /** A pre-deploy migration slower than the time budget. */
  overBudget: boolean;
}

/** The migrations folder the project's contract names (package.json `zeroDowntime`). */
export function defaultMigrationsDir(root: string = findProjectRoot()): string {
  return path.resolve(root, appContract(root).migrations);
}

/**
 * Applies the pending migrations of the given phases (pre before post), under the migration
 * lock. Any failure stops the run with a MigrationRunnerError; migrations applied before it
 * stay applied and recorded.
 */
export async function migrateDatabase(
  options: MigrateOptions,
): Promise<{ applied: AppliedMigrationSummary[] }> {
  const settings = resolveSettings(options.settings);
  const { logger } = options;
  const files = listMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const phases = PHASES.filter((phase) => options.phases.includes(phase));
  return withRunnerLock(options.databaseUrl, logger, async (run) => {
    const applied = await readAppliedMigrations(run.client);
    await verifyAppliedFiles(run.client, files, applied, logger);
    if (phases[0] === 'post') refuseWhilePreDeployPending(files, applied);
    const summaries: AppliedMigrationSummary[] = [];
    for (const phase of phases) {
      const pending = pendingFiles(files, applied, phase);
      logger.info(`migrate: ${phase}-deploy: ${pending.length} pending migration(s)`);
      const umzug = createPhaseUmzug(run.client, phase, files, async (file) => {
        summaries.push(await applyOne(file, run, options, settings));
      });
      await umzug.up().catch((error: unknown) => Promise.reject(unwrapUmzugError(error)));
    }
    return { applied: summaries };
  });
}

async function applyOne(
  file: MigrationFile,
  run: LockedRun,
  options: MigrateOptions,
  settings: RunnerSettings,
): Promise<AppliedMigrationSummary> {
  const { logger } = options;
  logger.info(`migrate: applying ${file.name} (${file.phase}-deploy, .${file.kind})`);
  const result = await executeMigration(file, 'up', {
    databaseUrl: options.databaseUrl,
    settings,
    logger,
    monitor: run.monitor,
    record: true,
    helpers: options.helpers,
    serverVersion: run.serverVersion,
  });
  const overBudget = file.phase === 'pre' && result.durationMs > settings.timeBudgetMs;
  logger.info(
    `migrate: applied ${file.name} in ${result.durationMs} ms` +
      `${result.attempts > 1 ? ` after ${result.attempts} attempts` : ''}` +
      `${result.transactional ? '' : ' (outside a transaction)'}`,
  );
  if (overBudget) {
    logger.warn(
      `migrate: pre-deploy migration ${file.name} took ${result.durationMs} ms, over the ` +
        `${settings.timeBudgetMs} ms budget (MIGRATION_TIME_BUDGET_MS): every deploy waits for ` +
        'pre-deploy, so move slow work to a backfill (npm run db:backfill) or to post-deploy.',
    );
  }
  return {
    name: file.name,
    phase: file.phase,
    durationMs: result.durationMs,
    attempts: result.attempts,
    overBudget,
  };
}

export interface RevertOptions {
  databaseUrl: string;
  phase: Phase;
  logger: Logger;
  /** Revert down to and including this migration; default: only the last applied one. */
  to?: string;
  environment: string;
  settings?: Partial<RunnerSettings>;
  migrationsDir?: string;
  helpers?: HelpersFactory;
}

/** Development only: reverts applied migrations of one phase with their `down`. */
export async function revertMigrations(options: RevertOptions): Promise<{ reverted: string[] }> {
  if (options.environment === 'production') {
    throw new MigrationRunnerError(
      'DOWN_REFUSED_IN_PRODUCTION',
      'migrate:down is for development and refuses to run with NODE_ENV=production; in ' +
        'production, undo a change with a new migration.',
    );
  }
  const settings = resolveSettings(options.settings);
  const files = listMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  return withRunnerLock(options.databaseUrl, options.logger, async (run) => {
    const applied = await readAppliedMigrations(run.client);
    await verifyAppliedFiles(run.client, files, applied, options.logger);
    const ofPhase = applied.filter((record) => record.phase === options.phase);
    if (options.to && !ofPhase.some((record) => record.name === options.to)) {
      throw new MigrationRunnerError(
        'MIGRATION_NOT_FOUND',
        `--to ${options.to}: no applied ${options.phase}-deploy migration has that name; ` +
          '`npm run migrate:status` lists them.',
      );
    }
    const reverted: string[] = [];
    const umzug = createPhaseUmzug(run.client, options.phase, files, async (file, direction) => {
      options.logger.info(`migrate: reverting ${file.name}`);
      await executeMigration(file, direction, {
        databaseUrl: options.databaseUrl,
        settings,
        logger: options.logger,
        monitor: run.monitor,
        record: true,
        helpers: options.helpers,
        serverVersion: run.serverVersion,
      });
      reverted.push(file.name);
    });
    await umzug
      .down(options.to ? { to: options.to } : undefined)
      .catch((error: unknown) => Promise.reject(unwrapUmzugError(error)));
    return { reverted };
  });
}
