import type { ClientBase } from 'pg';
import type { Phase } from './settings';

/**
 * One table records every applied migration of both phases. A migration inserts its own row in
 * the same transaction as its changes, so "applied" and "recorded" never disagree.
 */
export const MIGRATIONS_TABLE = 'zdm_migrations';

export interface AppliedMigration {
  name: string;
  phase: Phase;
  checksum: string;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
}

export async function ensureMigrationsTable(client: ClientBase): Promise<void> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      name text PRIMARY KEY,
      phase text NOT NULL CHECK (phase IN ('pre', 'post')),
      checksum text NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      duration_ms integer NOT NULL
    )`);
}

interface AppliedRow {
  name: string;
  phase: Phase;
  checksum: string;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
}

/** Every applied migration in the order applied; none when the table does not exist yet. */
export async function readAppliedMigrations(client: ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    MIGRATIONS_TABLE,
  ]);
  if (!exists.rows[0].exists) return [];
  const { rows } = await client.query<AppliedRow>(
    `SELECT name, phase, checksum, started_at, finished_at, duration_ms
       FROM ${MIGRATIONS_TABLE} ORDER BY finished_at, name`,
  );
  return rows.map((row) => ({
    name: row.name,
    phase: row.phase,
    checksum: row.checksum,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
  }));
}

export const RECORD_MIGRATION_SQL = `INSERT INTO ${MIGRATIONS_TABLE}
  (name, phase, checksum, started_at, finished_at, duration_ms)
  VALUES ($1, $2, $3, $4, clock_timestamp(), $5)`;

export const FORGET_MIGRATION_SQL = `DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`;
