import type { ClientBase } from 'pg';
import type { Logger } from '../core/logger';
import { canonicalChecksumOf } from './canonical';
import { MigrationRunnerError } from './errors';
import type { MigrationFile } from './files';
import { displayPath } from './plan';
import { PHASE_FOLDERS, type Phase } from './settings';
import { updateChecksums, type AppliedMigration } from './storage';

/** How a migration file compares with the record of it being applied. */
export type FileAgreement =
  /** Byte for byte (line endings aside) the file that was applied. */
  | 'same'
  /** Formatted differently, but the same statements or the same emitted code. */
  | 'reformatted'
  | 'changed';

/**
 * Compares a file with its record: the raw checksum first, then (only when that differs) the
 * canonical one, so formatting an applied migration is not a change. `canonical` is the file's
 * canonical checksum when it had to be computed.
 */
export async function agreementOf(
  file: MigrationFile,
  record: AppliedMigration,
): Promise<{ agreement: FileAgreement; canonical?: string }> {
  if (file.checksum === record.checksum) return { agreement: 'same' };
  const canonical = await canonicalChecksumOf(file);
  const reformatted = canonical !== undefined && canonical === record.canonical;
  return { agreement: reformatted ? 'reformatted' : 'changed', canonical };
}

/**
 * Applied migrations are history. A file edited after it was applied, or moved to the other
 * phase, means the database and the code disagree about the schema: stop and say so. A file
 * only reformatted is no change: its record takes the new raw checksum, silently, and a record
 * from before canonical checksums gets its canonical checksum the first time its file is seen
 * unchanged.
 */
export async function verifyAppliedFiles(
  client: ClientBase,
  files: MigrationFile[],
  applied: AppliedMigration[],
  logger: Logger,
): Promise<void> {
  const byName = new Map(files.map((file) => [file.name, file]));
  const problems: string[] = [];
  const changed: string[] = [];
  let moved = false;
  for (const record of applied) {
    const file = byName.get(record.name);
    if (!file) {
      logger.warn(
        `migrate: ${record.name} was applied (${record.phase}-deploy) but its file is gone; ` +
          'restore it if that was not intended.',
      );
      continue;
    }
    if (file.phase !== record.phase) {
      moved = true;
      problems.push(
        `${displayPath(file.path)} was applied as a ${record.phase}-deploy migration and now ` +
          `sits in ${PHASE_FOLDERS[file.phase]}/`,
      );
      continue;
    }
    const { agreement, canonical } = await agreementOf(file, record);
    if (agreement === 'changed') {
      changed.push(file.name);
      problems.push(
        `${displayPath(file.path)} changed after it was applied on ${record.finishedAt.toISOString()}`,
      );
    } else if (agreement === 'reformatted') {
      logger.debug(`migrate: ${file.name} was reformatted; its record takes the new checksum`);
      await updateChecksums(client, file.name, { checksum: file.checksum, canonical });
    } else if (record.canonical === undefined) {
      const computed = await canonicalChecksumOf(file);
      if (computed)
        await updateChecksums(client, file.name, { checksum: file.checksum, canonical: computed });
    }
  }
  if (problems.length === 0) return;
  // Thrown, not logged as well: whoever runs the runner prints the error once.
  throw new MigrationRunnerError(
    moved ? 'MIGRATION_MOVED' : 'MIGRATION_CHANGED',
    `Applied migrations no longer match their files, so nothing was run: ${problems.join('; ')}. ` +
      'Restore each file as it was when applied (git log / git checkout on that path) and put ' +
      'the change in a new migration (`npm run migrate:create -- <pre|post> <name>`).' +
      acceptHint(changed),
    { migration: changed[0] },
  );
}

/** The development-only way out, for a change the database already has. */
export function acceptHint(names: string[]): string {
  if (names.length === 0) return '';
  return (
    ' In development, if the database already matches the file as it is now, record the ' +
    `file instead: ${names.map((name) => `\`npm run migrate:accept -- ${name}\``).join(', ')} ` +
    '(it runs nothing; refused with NODE_ENV=production or CI set).'
  );
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
