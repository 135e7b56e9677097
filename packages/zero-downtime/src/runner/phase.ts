import type { Client } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import type { MigrationFile } from './files';
import type { Direction } from './plan';
import type { Phase } from './settings';
import { readAppliedMigrations } from './storage';

/**
 * One Umzug instance per phase: Umzug decides what is pending and in which order; the runner
 * executes each migration. Each migration records itself inside its own transaction, so the
 * storage's log/unlog are no-ops and Umzug only reads.
 */
export type MigrationStep = (file: MigrationFile, direction: Direction) => Promise<void>;

function phaseStorage(client: Client, phase: Phase): UmzugStorage {
  return {
    executed: async () =>
      (await readAppliedMigrations(client))
        .filter((migration) => migration.phase === phase)
        .map((migration) => migration.name),
    logMigration: async () => undefined,
    unlogMigration: async () => undefined,
  };
}

export function createPhaseUmzug(
  client: Client,
  phase: Phase,
  files: MigrationFile[],
  step: MigrationStep,
): Umzug {
  return new Umzug({
    migrations: files
      .filter((file) => file.phase === phase)
      .map((file) => ({
        name: file.name,
        path: file.path,
        up: () => step(file, 'up'),
        down: () => step(file, 'down'),
      })),
    storage: phaseStorage(client, phase),
    logger: undefined,
  });
}

/** Umzug wraps every failure in its own MigrationError; the runner's error is the cause. */
export function unwrapUmzugError(error: unknown): unknown {
  if (error instanceof Error && error.name === 'MigrationError' && error.cause) return error.cause;
  return error;
}
