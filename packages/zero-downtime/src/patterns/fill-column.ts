import { backfill } from '../backfill';
import { lendAsPool, withSessionClient, type SqlExecutor } from './executor';

export interface FillOptions {
  batchSize?: number;
  pauseMs?: number;
  /** Wait while a replica lags more than this: `16MB` or `5s`. */
  maxLag?: string;
}

export interface FillRequest extends FillOptions {
  table: string;
  /** The checkpoint name: a rerun resumes after the last finished batch. */
  name: string;
  set: string;
  where?: string;
}

/** A resumable keyset backfill (../backfill) on the executor's session. */
export async function fillColumn(db: SqlExecutor, request: FillRequest): Promise<void> {
  await withSessionClient(db, (client) =>
    backfill({
      name: request.name,
      table: request.table,
      set: request.set,
      where: request.where,
      batchSize: request.batchSize,
      pauseMs: request.pauseMs,
      maxLag: request.maxLag,
      pool: lendAsPool(client),
    }),
  );
}
