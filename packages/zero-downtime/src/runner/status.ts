import { Client } from 'pg';
import { listMigrationFiles, type MigrationFile } from './files';
import { runnerApplicationName } from './lock';
import { defaultMigrationsDir } from './migrate';
import { PHASES, type Phase } from './settings';
import { readAppliedMigrations, type AppliedMigration } from './storage';
import { acceptHint, agreementOf } from './verify';

/** Every migration of both phases, applied or pending, and the ones whose file disagrees. */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'moved' | 'file missing';

export interface MigrationStatus {
  name: string;
  phase: Phase;
  state: MigrationState;
  appliedAt?: Date;
  durationMs?: number;
}

export async function readMigrationStatus(options: {
  databaseUrl: string;
  migrationsDir?: string;
}): Promise<MigrationStatus[]> {
  const files = listMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const client = new Client({
    connectionString: options.databaseUrl,
    application_name: runnerApplicationName(),
  });
  await client.connect();
  let applied: AppliedMigration[];
  try {
    applied = await readAppliedMigrations(client);
  } finally {
    await client.end();
  }
  const records = new Map(applied.map((record) => [record.name, record]));
  const rows = await Promise.all(
    files.map(async (file): Promise<MigrationStatus> => {
      const record = records.get(file.name);
      if (!record) return { name: file.name, phase: file.phase, state: 'pending' };
      return { ...(await stateOf(file, record)), name: file.name };
    }),
  );
  const known = new Set(files.map((file) => file.name));
  const missing = applied
    .filter((record) => !known.has(record.name))
    .map((record): MigrationStatus => ({
      name: record.name,
      phase: record.phase,
      state: 'file missing',
      appliedAt: record.finishedAt,
      durationMs: record.durationMs,
    }));
  return [...rows, ...missing].sort(
    (a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) || a.name.localeCompare(b.name),
  );
}

/** What migrate would make of an applied migration's file (a reformatted file is applied). */
async function stateOf(
  file: MigrationFile,
  record: AppliedMigration,
): Promise<Omit<MigrationStatus, 'name'>> {
  const state: MigrationState =
    record.phase !== file.phase
      ? 'moved'
      : (await agreementOf(file, record)).agreement === 'changed'
        ? 'changed'
        : 'applied';
  return {
    phase: record.phase,
    state,
    appliedAt: record.finishedAt,
    durationMs: record.durationMs,
  };
}

function stateText(row: MigrationStatus): string {
  if (!row.appliedAt) return row.state;
  const when = row.appliedAt
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return row.state === 'applied'
    ? `applied ${when}`
    : `${row.state.toUpperCase()} (applied ${when})`;
}

function durationText(row: MigrationStatus): string {
  if (row.durationMs === undefined) return '';
  return row.durationMs < 10_000
    ? `${row.durationMs} ms`
    : `${(row.durationMs / 1000).toFixed(1)} s`;
}

/**
 * A file changed or moved after it was applied: migrate refuses to run. (A vanished file only
 * draws a warning.)
 */
export function blocksMigrate(row: MigrationStatus): boolean {
  return row.state === 'changed' || row.state === 'moved';
}

export function formatStatusTable(rows: MigrationStatus[]): string {
  const header = ['PHASE', 'MIGRATION', 'STATUS', 'DURATION'];
  const cells = rows.map((row) => [
    `${row.phase}-deploy`,
    row.name,
    stateText(row),
    durationText(row),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column].length)),
  );
  const render = (line: string[]) =>
    line
      .map((cell, column) =>
        column === line.length - 1 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join('  ')
      .trimEnd();
  const summary = PHASES.map((phase) => {
    const ofPhase = rows.filter((row) => row.phase === phase);
    const pending = ofPhase.filter((row) => row.state === 'pending').length;
    return `${phase}-deploy: ${ofPhase.length - pending} applied, ${pending} pending`;
  }).join('; ');
  const blocking = rows.filter(blocksMigrate);
  const changed = blocking.filter((row) => row.state === 'changed').map((row) => row.name);
  const missing = rows.filter((row) => row.state === 'file missing').length;
  const refusal = blocking.length
    ? `\nmigrate:pre and migrate:post will refuse to run: ${blocking
        .map(
          (row) => `${row.name} ${row.state === 'moved' ? 'moved to the other phase' : 'changed'}`,
        )
        .join(', ')} since applied. Restore each file as it was applied and put the change in a ` +
      `new migration.${acceptHint(changed)}`
    : '';
  const vanished = missing
    ? `\n${missing} applied migration(s) have no file any more: migrate warns about them and runs.`
    : '';
  const warning = `${refusal}${vanished}`;
  const body = rows.length ? [header, ...cells].map(render).join('\n') : 'No migrations yet.';
  return `${body}\n\n${summary}${warning}`;
}
