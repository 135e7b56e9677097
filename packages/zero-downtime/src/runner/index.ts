/**
 * The two-phase migration runner: pre-deploy (expand) and post-deploy (contract) migrations,
 * one runner at a time, every statement under a lock and a statement timeout, retries on lock
 * timeouts, all-or-nothing migrations.
 */
export { migrateDatabase, revertMigrations, defaultMigrationsDir } from './migrate';
export type { MigrateOptions, RevertOptions, AppliedMigrationSummary } from './migrate';
export type { Phase, RunnerSettings } from './settings';
export { DEFAULT_SETTINGS, PHASES, PHASE_FOLDERS, resolveSettings, isPhase } from './settings';
export type { Migration, MigrationContext } from './context';
export type { MigrationHelpers, HelpersFactory } from './helpers';
export { MigrationRunnerError, type RunnerErrorCode } from './errors';
export { listMigrationFiles, checksumOf, type MigrationFile } from './files';
export {
  readMigrationStatus,
  formatStatusTable,
  blocksMigrate,
  type MigrationStatus,
} from './status';
export { acceptMigrationChange, type AcceptOptions, type AcceptOutcome } from './accept';
export { createMigrationFile, toKebabName } from './create';
