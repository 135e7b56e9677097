/** Shared by add-foreign-key-validated and add-check-validated: NOT VALID, then VALIDATE. */
import type { Constraint, RangeVar } from 'libpg-query';
import { quoteName, tableText, typeText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { columnsAddedToExistingTable, constraintsAddedToExistingTable } from './alter-table';
import {
  addConstraintSql,
  asTableConstraint,
  constraintName,
  validateConstraintSql,
} from './constraint-sql';
import type { RuleHit } from './rule';
import { hit } from './rule';

export interface ValidatedConstraint {
  relation: RangeVar | undefined;
  constraint: Constraint;
  /** Set when the constraint was written inline in ADD COLUMN. */
  addColumnSql?: string;
}

/** Constraints of the given type added to an existing table without NOT VALID. */
export function validatedConstraints(
  statement: AnalyzedStatement,
  migration: Migration,
  contype: string,
): ValidatedConstraint[] {
  const tableLevel = constraintsAddedToExistingTable(statement, migration)
    .filter(({ constraint }) => constraint.contype === contype && !constraint.skip_validation)
    .map(({ relation, constraint }) => ({ relation, constraint }));
  const inline = columnsAddedToExistingTable(statement, migration).flatMap((added) =>
    added.constraints
      .filter((constraint) => constraint.contype === contype)
      .map((constraint) => ({
        relation: added.relation,
        constraint: asTableConstraint(constraint, added.name),
        addColumnSql:
          `ALTER TABLE ${tableText(added.relation)} ADD COLUMN ${quoteName(added.name)} ` +
          `${typeText(added.column.typeName)};`,
      })),
  );
  return [...tableLevel, ...inline];
}

export function notValidHit(found: ValidatedConstraint, message: string): RuleHit {
  const { relation, constraint, addColumnSql } = found;
  const name = constraintName(relation, constraint);
  const notValid = { ...constraint, conname: name, skip_validation: true, initially_valid: false };
  return hit(
    'error',
    message,
    [
      ...(addColumnSql ? [addColumnSql] : []),
      addConstraintSql(relation, notValid),
      '-- next migration (its own transaction): checks existing rows without blocking writes',
      validateConstraintSql(relation, name),
    ].join('\n'),
  );
}
