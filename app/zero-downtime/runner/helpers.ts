import type { MigrationContext } from './context';

/**
 * The extension point for toolkit helpers on `context.helpers`. The helpers module adds its
 * members here (declaration merging or by editing this interface) and builds them from the
 * rest of the context in `createMigrationHelpers`, which the runner calls for every attempt.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MigrationHelpers {}

export type HelpersFactory = (context: Omit<MigrationContext, 'helpers'>) => MigrationHelpers;

export const createMigrationHelpers: HelpersFactory = () => ({});
