import { quoteName, tableText, typeText } from '../ast';
import { backfillCommand, setNotNullRecipe } from '../recipes';
import { columnsAddedToExistingTable, hasConstraint } from './alter-table';
import { hit, type Rule } from './rule';

/** Columns that fill themselves (identity, generated, primary key) have rules of their own. */
const fillsItself = ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED', 'CONSTR_PRIMARY'];

export const addColumnNotNullWithoutDefault: Rule = {
  id: 'add-column-not-null-without-default',
  summary: 'ADD COLUMN ... NOT NULL without a default fails on existing rows and breaks N.',
  check(statement, migration) {
    return columnsAddedToExistingTable(statement, migration)
      .filter((added) => hasConstraint(added, 'CONSTR_NOTNULL') || added.column.is_not_null)
      .filter((added) => !fillsItself.some((contype) => hasConstraint(added, contype)))
      .map(({ relation, column, name }) => {
        const table = tableText(relation);
        const col = quoteName(name);
        return hit(
          'error',
          `Adding ${col} to ${table} as NOT NULL without a default fails as soon as ${table} has ` +
            `a row (existing rows would hold NULL), and version N, which does not know ${col}, ` +
            `could no longer insert into ${table}.`,
          [
            '-- pre-deploy: add it nullable (or NOT NULL DEFAULT <constant>: no rewrite on PG 11+)',
            `ALTER TABLE ${table} ADD COLUMN ${col} ${typeText(column.typeName)};`,
            `-- release N+1 writes ${col}; fill existing rows, outside the migration:`,
            `--   ${backfillCommand(relation, `${col} = <value>`, `${col} IS NULL`)}`,
            '-- post-deploy: enforce it without a long exclusive lock',
            setNotNullRecipe(relation, name),
          ].join('\n'),
        );
      });
  },
};
