import path from 'node:path';
import { compareTables } from '../compare';
import { lendAsPool } from '../patterns/executor';
import { ShadowError } from './errors';
import { isDone, refuseMirrorError, requireDone, requireRebuild } from './rebuild';
import { inTransaction, type ShadowSession } from './session';
import { recordStep } from './state';

export interface VerifyOptions {
  /** Where the differences go (JSON lines); default under reports/. */
  out?: string;
  chunkSize?: number;
}

/**
 * `verify`: the original and the shadow compared chunk by chunk by key, over the columns the
 * shadow copies (../compare). Any difference stops the rebuild here.
 */
export async function verifyCopy(
  session: ShadowSession,
  table: string,
  options: VerifyOptions = {},
) {
  const rebuild = await requireRebuild(session.client, table);
  if (isDone(rebuild, 'verify')) return `${table}: already verified identical; nothing to do.`;
  requireDone(rebuild, 'indexes', 'verify');
  refuseMirrorError(rebuild, 'verify');
  const result = await compareTables({
    source: rebuild.live,
    target: rebuild.shadow,
    key: rebuild.state.keyColumns,
    columns: rebuild.state.columns,
    pool: lendAsPool(session.client),
    chunkSize: options.chunkSize,
    out: options.out,
  });
  if (!result.identical) {
    throw new ShadowError(
      'verify-failed',
      `${table} and its shadow differ: ${result.missing} rows missing, ${result.extra} extra, ` +
        `${result.changed} changed; every difference is in ${path.relative(process.cwd(), result.out)}. ` +
        'The rebuild stops here: find the cause (a write path the triggers miss?), then rerun verify.',
    );
  }
  const again = await requireRebuild(session.client, table);
  refuseMirrorError(again, 'verify');
  await inTransaction(session.client, () => recordStep(session.client, rebuild.state, 'verify'));
  return `${table}: ${result.sourceRows} rows identical in ${result.chunks} chunks. Next: swap.`;
}
