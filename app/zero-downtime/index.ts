/**
 * The zero-downtime toolkit, as migration authors import it:
 *
 *   import type { MigrationContext } from '../../app/zero-downtime';
 *   export async function up({ query }: MigrationContext) { ... }
 */
export type { Migration, MigrationContext, MigrationHelpers, Phase } from './runner';
