/**
 * The zero-downtime toolkit, as migration authors import it:
 *
 *   import type { MigrationContext } from '../../app/zero-downtime';
 *   export async function up({ query }: MigrationContext) { ... }
 */
export type { Migration, MigrationContext, MigrationHelpers, Phase } from './runner';

/**
 * Expand/contract helpers for `.ts` migrations (docs/expand-contract.md), called with the
 * migration's context: `await addIndex(ctx, { table: 'users', columns: ['email'] })`.
 */
export * from './patterns';
export {
  runShadowStep,
  status as shadowStatus,
  SHADOW_STEPS,
  ShadowError,
  isShadowError,
  type ShadowSession,
  type ShadowStatus,
} from './shadow';
