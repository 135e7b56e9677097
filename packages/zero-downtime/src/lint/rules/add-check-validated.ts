import { sqlText, tableText } from '../ast';
import { notValidHit, validatedConstraints } from './not-valid-recipe';
import type { Rule } from './rule';

export const addCheckValidated: Rule = {
  id: 'add-check-validated',
  summary: 'ADD CHECK without NOT VALID scans the table under an ACCESS EXCLUSIVE lock.',
  check(statement, migration) {
    return validatedConstraints(statement, migration, 'CONSTR_CHECK').map((found) => {
      const table = tableText(found.relation);
      return notValidHit(
        found,
        `Adding CHECK (${sqlText(found.constraint.raw_expr)}) checks every existing row of ` +
          `${table} under an ACCESS EXCLUSIVE lock: every read and write of ${table} waits for ` +
          'the whole scan.',
      );
    });
  },
};
