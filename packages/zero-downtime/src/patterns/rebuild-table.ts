import { runShadowStep, type ShadowOptions } from '../shadow';
import { note, withSessionClient, withoutStatementTimeout, type SqlExecutor } from './executor';
import { requireNoTransaction, requirePhase } from './guards';

export interface RebuildTableOptions {
  table: string;
  /** ALTER TABLE actions applied to a copy of the table, e.g. `ALTER COLUMN id TYPE bigint`. */
  alter?: string;
  /** Or the new table's full definition (CREATE TABLE under any name, CREATE INDEX ...). */
  sql?: string;
  /**
   * `swap` (pre-deploy): create, triggers, backfill, indexes, verify and swap, each skipped
   * when already done (run them by hand with npm run db:shadow first on a big table).
   * `cleanup` (post-deploy): drop the old table and the reverse triggers.
   */
  step: 'swap' | 'cleanup';
  backfill?: Pick<ShadowOptions, 'batchSize' | 'pauseMs'>;
}

const BUILD_STEPS = ['create', 'triggers', 'backfill', 'indexes', 'verify', 'swap'];

/** The shadow-table rebuild (../shadow) from a migration, on its own session. */
export async function rebuildTable(db: SqlExecutor, options: RebuildTableOptions): Promise<void> {
  const { table } = options;
  const steps = options.step === 'swap' ? BUILD_STEPS : ['cleanup'];
  if (options.step === 'swap') {
    requirePhase(
      db,
      'rebuildTable (swap)',
      'pre',
      `version N must serve from the rebuilt ${table} before release N+1 starts.`,
    );
  } else {
    requirePhase(
      db,
      'rebuildTable (cleanup)',
      'post',
      `swap-back to the old ${table} must stay possible until the rollout succeeded.`,
    );
  }
  requireNoTransaction(
    db,
    'rebuildTable',
    'every step commits on its own (the copy batch by batch).',
  );
  await withoutStatementTimeout(db, () =>
    withSessionClient(db, async (client) => {
      const session = { client, log: (message: string) => note(db, message) };
      for (const step of steps) {
        const lines = await runShadowStep(session, table, step, {
          ...options,
          ...options.backfill,
        });
        note(db, lines.join(' '));
      }
    }),
  );
}
