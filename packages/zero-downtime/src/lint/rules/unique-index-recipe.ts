/** Shared by add-unique-constraint and add-primary-key: build the index first, then attach it. */
import { names, quoteName, tableText } from '../ast';
import { setNotNullRecipe } from '../recipes';
import type { AnalyzedStatement, Migration } from '../migration';
import {
  constraintsAddedToExistingTable,
  inlineConstraintsOfAddedColumns,
  type AddedConstraint,
} from './alter-table';
import { constraintName } from './constraint-sql';

export type IndexBackedConstraint = AddedConstraint;

/** UNIQUE / PRIMARY KEY constraints that would build their index under lock (no USING INDEX). */
export function indexBackedConstraints(
  statement: AnalyzedStatement,
  migration: Migration,
  contype: string,
): IndexBackedConstraint[] {
  const tableLevel = constraintsAddedToExistingTable(statement, migration).filter(
    ({ constraint }) => constraint.contype === contype && !constraint.indexname,
  );
  const inline = inlineConstraintsOfAddedColumns(statement, migration, contype);
  return [...tableLevel, ...inline];
}

export function usingIndexRecipe(found: IndexBackedConstraint, keyword: string): string {
  const { relation, constraint, addColumnSql } = found;
  const table = tableText(relation);
  const name = quoteName(constraintName(relation, constraint));
  const columns = names(constraint.keys);
  const lines = addColumnSql ? [addColumnSql] : [];
  if (keyword === 'PRIMARY KEY') {
    lines.push('-- primary key columns must already be NOT NULL, or ADD PRIMARY KEY scans the');
    lines.push('-- table under lock; for each nullable column, first:');
    lines.push(
      ...setNotNullRecipe(relation, columns[0] ?? '<column>')
        .split('\n')
        .map((l) => `--   ${l}`),
    );
  }
  lines.push(
    `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${table} (${columns.map(quoteName).join(', ')});`,
    '-- then, in a later migration (a short ACCESS EXCLUSIVE lock, no index build):',
    `ALTER TABLE ${table} ADD CONSTRAINT ${name} ${keyword} USING INDEX ${name};`,
  );
  return lines.join('\n');
}
