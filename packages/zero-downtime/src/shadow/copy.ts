import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientBase } from 'pg';
import { columnList, quoteIdent } from '../patterns/identifiers';
import { ShadowError } from './errors';
import { isDone, requireDone, requireRebuild, type Rebuild } from './rebuild';
import { inTransaction, type ShadowSession } from './session';
import { recordStep, stateKey, STATE_TABLE } from './state';

export interface CopyOptions {
  batchSize?: number;
  pauseMs?: number;
  /** Stop after this many batches (the next run resumes); for tests and careful operators. */
  maxBatches?: number;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  retries?: number;
}

interface Key {
  name: string;
  type: string;
}

/**
 * `backfill`: copies the rows that existed when it started, in key order, one short transaction
 * per batch. The source rows of a batch are locked FOR SHARE while copied, so a concurrent
 * DELETE or UPDATE either lands before (the copy sees the new state) or waits and then reaches
 * the shadow through the trigger; rows the triggers already wrote win (ON CONFLICT DO NOTHING).
 * The position is saved with each batch: a rerun resumes after the last finished one.
 */
export async function copyRows(session: ShadowSession, table: string, options: CopyOptions = {}) {
  const rebuild = await requireRebuild(session.client, table);
  if (isDone(rebuild, 'backfill')) return `${table}: the backfill is finished; nothing to do.`;
  requireDone(rebuild, 'triggers', 'backfill');
  const keys = await keyTypes(session.client, rebuild);
  const upper =
    rebuild.state.backfillUpperKey ?? (await fixUpperKey(session.client, rebuild, keys));
  if (!upper) {
    await inTransaction(session.client, () =>
      recordStep(session.client, rebuild.state, 'backfill'),
    );
    return `${table}: the table was empty; nothing to copy. Next: indexes.`;
  }
  let last = rebuild.state.backfillLastKey;
  let batches = rebuild.state.backfillBatches;
  const batchSize = options.batchSize ?? 1_000;
  for (let run = 0; ; run++) {
    if (options.maxBatches !== undefined && run >= options.maxBatches) {
      return `${table}: stopped after ${run} batches (${batches} in all, up to key (${last?.join(', ')})). Run backfill again to resume.`;
    }
    const outcome = await batchWithRetries(
      session,
      rebuild,
      keys,
      { last, upper, batches, batchSize },
      options,
    );
    batches += 1;
    last = outcome.lastKey ?? last;
    if (outcome.finished) break;
    if (options.pauseMs) await sleep(options.pauseMs);
  }
  return `${table}: backfill finished in ${batches} batches. Next: indexes.`;
}

async function keyTypes(client: ClientBase, rebuild: Rebuild): Promise<Key[]> {
  const { rows } = await client.query(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attname = ANY($2::text[])`,
    [rebuild.live, rebuild.state.keyColumns],
  );
  return rebuild.state.keyColumns.map((name) => rows.find((row) => row.name === name) as Key);
}

/** The copy ends at the largest key of its start: later rows reach the shadow through the trigger. */
async function fixUpperKey(client: ClientBase, rebuild: Rebuild, keys: Key[]) {
  const order = keys.map((key) => `${quoteIdent(key.name)} DESC`).join(', ');
  const text = keys.map((key) => `${quoteIdent(key.name)}::text`).join(', ');
  const { rows } = await client.query(
    `SELECT ARRAY[${text}] AS key FROM ${rebuild.live} ORDER BY ${order} LIMIT 1`,
  );
  const upper: string[] | null = rows[0]?.key ?? null;
  if (upper) {
    await client.query(`UPDATE ${STATE_TABLE} SET backfill_upper_key = $2 WHERE table_name = $1`, [
      rebuild.key,
      upper,
    ]);
  }
  return upper;
}

interface Position {
  last: string[] | null;
  upper: string[];
  batches: number;
  batchSize: number;
}

function batchSql(rebuild: Rebuild, keys: Key[], hasLower: boolean): string {
  const keyTuple = `(${columnList(keys.map((key) => key.name))})`;
  const params = (first: number) =>
    `(${keys.map((key, i) => `$${first + i}::${key.type}`).join(', ')})`;
  const upperParam = hasLower ? keys.length + 1 : 1;
  const range = `${hasLower ? `${keyTuple} > ${params(1)} AND ` : ''}${keyTuple} <= ${params(upperParam)}`;
  const limitParam = upperParam + keys.length;
  const columns = columnList(rebuild.state.columns);
  const order = keys.map((key) => quoteIdent(key.name)).join(', ');
  const orderDesc = keys.map((key) => `${quoteIdent(key.name)} DESC`).join(', ');
  return `WITH zdm_batch AS MATERIALIZED (
  SELECT ${columns} FROM ${rebuild.live} WHERE ${range} ORDER BY ${order} LIMIT $${limitParam} FOR SHARE
), zdm_copied AS (
  INSERT INTO ${rebuild.shadow} (${columns}) OVERRIDING SYSTEM VALUE
  SELECT ${columns} FROM zdm_batch ON CONFLICT DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM zdm_batch)::int AS selected, (SELECT count(*) FROM zdm_copied)::int AS copied,
       (SELECT ARRAY[${keys.map((key) => `${quoteIdent(key.name)}::text`).join(', ')}] FROM zdm_batch ORDER BY ${orderDesc} LIMIT 1) AS last_key`;
}

async function batch(
  session: ShadowSession,
  rebuild: Rebuild,
  keys: Key[],
  position: Position,
  options: CopyOptions,
) {
  const { client } = session;
  return inTransaction(client, async () => {
    await client.query(
      `SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`,
      [`${options.lockTimeoutMs ?? 1_000}ms`, `${options.statementTimeoutMs ?? 30_000}ms`],
    );
    const params = [...(position.last ?? []), ...position.upper, position.batchSize];
    const { rows } = await client.query(batchSql(rebuild, keys, position.last !== null), params);
    const { selected, copied, last_key: lastKey } = rows[0];
    const finished = selected < position.batchSize;
    const { rowCount } = await client.query(
      `UPDATE ${STATE_TABLE} SET backfill_last_key = coalesce($3, backfill_last_key),
              backfill_rows = backfill_rows + $4, backfill_batches = backfill_batches + 1
        WHERE table_name = $1 AND backfill_batches = $2`,
      [stateKey(rebuild.state.schema, rebuild.state.table), position.batches, lastKey, copied],
    );
    if (rowCount !== 1) {
      throw new ShadowError(
        'backfill-running',
        `Another backfill of ${rebuild.state.table} advanced meanwhile; run only one.`,
      );
    }
    if (finished) await recordStep(client, rebuild.state, 'backfill');
    return { finished, lastKey: lastKey as string[] | null };
  });
}

async function batchWithRetries(
  session: ShadowSession,
  rebuild: Rebuild,
  keys: Key[],
  position: Position,
  options: CopyOptions,
) {
  const retries = options.retries ?? 10;
  for (let attempt = 0; ; attempt++) {
    try {
      return await batch(session, rebuild, keys, position, options);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const retryable = code === '55P03' || code === '40P01' || code === '57014';
      if (!retryable || attempt >= retries) throw error;
      const delay = Math.min(5_000, 50 * 2 ** attempt) * (0.5 + Math.random());
      session.log(
        `backfill: batch ${position.batches + 1} hit ${code}; retry ${attempt + 1}/${retries} in ${Math.round(delay)} ms`,
      );
      await sleep(delay);
    }
  }
}
