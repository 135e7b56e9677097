import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MigrationRunnerError } from './errors';
import { PHASE_FOLDERS, PHASES, type Phase } from './settings';

/** A migration file on disk: `migrations/<phase folder>/<UTC YYYYMMDDHHMMSS>-<kebab-name>.(ts|sql)`. */
export interface MigrationFile {
  /** The file name without its extension: the migration's identity in the storage table. */
  name: string;
  phase: Phase;
  path: string;
  kind: 'sql' | 'ts';
  checksum: string;
}

export const MIGRATION_FILE_NAME = /^(\d{14})-([a-z0-9]+(?:-[a-z0-9]+)*)\.(sql|ts)$/;

/** Files that live beside migrations without being one (compiled output, notes, type files). */
function isIgnored(fileName: string): boolean {
  return (
    fileName.startsWith('.') ||
    fileName.endsWith('.d.ts') ||
    !(fileName.endsWith('.ts') || fileName.endsWith('.sql'))
  );
}

/**
 * sha256 of the source file. Line endings are normalised so a checkout on Windows (CRLF) and
 * one on Linux agree; every other byte counts.
 */
export function checksumOf(file: string): string {
  const text = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  return createHash('sha256').update(text).digest('hex');
}

export function phaseFolder(migrationsDir: string, phase: Phase): string {
  return path.join(migrationsDir, PHASE_FOLDERS[phase]);
}

export function listPhaseFiles(migrationsDir: string, phase: Phase): MigrationFile[] {
  const folder = phaseFolder(migrationsDir, phase);
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter((fileName) => !isIgnored(fileName))
    .sort()
    .map((fileName) => toMigrationFile(folder, fileName, phase));
}

function toMigrationFile(folder: string, fileName: string, phase: Phase): MigrationFile {
  const match = MIGRATION_FILE_NAME.exec(fileName);
  const file = path.join(folder, fileName);
  if (!match) {
    throw new MigrationRunnerError(
      'MIGRATION_NAME_INVALID',
      `${file} is not named <UTC YYYYMMDDHHMMSS>-<kebab-name>.ts or .sql ` +
        `(for example 20260101120000-add-users-name-index.sql); rename it, or create migrations ` +
        `with \`npm run migrate:create -- ${phase} <name>\`.`,
    );
  }
  return {
    name: fileName.slice(0, -(match[3].length + 1)),
    phase,
    path: file,
    kind: match[3] as 'sql' | 'ts',
    checksum: checksumOf(file),
  };
}

/** Both phases, refusing a name used twice (the storage table knows a migration by name). */
export function listMigrationFiles(migrationsDir: string): MigrationFile[] {
  if (!fs.existsSync(migrationsDir)) {
    throw new MigrationRunnerError(
      'MIGRATIONS_DIR_MISSING',
      `The migrations folder ${migrationsDir} does not exist; create ${phaseFolder(migrationsDir, 'pre')} ` +
        `and ${phaseFolder(migrationsDir, 'post')}, or point the runner at the right folder.`,
    );
  }
  const files = PHASES.flatMap((phase) => listPhaseFiles(migrationsDir, phase));
  const seen = new Map<string, MigrationFile>();
  for (const file of files) {
    const earlier = seen.get(file.name);
    if (earlier) {
      throw new MigrationRunnerError(
        'MIGRATION_DUPLICATE',
        `Two migrations are named ${file.name}: ${earlier.path} and ${file.path}; ` +
          `a name identifies one migration, so rename or remove one of them.`,
        { migration: file.name },
      );
    }
    seen.set(file.name, file);
  }
  return files;
}
