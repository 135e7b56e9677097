import { FORWARD_TRIGGER, FORWARD_TRUNCATE_TRIGGER, qualify } from './names';
import { isDone, requireDone, requireRebuild } from './rebuild';
import { mirrorTriggersSql } from './mirror';
import { withLockRetries, type ShadowSession } from './session';
import { recordStep } from './state';

/** `triggers`: every write to the table is mirrored into the shadow from now on. */
export async function installTriggers(session: ShadowSession, table: string): Promise<string> {
  const rebuild = await requireRebuild(session.client, table);
  if (isDone(rebuild, 'triggers'))
    return `${table}: the mirror triggers are installed; nothing to do.`;
  requireDone(rebuild, 'create', 'triggers');
  const { names, state } = rebuild;
  const statements = mirrorTriggersSql(
    rebuild.live,
    { row: FORWARD_TRIGGER, truncate: FORWARD_TRUNCATE_TRIGGER },
    {
      functionName: qualify(names.schema, names.forwardFunction),
      truncateFunctionName: qualify(names.schema, names.truncateFunction),
      target: rebuild.shadow,
      keyColumns: state.keyColumns,
      columns: state.columns,
      stateKey: rebuild.key,
    },
  );
  await withLockRetries(session, { table: rebuild.live, what: 'triggers' }, async () => {
    for (const sql of statements) await session.client.query(sql);
    await recordStep(session.client, state, 'triggers');
  });
  return `${table}: writes to ${rebuild.live} are now mirrored into ${rebuild.shadow}. Next: backfill.`;
}
