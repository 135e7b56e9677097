import { type SqlExecutor } from './executor';
import { requirePhase } from './guards';
import { quoteQualified } from './identifiers';

export interface DropTableOptions {
  table: string;
}

/** `DROP TABLE IF EXISTS`, post-deploy only: version N may still query the table. */
export async function dropTable(db: SqlExecutor, options: DropTableOptions): Promise<void> {
  const { table } = options;
  requirePhase(
    db,
    'dropTable',
    'post',
    `version N may still query ${table} until the rollout ends. Stop using it (remove its ` +
      `model and routes) in release N+1, then drop it in migrations/post-deploy/.`,
  );
  await db.query(`DROP TABLE IF EXISTS ${quoteQualified(table)}`);
}
