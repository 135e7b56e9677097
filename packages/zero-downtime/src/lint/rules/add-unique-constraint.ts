import { names, quoteName, tableText } from '../ast';
import { hit, type Rule } from './rule';
import { indexBackedConstraints, usingIndexRecipe } from './unique-index-recipe';

export const addUniqueConstraint: Rule = {
  id: 'add-unique-constraint',
  summary: 'ADD UNIQUE without USING INDEX builds the index under an exclusive lock.',
  check(statement, migration) {
    return indexBackedConstraints(statement, migration, 'CONSTR_UNIQUE').map((found) => {
      const table = tableText(found.relation);
      const columns = names(found.constraint.keys).map(quoteName).join(', ');
      return hit(
        'error',
        `Adding UNIQUE (${columns}) to ${table} builds its index while holding an ACCESS ` +
          `EXCLUSIVE lock on ${table}: every read and write waits until the whole index is built.`,
        usingIndexRecipe(found, 'UNIQUE'),
      );
    });
  },
};
