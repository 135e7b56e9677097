import { tableText } from '../ast';
import { notValidHit, validatedConstraints } from './not-valid-recipe';
import type { Rule } from './rule';

export const addForeignKeyValidated: Rule = {
  id: 'add-foreign-key-validated',
  summary:
    'ADD FOREIGN KEY without NOT VALID scans the table while blocking writes on both tables.',
  check(statement, migration) {
    return validatedConstraints(statement, migration, 'CONSTR_FOREIGN').map((found) => {
      const table = tableText(found.relation);
      const referenced = tableText(found.constraint.pktable);
      return notValidHit(
        found,
        `Adding a foreign key from ${table} to ${referenced} checks every existing row while ` +
          `holding a SHARE ROW EXCLUSIVE lock on both tables: every INSERT, UPDATE and DELETE ` +
          `on ${table} and ${referenced} waits for the whole scan.`,
      );
    });
  },
};
