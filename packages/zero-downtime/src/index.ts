/**
 * zero-downtime-toolkit: the public API. Migrations import their context and helpers from here:
 *
 *   import { addIndex, type MigrationContext } from 'zero-downtime-toolkit';
 *   export async function up(context: MigrationContext) { ... }
 *
 * The app imports what it runs itself (the runner, the embedded PostgreSQL for development);
 * the command line (`zdm`, dist/cli) is built on the rest. Test helpers live apart, in
 * `zero-downtime-toolkit/testing`.
 */
export * from './core/config';
export * from './core/errors';
export * from './core/logger';
export * from './core/phase';
export * from './core/terminal';
export { findProjectRoot, PACKAGE_NAME } from './core/project';
export { redactUrl, isPostgresUrl } from './core/url';
export { startEmbeddedPostgres, type EmbeddedServer } from './db/embedded';
export { freePort } from './db/free-port';
export { openScratchDatabase, type ScratchDatabase } from './db/scratch-database';
export { machineDescription } from './load/machine';

export * from './runner';
export * from './patterns';
export * from './lint';
export * from './backfill';
export * from './compare';
export * from './shadow';
export * from './deploy';
export * from './compat';
export * from './rehearse';
export * from './load';
export { summarize } from './lint';
export { summarize as summarizeLoad } from './load';
export * from './generate/names';
export * from './generate/files';
export { patterns as patternGenerators, type PatternGenerator } from './generate/patterns';
export { runCli, UsageError, type CliCommand } from './cli/run';
