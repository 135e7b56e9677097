import type { Logger } from '../core/logger';
import { canonicalChecksumOf } from './canonical';
import { MigrationRunnerError } from './errors';
import { listMigrationFiles } from './files';
import { defaultMigrationsDir } from './migrate';
import { withRunnerLock } from './run';
import { readAppliedMigrations, updateChecksums } from './storage';
import { agreementOf } from './verify';

export interface AcceptOptions {
  databaseUrl: string;
  /** The migration's name: its file name without the extension. */
  name: string;
  logger: Logger;
  environment: string;
  /** CI is set: a build server, where a changed migration is a mistake to fix in the code. */
  ci: boolean;
  migrationsDir?: string;
}

export type AcceptOutcome = 'accepted' | 'already matches';

/**
 * Development only: records an applied migration's file as it is now, for an edit the database
 * already has (the author changed the migration and the schema by hand). Runs nothing; the
 * next migrate compares with the new checksums.
 */
export async function acceptMigrationChange(options: AcceptOptions): Promise<AcceptOutcome> {
  const refusedBy =
    options.environment === 'production' ? 'NODE_ENV=production' : options.ci ? 'CI' : undefined;
  if (refusedBy) {
    throw new MigrationRunnerError(
      'ACCEPT_REFUSED',
      `migrate:accept is for development and refuses to run with ${refusedBy} set: a database ` +
        'there must run the migrations as written. Restore the applied file as it was ' +
        '(git checkout on its path) and put the change in a new migration.',
      { migration: options.name },
    );
  }
  const files = listMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const file = files.find((candidate) => candidate.name === options.name);
  return withRunnerLock(options.databaseUrl, options.logger, async (run) => {
    const record = (await readAppliedMigrations(run.client)).find(
      (applied) => applied.name === options.name,
    );
    if (!file || !record) {
      throw new MigrationRunnerError(
        'MIGRATION_NOT_FOUND',
        `migrate:accept ${options.name}: ${file ? 'that migration was never applied, so there is nothing to accept (migrate runs it)' : 'no migration file has that name'}; ` +
          '`npm run migrate:status` lists the migrations and which changed.',
        { migration: options.name },
      );
    }
    if (record.phase !== file.phase) {
      throw new MigrationRunnerError(
        'MIGRATION_MOVED',
        `migrate:accept ${options.name}: it was applied as a ${record.phase}-deploy migration ` +
          `and its file is now a ${file.phase}-deploy one; move it back, accept records ` +
          'content, not phases.',
        { migration: options.name },
      );
    }
    const { agreement } = await agreementOf(file, record);
    if (agreement === 'same') return 'already matches';
    await updateChecksums(run.client, file.name, {
      checksum: file.checksum,
      canonical: await canonicalChecksumOf(file),
    });
    options.logger.info(`migrate: ${file.name}: recorded the file as it is now`);
    return agreement === 'changed' ? 'accepted' : 'already matches';
  });
}
