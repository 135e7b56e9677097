import type { Logger } from '../core/logger';
import { MigrationRunnerError } from './errors';
import type { MigrationFile } from './files';
import { displayPath } from './plan';
import { PHASE_FOLDERS, type Phase } from './settings';
import type { AppliedMigration } from './storage';

/**
 * Applied migrations are history. A file edited after it was applied, or moved to the other
 * phase, means the database and the code disagree about the schema: stop and say so.
 */
export function verifyAppliedFiles(
  files: MigrationFile[],
  applied: AppliedMigration[],
  logger: Logger,
): void {
  const byName = new Map(files.map((file) => [file.name, file]));
  const problems: string[] = [];
  let moved = false;
  for (const record of applied) {
    const file = byName.get(record.name);
    if (!file) {
      logger.warn(
        `migrate: ${record.name} was applied (${record.phase}-deploy) but its file is gone; ` +
          'restore it if that was not intended.',
      );
    } else if (file.phase !== record.phase) {
      moved = true;
      problems.push(
        `${displayPath(file.path)} was applied as a ${record.phase}-deploy migration and now ` +
          `sits in ${PHASE_FOLDERS[file.phase]}/`,
      );
    } else if (file.checksum !== record.checksum) {
      problems.push(
        `${displayPath(file.path)} changed after it was applied on ${record.finishedAt.toISOString()}`,
      );
    }
  }
  if (problems.length === 0) return;
  const message =
    `Applied migrations no longer match their files, so nothing was run: ${problems.join('; ')}. ` +
    'Restore each file as it was when applied (git log / git checkout on that path) and put ' +
    'the change in a new migration (`npm run migrate:create -- <pre|post> <name>`).';
  logger.error(`migrate: ${message}`);
  throw new MigrationRunnerError(moved ? 'MIGRATION_MOVED' : 'MIGRATION_CHANGED', message);
}

export function pendingFiles(
  files: MigrationFile[],
  applied: AppliedMigration[],
  phase: Phase,
): MigrationFile[] {
  const done = new Set(applied.map((record) => record.name));
  return files.filter((file) => file.phase === phase && !done.has(file.name));
}

export function refuseWhilePreDeployPending(
  files: MigrationFile[],
  applied: AppliedMigration[],
): void {
  const pending = pendingFiles(files, applied, 'pre');
  if (pending.length === 0) return;
  throw new MigrationRunnerError(
    'PRE_DEPLOY_PENDING',
    `Post-deploy migrations refused: ${pending.length} pre-deploy migration(s) are pending ` +
      `(${pending.map((file) => file.name).join(', ')}). Post-deploy runs only after the ` +
      'pre-deploy phase and a complete rollout: run `npm run migrate:pre` first.',
  );
}
