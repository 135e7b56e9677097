import type { AlterTableCmd, RangeVar } from 'libpg-query';
import { columnDefOf, constraintsOf, quoteName, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { setNotNullRecipe } from '../recipes';
import { alterOfExistingTable } from './alter-table';
import { hit, type Rule } from './rule';

interface ColumnState {
  relation: RangeVar | undefined;
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  /** The statement that last changed NOT NULL or the default. */
  lastChange: number;
}

function apply(state: ColumnState, command: AlterTableCmd, index: number): void {
  if (command.subtype === 'AT_ColumnDefault') state.hasDefault = command.def !== undefined;
  else if (command.subtype === 'AT_SetNotNull') state.notNull = true;
  else if (command.subtype === 'AT_DropNotNull') state.notNull = false;
  else return;
  state.lastChange = index;
}

/** The NOT NULL and default of every column this file adds to an existing table, at its end. */
function endStates(migration: Migration): ColumnState[] {
  const columns = new Map<string, ColumnState>();
  for (const statement of migration.statements) {
    const alter = alterOfExistingTable(statement, migration);
    for (const command of alter?.commands ?? []) {
      const key = `${alter?.relation?.relname ?? ''}.${command.name ?? columnDefOf(command)?.colname ?? ''}`;
      const added = command.subtype === 'AT_AddColumn' ? columnDefOf(command) : undefined;
      if (added?.colname) {
        const kinds = constraintsOf(added).map((constraint) => constraint.contype);
        columns.set(key.toLowerCase(), {
          relation: alter?.relation,
          name: added.colname,
          notNull: kinds.includes('CONSTR_NOTNULL') || kinds.includes('CONSTR_PRIMARY'),
          hasDefault: kinds.includes('CONSTR_DEFAULT') || kinds.includes('CONSTR_IDENTITY'),
          lastChange: statement.index,
        });
      }
      const state = columns.get(key.toLowerCase());
      if (state && !added) apply(state, command, statement.index);
    }
  }
  return [...columns.values()];
}

/**
 * Judges the file as a whole: a column added with a default that a later statement drops is,
 * for version N, a NOT NULL column without a default, which its INSERTs do not fill.
 */
export const endStateNotNullWithoutDefault: Rule = {
  id: 'end-state-not-null-without-default',
  summary:
    'At the end of a pre-deploy file, a column it added is NOT NULL without a default: INSERTs of version N fail.',
  check(statement: AnalyzedStatement, migration: Migration) {
    if (migration.phase !== 'pre') return [];
    return endStates(migration)
      .filter((state) => state.notNull && !state.hasDefault && state.lastChange === statement.index)
      .filter((state) => !isAddedBareNotNull(migration, state))
      .map((state) => {
        const col = quoteName(state.name);
        const table = tableText(state.relation);
        return hit(
          'error',
          `After this statement, ${table}.${col} (added by this migration) is NOT NULL without a ` +
            'default, and this is its state when the migration ends: version N does not know ' +
            `${col}, so every INSERT of N into ${table} fails with a not-null violation.`,
          [
            `-- keep the default until every instance is N+1 and writes ${col}:`,
            `ALTER TABLE ${table} ADD COLUMN ${col} <type> NOT NULL DEFAULT <value>;`,
            '-- post-deploy, if N+1 always writes it:',
            `ALTER TABLE ${table} ALTER COLUMN ${col} DROP DEFAULT;`,
            '-- or add it nullable now, and later, post-deploy:',
            ...setNotNullRecipe(state.relation, state.name)
              .split('\n')
              .map((line) => `--   ${line}`),
          ].join('\n'),
        );
      });
  },
};

/** ADD COLUMN ... NOT NULL without a default in one statement: add-column-not-null-without-default reports it. */
function isAddedBareNotNull(migration: Migration, state: ColumnState): boolean {
  return (
    migration.statements[state.lastChange]?.kind === 'AlterTableStmt' &&
    alterOfExistingTable(migration.statements[state.lastChange], migration)?.commands.some(
      (command) =>
        command.subtype === 'AT_AddColumn' && columnDefOf(command)?.colname === state.name,
    ) === true
  );
}
