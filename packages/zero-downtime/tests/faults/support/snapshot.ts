import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareTables } from '../../../src/compare';
import { adminQuery } from './postgres';

/**
 * What "the database converged to the same state" means in the kill scenarios: the same
 * tables, columns, indexes, constraints, triggers and functions as a database where the same
 * commands ran uninterrupted, no INVALID index, and the same rows in every table compared.
 */
export interface Snapshot {
  relations: string[];
  columns: string[];
  indexes: string[];
  invalidIndexes: string[];
  constraints: string[];
  triggers: string[];
  functions: string[];
}

const QUERIES: Record<keyof Snapshot, string> = {
  relations: `SELECT c.relname || ' ' || c.relkind::text AS line FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'S', 'p') ORDER BY 1`,
  columns: `SELECT concat_ws(' ', table_name, ordinal_position, column_name, data_type,
                   is_nullable, column_default) AS line
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`,
  indexes: `SELECT tablename || ': ' || indexdef AS line FROM pg_indexes
     WHERE schemaname = 'public' ORDER BY 1`,
  invalidIndexes: `SELECT i.indexrelid::regclass::text AS line FROM pg_index i
     WHERE NOT i.indisvalid ORDER BY 1`,
  constraints: `SELECT conrelid::regclass::text || ': ' || conname || ' ' ||
                       pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END AS line
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`,
  triggers: `SELECT tgrelid::regclass::text || ': ' || pg_get_triggerdef(oid) AS line
      FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
  functions: `SELECT p.oid::regprocedure::text AS line FROM pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`,
};

export async function snapshot(url: string): Promise<Snapshot> {
  const entries = await Promise.all(
    Object.entries(QUERIES).map(async ([name, sql]) => {
      const rows = await adminQuery<{ line: string }>(url, sql);
      return [name, rows.map((row) => row.line)] as const;
    }),
  );
  return Object.fromEntries(entries) as unknown as Snapshot;
}

/** Takes no lock, so it answers while a test holds one. */
export async function invalidIndexes(url: string): Promise<string[]> {
  const rows = await adminQuery<{ line: string }>(url, QUERIES.invalidIndexes);
  return rows.map((row) => row.line);
}

export interface TableDifference {
  table: string;
  missing: number;
  extra: number;
  changed: number;
}

/** Compares `tables` row by row across two databases with the project's own compare. */
export async function differingTables(
  url: string,
  referenceUrl: string,
  tables: string[],
): Promise<TableDifference[]> {
  const differences: TableDifference[] = [];
  for (const table of tables) {
    const out = path.join(
      os.tmpdir(),
      `zdm-faults-compare-${process.pid}-${table}-${Date.now()}.jsonl`,
    );
    const result = await compareTables({
      source: table,
      target: table,
      sourceUrl: referenceUrl,
      targetUrl: url,
      out,
    }).finally(() => fs.rmSync(out, { force: true }));
    if (!result.identical) {
      differences.push({
        table,
        missing: result.missing,
        extra: result.extra,
        changed: result.changed,
      });
    }
  }
  return differences;
}
