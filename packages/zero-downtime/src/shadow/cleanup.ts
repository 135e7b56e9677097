import { ShadowError } from './errors';
import {
  FORWARD_TRIGGER,
  FORWARD_TRUNCATE_TRIGGER,
  qualify,
  REVERSE_TRIGGER,
  REVERSE_TRUNCATE_TRIGGER,
} from './names';
import { isDone, requireRebuild, type Rebuild } from './rebuild';
import { withLockRetries, type ShadowSession } from './session';
import { recordStep, STATE_TABLE } from './state';

export interface CleanupOptions {
  /** Before the swap: give the rebuild up (triggers and shadow dropped, state forgotten). */
  abandon?: boolean;
}

/**
 * `cleanup`, post-deploy once the new table has proven itself: the reverse triggers and the
 * old table go. Before the swap it refuses, unless --abandon gives the rebuild up.
 */
export async function cleanup(session: ShadowSession, table: string, options: CleanupOptions = {}) {
  const rebuild = await requireRebuild(session.client, table);
  if (isDone(rebuild, 'cleanup')) return `${table}: already cleaned up; nothing to do.`;
  if (!rebuild.state.swapped) {
    if (options.abandon) return abandon(session, rebuild);
    throw new ShadowError(
      'not-swapped',
      `${table} is not swapped: cleanup drops the old table after a swap. To give this rebuild ` +
        `up instead (drop the shadow and its triggers), run cleanup --abandon.`,
    );
  }
  const functions = functionsOf(rebuild);
  await withLockRetries(session, { table: rebuild.live, what: 'cleanup' }, async () => {
    const run = (sql: string) => session.client.query(sql);
    await run(`DROP TRIGGER IF EXISTS ${REVERSE_TRIGGER} ON ${rebuild.live}`);
    await run(`DROP TRIGGER IF EXISTS ${REVERSE_TRUNCATE_TRIGGER} ON ${rebuild.live}`);
    await run(`DROP TABLE IF EXISTS ${rebuild.old}`);
    for (const fn of functions) await run(`DROP FUNCTION IF EXISTS ${fn}()`);
    await recordStep(session.client, rebuild.state, 'cleanup');
  });
  return `${table}: dropped ${rebuild.old} and the mirror triggers. The rebuild is finished.`;
}

async function abandon(session: ShadowSession, rebuild: Rebuild) {
  await withLockRetries(session, { table: rebuild.live, what: 'cleanup --abandon' }, async () => {
    const run = (sql: string) => session.client.query(sql);
    await run(`DROP TRIGGER IF EXISTS ${FORWARD_TRIGGER} ON ${rebuild.live}`);
    await run(`DROP TRIGGER IF EXISTS ${FORWARD_TRUNCATE_TRIGGER} ON ${rebuild.live}`);
    await run(`DROP TABLE IF EXISTS ${rebuild.shadow}`);
    for (const fn of functionsOf(rebuild)) await run(`DROP FUNCTION IF EXISTS ${fn}()`);
    await session.client.query(`DELETE FROM ${STATE_TABLE} WHERE table_name = $1`, [rebuild.key]);
  });
  return `${rebuild.state.table}: rebuild abandoned; the shadow table and the triggers are gone, the table is untouched.`;
}

function functionsOf(rebuild: Rebuild): string[] {
  const { names } = rebuild;
  return [
    names.forwardFunction,
    names.truncateFunction,
    names.reverseFunction,
    `${names.reverseFunction}_truncate`,
  ].map((name) => qualify(names.schema, name));
}
