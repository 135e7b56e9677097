import type { RangeVar } from 'libpg-query';
import { quoteName, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { commandsOfType, constraintsAddedToExistingTable } from './alter-table';
import { constraintName, validateConstraintSql } from './constraint-sql';
import { hit, type Rule } from './rule';

function addedNotValidEarlierInTransaction(
  migration: Migration,
  statement: AnalyzedStatement,
  name: string,
): boolean {
  return migration.statements
    .slice(0, statement.index)
    .filter((earlier) => earlier.transaction === statement.transaction)
    .flatMap((earlier) => constraintsAddedToExistingTable(earlier, migration))
    .some(
      ({ relation, constraint }) =>
        constraint.skip_validation === true && constraintName(relation, constraint) === name,
    );
}

function recipe(relation: RangeVar | undefined, name: string): string {
  return [
    `-- next migration (so it runs in its own transaction, after the ADD ... NOT VALID committed):`,
    validateConstraintSql(relation, name),
  ].join('\n');
}

export const validateInSameTransaction: Rule = {
  id: 'validate-in-same-transaction',
  summary: 'VALIDATE CONSTRAINT in the same transaction as its ADD ... NOT VALID keeps the lock.',
  check(statement, migration) {
    if (!statement.inTransactionBlock) return [];
    return commandsOfType(statement, migration, 'AT_ValidateConstraint')
      .filter(({ command }) =>
        addedNotValidEarlierInTransaction(migration, statement, command.name ?? ''),
      )
      .map(({ relation, command }) => {
        const table = tableText(relation);
        const name = command.name ?? '<constraint>';
        return hit(
          'error',
          `${quoteName(name)} is added NOT VALID and validated in the same transaction: the ` +
            `ADD CONSTRAINT lock on ${table} (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE ` +
            'for a foreign key) is held until commit, so the validation scan runs under it and ' +
            'blocks writes for its whole duration: exactly what NOT VALID was meant to avoid.',
          recipe(relation, name),
        );
      });
  },
};
