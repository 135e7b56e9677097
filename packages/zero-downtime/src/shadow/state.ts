import type { ClientBase } from 'pg';
import type { ShadowDefinition } from './definition';

/**
 * Where each rebuild stands, one row per table in `zdm_shadow_rebuilds`. Every step records
 * its completion in the same transaction as its last change, so a crash leaves either the step
 * done and recorded, or neither.
 */
export const STATE_TABLE = 'zdm_shadow_rebuilds';

export const STEPS = [
  'create',
  'triggers',
  'backfill',
  'indexes',
  'verify',
  'swap',
  'cleanup',
] as const;
export type Step = (typeof STEPS)[number];

export interface IndexRename {
  /** The index's name on the original table (the name the new table takes at the swap). */
  original: string;
  /** Its twin on the shadow until the swap. */
  shadow: string;
}

export interface RebuildState {
  table: string;
  schema: string;
  shadow: string;
  old: string;
  definition: ShadowDefinition;
  keyColumns: string[];
  columns: string[];
  /** The last step finished, or null before `create`. */
  done: Step | null;
  swapped: boolean;
  backfillUpperKey: string[] | null;
  backfillLastKey: string[] | null;
  backfillRows: number;
  backfillBatches: number;
  indexRenames: IndexRename[];
  /** The first error a mirror trigger swallowed (the write itself went through). */
  mirrorError: string | null;
  history: { step: string; at: string }[];
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
  table_name text PRIMARY KEY,
  schema_name text NOT NULL,
  shadow_name text NOT NULL,
  old_name text NOT NULL,
  definition jsonb NOT NULL,
  key_columns text[] NOT NULL,
  columns text[] NOT NULL,
  done text,
  swapped boolean NOT NULL DEFAULT false,
  backfill_upper_key text[],
  backfill_last_key text[],
  backfill_rows bigint NOT NULL DEFAULT 0,
  backfill_batches integer NOT NULL DEFAULT 0,
  index_renames jsonb NOT NULL DEFAULT '[]',
  mirror_error text,
  history jsonb NOT NULL DEFAULT '[]',
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

export async function ensureStateTable(client: ClientBase): Promise<void> {
  const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [STATE_TABLE]);
  if (!rows[0].found) await client.query(CREATE_TABLE);
}

export function stateKey(schema: string, table: string): string {
  return `${schema}.${table}`;
}

export async function loadState(
  client: ClientBase,
  schema: string,
  table: string,
): Promise<RebuildState | null> {
  const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [STATE_TABLE]);
  if (!rows[0].found) return null;
  const result = await client.query(`SELECT * FROM ${STATE_TABLE} WHERE table_name = $1`, [
    stateKey(schema, table),
  ]);
  const row = result.rows[0];
  if (!row) return null;
  return {
    table: row.table_name.slice(schema.length + 1),
    schema: row.schema_name,
    shadow: row.shadow_name,
    old: row.old_name,
    definition: row.definition,
    keyColumns: row.key_columns,
    columns: row.columns,
    done: row.done,
    swapped: row.swapped,
    backfillUpperKey: row.backfill_upper_key,
    backfillLastKey: row.backfill_last_key,
    backfillRows: Number(row.backfill_rows),
    backfillBatches: row.backfill_batches,
    indexRenames: row.index_renames,
    mirrorError: row.mirror_error,
    history: row.history,
  };
}

export async function insertState(client: ClientBase, state: RebuildState): Promise<void> {
  await client.query(
    `INSERT INTO ${STATE_TABLE} (table_name, schema_name, shadow_name, old_name, definition,
       key_columns, columns, done, history)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'create', jsonb_build_array(jsonb_build_object('step', 'create', 'at', now())))`,
    [
      stateKey(state.schema, state.table),
      state.schema,
      state.shadow,
      state.old,
      JSON.stringify(state.definition),
      state.keyColumns,
      state.columns,
    ],
  );
}

/** Records a finished step (and any other changes) in the caller's transaction. */
export async function recordStep(
  client: ClientBase,
  state: Pick<RebuildState, 'schema' | 'table'>,
  step: Step | 'swap-back',
  changes: Record<string, unknown> = {},
): Promise<void> {
  const columns = Object.keys(changes);
  const sets = columns.map((column, index) => `${column} = $${index + 3}`);
  const done = step === 'swap-back' ? 'verify' : step;
  await client.query(
    `UPDATE ${STATE_TABLE}
        SET done = $2, ${sets.length ? `${sets.join(', ')},` : ''}
            history = history || jsonb_build_array(jsonb_build_object('step', '${step}', 'at', now())),
            updated_at = now()
      WHERE table_name = $1`,
    [stateKey(state.schema, state.table), done, ...columns.map((column) => changes[column])],
  );
}

export function stepIndex(step: Step | null): number {
  return step === null ? -1 : STEPS.indexOf(step);
}

export function nextStep(state: RebuildState | null): Step | null {
  const index = stepIndex(state?.done ?? null);
  return index + 1 < STEPS.length ? STEPS[index + 1] : null;
}
