/** Shared by add-foreign-key-validated and add-check-validated: NOT VALID, then VALIDATE. */
import type { AnalyzedStatement, Migration } from '../migration';
import {
  constraintsAddedToExistingTable,
  inlineConstraintsOfAddedColumns,
  type AddedConstraint,
} from './alter-table';
import { addConstraintSql, constraintName, validateConstraintSql } from './constraint-sql';
import type { RuleHit } from './rule';
import { hit } from './rule';

export type ValidatedConstraint = AddedConstraint;

/** Constraints of the given type added to an existing table without NOT VALID. */
export function validatedConstraints(
  statement: AnalyzedStatement,
  migration: Migration,
  contype: string,
): ValidatedConstraint[] {
  const tableLevel = constraintsAddedToExistingTable(statement, migration)
    .filter(({ constraint }) => constraint.contype === contype && !constraint.skip_validation)
    .map(({ relation, constraint }) => ({ relation, constraint }));
  const inline = inlineConstraintsOfAddedColumns(statement, migration, contype);
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
