import type { ClientBase } from 'pg';
import { ShadowError } from './errors';
import { qualify, rebuildNames, type RebuildNames } from './names';
import {
  ensureStateTable,
  loadState,
  stateKey,
  stepIndex,
  type RebuildState,
  type Step,
} from './state';

/** A rebuild in progress: its state row and the names of everything it made. */
export interface Rebuild {
  state: RebuildState;
  names: RebuildNames;
  key: string;
  /** The table under the name the application uses (the new table after the swap). */
  live: string;
  shadow: string;
  old: string;
}

/** `schema.table` of a name typed by the user: the live table, before or after the swap. */
export async function resolveName(
  client: ClientBase,
  table: string,
): Promise<{ schema: string; name: string }> {
  const rows: { schema: string; name: string }[] = await client
    .query(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
      [table],
    )
    .then(
      (result) => result.rows,
      () => [],
    );
  if (rows[0]) return rows[0];
  const [schema, name] = table.includes('.') ? table.split('.', 2) : ['public', table];
  return { schema, name };
}

export async function openRebuild(client: ClientBase, table: string): Promise<Rebuild | null> {
  await ensureStateTable(client);
  const { schema, name } = await resolveName(client, table);
  const state = await loadState(client, schema, name);
  if (!state) return null;
  const names = rebuildNames(schema, name);
  return {
    state,
    names,
    key: stateKey(schema, name),
    live: qualify(schema, name),
    shadow: qualify(schema, state.shadow),
    old: qualify(schema, state.old),
  };
}

export async function requireRebuild(client: ClientBase, table: string): Promise<Rebuild> {
  const rebuild = await openRebuild(client, table);
  if (!rebuild) {
    throw new ShadowError(
      'no-rebuild',
      `No shadow rebuild of ${table} has started. Start with: npm run db:shadow -- ${table} plan`,
    );
  }
  return rebuild;
}

export function isDone(rebuild: Rebuild, step: Step): boolean {
  return stepIndex(rebuild.state.done) >= stepIndex(step);
}

/** Refuses a step whose predecessor has not finished. */
export function requireDone(rebuild: Rebuild, previous: Step, step: string): void {
  if (isDone(rebuild, previous)) return;
  throw new ShadowError(
    'out-of-order',
    `${step} needs ${previous} first: npm run db:shadow -- ${rebuild.state.table} ${previous}`,
  );
}

export function refuseMirrorError(rebuild: Rebuild, step: string): void {
  if (!rebuild.state.mirrorError) return;
  throw new ShadowError(
    'mirror-error',
    `${step} refused: a mirror trigger failed on a write (${rebuild.state.mirrorError}), so the ` +
      'copies differ. The write itself succeeded. Fix the definition so every row fits it, then ' +
      `start over: npm run db:shadow -- ${rebuild.state.table} cleanup (before the swap it abandons the rebuild).`,
  );
}
