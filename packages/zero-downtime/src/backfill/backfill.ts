import { Pool, type PoolClient } from 'pg';

import { silentLogger } from '../core/logger';
import { BatchLoop, type Run } from './batch-loop';
import { findTable, primaryKeyColumns, tableColumns, type Queryable } from './catalog';
import {
  ensureCheckpointTable,
  loadCheckpoint,
  setStatus,
  startCheckpoint,
  type BackfillSpec,
  type Checkpoint,
} from './checkpoint';
import { BackfillError } from './errors';
import { describeLag } from './lag-threshold';
import { resolveOptions, type BackfillOptions, type ResolvedOptions } from './options';
import { buildPlan, type BackfillPlan } from './plan';
import { maxKeyStatement, type BackfillTarget, type KeyValues } from './statements';
import { assignedColumns, checkColumnsExist, checkWhereSyntax, trialRun } from './validate';

export type BackfillStatusResult = 'finished' | 'already-finished' | 'stopped' | 'dry-run';

export interface BackfillResult {
  name: string;
  table: string;
  status: BackfillStatusResult;
  /** Totals over every run of this backfill. */
  rowsDone: number;
  batchesDone: number;
  /** What this call did. */
  rowsThisRun: number;
  batchesThisRun: number;
  elapsedMs: number;
  /** Present for a dry run. */
  plan?: BackfillPlan;
}

