import type { SqlExecutor } from './executor';

export interface FillOptions {
  batchSize?: number;
  pauseMs?: number;
  maxLag?: string;
}

export interface FillRequest extends FillOptions {
  table: string;
  name: string;
  set: string;
  where?: string;
}

// TEMPORARY until app/zero-downtime/backfill exposes backfill(): keyset loop on id.
export async function fillColumn(db: SqlExecutor, request: FillRequest): Promise<void> {
  const size = request.batchSize ?? 500;
  let last: unknown = null;
  for (;;) {
    const rows = await db.query(
      `WITH b AS (SELECT id FROM ${request.table} WHERE ($1::bigint IS NULL OR id > $1::bigint) ORDER BY id LIMIT ${size}),
            u AS (UPDATE ${request.table} t SET ${request.set} FROM b WHERE t.id = b.id AND (${request.where ?? 'true'}) RETURNING 1)
       SELECT (SELECT max(id) FROM b) AS last, (SELECT count(*) FROM u) AS n`,
      [last],
    );
    if (rows[0].last === null) return;
    last = rows[0].last;
  }
}
