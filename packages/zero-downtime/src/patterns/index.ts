/**
 * Expand/contract helpers for `.ts` migrations, one pattern per module. Each checks the catalog
 * before every step (a rerun after a crash converges), refuses the wrong phase or a transaction
 * it cannot run in, and explains the safe recipe with the migration's own names.
 */
export { addColumn, type AddColumnOptions } from './add-column';
export { addNotNull, type AddNotNullOptions } from './add-not-null';
export { backfillColumn, type BackfillColumnOptions } from './backfill-column';
export { addIndex, removeIndex, type AddIndexOptions, type RemoveIndexOptions } from './add-index';
export { addForeignKey, type AddForeignKeyOptions } from './add-foreign-key';
export { addCheck, type AddCheckOptions } from './add-check';
export { validateConstraint, type ValidateConstraintOptions } from './validate-constraint';
export { addUnique, addPrimaryKey, type AddUniqueOptions } from './add-unique';
export { renameColumn, type RenameColumnOptions } from './rename-column';
export { changeColumnType, type ChangeColumnTypeOptions } from './change-column-type';
export { syncTriggerName, type SyncStep } from './column-sync';
export { renameTable, type RenameTableOptions } from './rename-table';
export { dropColumn, prepareDropColumn, type DropColumnOptions } from './drop-column';
export { dropTable, type DropTableOptions } from './drop-table';
export { rebuildTable, type RebuildTableOptions } from './rebuild-table';
export { PatternError, isPatternError } from './errors';
export { clientExecutor, type SqlExecutor } from './executor';
