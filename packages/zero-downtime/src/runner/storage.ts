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
  /** sha256 of the file as it was applied (see `checksumOf`). */
  checksum: string;
  /**
   * sha256 of what the file does (see `canonicalChecksumOf`); undefined for rows recorded
   * before the column existed, until the runner next sees their file unchanged.
   */
  canonical?: string;
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
  // Tables created before the canonical checksum existed get the column once; the check keeps
  // later runs from taking the table's lock for nothing.
  const { rows } = await client.query(
    `SELECT 1 FROM pg_attribute
      WHERE attrelid = $1::regclass AND attname = 'canonical' AND NOT attisdropped`,
    [MIGRATIONS_TABLE],
  );
  if (rows.length === 0) {
    await client.query(
      `ALTER TABLE ${MIGRATIONS_TABLE} ADD COLUMN IF NOT EXISTS canonical text NULL`,
    );
  }
}

interface AppliedRow {
  name: string;
  phase: Phase;
  checksum: string;
  canonical: string | null;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
}

/**
 * Every applied migration in the order applied; none when the table does not exist yet. Reads
 * the canonical checksum through to_jsonb so a table the runner has not upgraded yet (status
 * only reads) still answers.
 */
export async function readAppliedMigrations(client: ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    MIGRATIONS_TABLE,
  ]);
  if (!exists.rows[0].exists) return [];
  const { rows } = await client.query<AppliedRow>(
    `SELECT name, phase, checksum, to_jsonb(m) ->> 'canonical' AS canonical,
            started_at, finished_at, duration_ms
       FROM ${MIGRATIONS_TABLE} m ORDER BY finished_at, name`,
  );
  return rows.map((row) => ({
    name: row.name,
    phase: row.phase,
    checksum: row.checksum,
    canonical: row.canonical ?? undefined,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
  }));
}

export const RECORD_MIGRATION_SQL = `INSERT INTO ${MIGRATIONS_TABLE}
  (name, phase, checksum, canonical, started_at, finished_at, duration_ms)
  VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6)`;

/** Both checksums of an applied migration, as its file reads now. */
export async function updateChecksums(
  client: ClientBase,
  name: string,
  checksums: { checksum: string; canonical?: string },
): Promise<void> {
  await client.query(
    `UPDATE ${MIGRATIONS_TABLE} SET checksum = $2, canonical = $3 WHERE name = $1`,
    [name, checksums.checksum, checksums.canonical ?? null],
  );
}

export const FORGET_MIGRATION_SQL = `DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`;
