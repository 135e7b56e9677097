import { PatternError } from './errors';
import type { Phase, SqlExecutor } from './executor';

const phaseFolder: Record<Phase, string> = {
  pre: 'migrations/pre-deploy',
  post: 'migrations/post-deploy',
};

/** Refuses to run outside `phase`, saying why the step belongs there. */
export function requirePhase(db: SqlExecutor, helper: string, phase: Phase, why: string): void {
  if (db.phase === phase) return;
  throw new PatternError(
    'wrong-phase',
    `${helper} runs only in a ${phase}-deploy migration (${phaseFolder[phase]}/), ` +
      `not ${db.phase}-deploy: ${why}`,
  );
}

/**
 * Refuses to run inside a transaction: the helper must commit between its steps (or use
 * CONCURRENTLY), which a transactional migration cannot do.
 */
export function requireNoTransaction(db: SqlExecutor, helper: string, why: string): void {
  if (!db.inTransaction) return;
  throw new PatternError(
    'inside-transaction',
    `${helper} cannot run inside a transaction: ${why} ` +
      'Add `export const transaction = false;` to the migration file so each step commits on its own.',
  );
}
