import * as patterns from '../patterns';
import type { SqlExecutor } from '../patterns';
import type { MigrationContext } from './context';

/**
 * The expand/contract helpers on `context.helpers`, bound to the migration's pinned connection:
 * `helpers.addColumn({ table, column, type })` is `addColumn(context, { ... })`.
 */
const BOUND_PATTERNS = [
  'addColumn',
  'addNotNull',
  'backfillColumn',
  'addIndex',
  'removeIndex',
  'addForeignKey',
  'addCheck',
  'validateConstraint',
  'addUnique',
  'addPrimaryKey',
  'renameColumn',
  'changeColumnType',
  'renameTable',
  'prepareDropColumn',
  'dropColumn',
  'dropTable',
  'rebuildTable',
] as const;

type PatternName = (typeof BOUND_PATTERNS)[number];

type BoundToContext<F> = F extends (db: SqlExecutor, ...args: infer A) => infer R
  ? (...args: A) => R
  : never;

export type MigrationHelpers = { [Name in PatternName]: BoundToContext<(typeof patterns)[Name]> };

export type HelpersFactory = (context: Omit<MigrationContext, 'helpers'>) => MigrationHelpers;

export const createMigrationHelpers: HelpersFactory = (context) => {
  const bind = (name: PatternName) => {
    const pattern = patterns[name] as (db: SqlExecutor, ...args: unknown[]) => unknown;
    return (...args: unknown[]) => pattern(context, ...args);
  };
  return Object.fromEntries(BOUND_PATTERNS.map((name) => [name, bind(name)])) as MigrationHelpers;
};