/**
 * Updates every row of a table in keyset batches by primary key, resumably: see
 * docs/backfill-and-compare.md. Validates everything before writing anything.
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const resolved = resolveOptions(options);
  const pool = options.pool ?? openPool(options.databaseUrl, resolved.name);
  const client = await pool.connect();
  try {
    return await backfillOn(client, resolved, options);
  } finally {
    client.release();
    if (!options.pool) await pool.end();
  }
}

function openPool(databaseUrl: string | undefined, name: string): Pool {
  if (!databaseUrl) {
    throw new BackfillError('BACKFILL_BAD_OPTION', 'backfill needs a databaseUrl or a pool.');
  }
  return new Pool({
    connectionString: databaseUrl,
    max: 1,
    application_name: `zdm-backfill:${name}`.slice(0, 63),
  });
}

async function backfillOn(
  db: PoolClient,
  options: ResolvedOptions,
  caller: BackfillOptions,
): Promise<BackfillResult> {
  const logger = caller.logger ?? silentLogger;
  const target = await resolveTarget(db, options);
  const spec: BackfillSpec = {
    name: options.name,
    table: target.table.display,
    set: options.set,
    where: options.where,
    keyColumns: target.keys.map((key) => key.name),
  };
  await trialRun(db, target, await currentMaxKey(db, target));
  const existing = caller.restart ? undefined : await loadCheckpoint(db, options.name);
  if (existing) refuseOtherDefinition(existing, spec);
  const run: Run = {
    db,
    options,
    target,
    logger,
    onProgress: caller.onProgress,
    signal: caller.signal,
    started: Date.now(),
  };
  if (existing?.status === 'finished') return alreadyFinished(run, existing);

  const upperKey = existing ? existing.upperKey : await currentMaxKey(db, target);
  if (caller.dryRun) return dryRun(run, existing, upperKey);

  await lockBackfill(db, options.name);
  try {
    return await execute(run, spec, existing, upperKey);
  } finally {
    await db
      .query("SELECT pg_advisory_unlock(hashtext('zdm_backfill'), hashtext($1))", [options.name])
      .catch(() => undefined);
  }
}

async function resolveTarget(db: Queryable, options: ResolvedOptions): Promise<BackfillTarget> {
  const table = await findTable(db, options.table);
  if (!table) {
    throw new BackfillError(
      'BACKFILL_UNKNOWN_TABLE',
      `table "${options.table}" does not exist. Names are resolved through the search_path; ` +
        `write schema.table for a table in another schema.`,
    );
  }
  const keys = await primaryKeyColumns(db, table);
  if (keys.length === 0) {
    throw new BackfillError(
      'BACKFILL_NO_PRIMARY_KEY',
      `${table.display} has no primary key, and a backfill walks a table by primary key. Add ` +
        `one without blocking writes: CREATE UNIQUE INDEX CONCURRENTLY ${table.name}_pkey ON ` +
        `${table.sql} (id); then ALTER TABLE ${table.sql} ADD CONSTRAINT ${table.name}_pkey ` +
        `PRIMARY KEY USING INDEX ${table.name}_pkey;`,
    );
  }
  checkColumnsExist(
    table,
    await tableColumns(db, table),
    await assignedColumns(table, options.set),
  );
  if (options.where) await checkWhereSyntax(table, options.where);
  return { table, keys, set: options.set, where: options.where ?? undefined };
}

function refuseOtherDefinition(existing: Checkpoint, spec: BackfillSpec): void {
  const same =
    existing.table === spec.table && existing.set === spec.set && existing.where === spec.where;
  if (same) return;
  const describe = (item: { table: string; set: string; where: string | null }) =>
    `--table ${item.table} --set "${item.set}"${item.where ? ` --where "${item.where}"` : ''}`;
  throw new BackfillError(
    'BACKFILL_NAME_CONFLICT',
    `backfill "${spec.name}" already exists as ${describe(existing)} (${existing.status}, ` +
      `${existing.batchesDone} batches done), not ${describe(spec)}. Use another --name, or ` +
      `add --restart to start "${spec.name}" over with the new definition.`,
  );
}

async function currentMaxKey(db: Queryable, target: BackfillTarget): Promise<KeyValues | null> {
  const { rows } = await db.query<{ key: KeyValues }>(maxKeyStatement(target));
  return rows[0]?.key ?? null;
}

async function lockBackfill(db: Queryable, name: string): Promise<void> {
  const { rows } = await db.query<{ locked: boolean }>(
    "SELECT pg_try_advisory_lock(hashtext('zdm_backfill'), hashtext($1)) AS locked",
    [name],
  );
  if (!rows[0].locked) {
    throw new BackfillError(
      'BACKFILL_ALREADY_RUNNING',
      `backfill "${name}" is already running in another process (it holds its advisory ` +
        `lock). Wait for it, or stop it (Ctrl-C finishes its batch) and run this again.`,
    );
  }
}

function alreadyFinished(run: Run, checkpoint: Checkpoint): BackfillResult {
  run.logger.info(
    `backfill "${checkpoint.name}" already finished at ${checkpoint.finishedAt?.toISOString()}: ` +
      `${checkpoint.rowsDone} rows in ${checkpoint.batchesDone} batches. Nothing to do ` +
      `(--restart runs it again).`,
  );
  return result(run, 'already-finished', checkpoint, { rows: 0, batches: 0 });
}

async function dryRun(
  run: Run,
  existing: Checkpoint | undefined,
  upperKey: KeyValues | null,
): Promise<BackfillResult> {
  const plan = await buildPlan(run.db, run.target, {
    lastKey: existing?.lastKey ?? null,
    upperKey,
    batchSize: existing?.batchSize ?? run.options.batchSize,
    statementTimeoutMs: run.options.statementTimeoutMs,
  });
  plan.resumeFromBatch = existing ? existing.batchesDone : 0;
  const totals = existing ?? { rowsDone: 0, batchesDone: 0 };
  return { ...result(run, 'dry-run', totals, { rows: 0, batches: 0 }), plan };
}

function result(
  run: Run,
  status: BackfillStatusResult,
  totals: { rowsDone: number; batchesDone: number },
  thisRun: { rows: number; batches: number },
): BackfillResult {
  return {
    name: run.options.name,
    table: run.target.table.display,
    status,
    rowsDone: totals.rowsDone,
    batchesDone: totals.batchesDone,
    rowsThisRun: thisRun.rows,
    batchesThisRun: thisRun.batches,
    elapsedMs: Date.now() - run.started,
  };
}

async function execute(
  run: Run,
  spec: BackfillSpec,
  existing: Checkpoint | undefined,
  upperKey: KeyValues | null,
): Promise<BackfillResult> {
  const { db, options, logger } = run;
  await ensureCheckpointTable(db);
  let checkpoint = existing ?? (await startCheckpoint(db, spec, upperKey, options.batchSize));
  if (!checkpoint.upperKey) {
    logger.info(`backfill "${options.name}": ${spec.table} is empty, nothing to do.`);
    return result(run, 'finished', checkpoint, { rows: 0, batches: 0 });
  }
  announce(run, checkpoint);
  const loop = new BatchLoop(run, checkpoint, checkpoint.upperKey);
  try {
    const outcome = await loop.start();
    checkpoint = loop.checkpoint;
    await setStatus(db, options.name, outcome);
    logEnd(run, outcome, loop);
    return result(run, outcome, checkpoint, loop.thisRun);
  } catch (error) {
    await setStatus(db, options.name, 'failed', (error as Error).message).catch(() => undefined);
    throw error;
  }
}

function announce(run: Run, checkpoint: Checkpoint): void {
  const { options, target, logger } = run;
  const keys = target.keys.map((key) => key.name).join(', ');
  const throttle = [
    options.pauseMs ? `pause ${options.pauseMs} ms` : '',
    options.maxLag ? `max replica lag ${describeLag(options.maxLag)}` : '',
    options.targetBatchMs ? `target ${options.targetBatchMs} ms per batch` : '',
  ].filter(Boolean);
  const where = checkpoint.lastKey
    ? `resuming after key (${checkpoint.lastKey.join(', ')}), ${checkpoint.batchesDone} batches done`
    : 'starting';
  logger.info(
    `backfill "${options.name}": ${where}; ${target.table.display} by (${keys}) up to ` +
      `(${checkpoint.upperKey?.join(', ')}), ${options.batchSize} keys per batch` +
      (throttle.length ? `, ${throttle.join(', ')}` : ''),
  );
}

function logEnd(run: Run, outcome: 'finished' | 'stopped', loop: BatchLoop): void {
  const { name } = run.options;
  const { rowsDone, batchesDone } = loop.checkpoint;
  if (outcome === 'finished') {
    run.logger.info(`backfill "${name}" finished: ${rowsDone} rows in ${batchesDone} batches.`);
  } else {
    run.logger.info(
      `backfill "${name}" stopped after batch ${batchesDone} (${rowsDone} rows done); ` +
        `run the same command to resume.`,
    );
  }
}
