import { names, quoteName, tableText } from '../ast';
import { hit, type Rule } from './rule';
import { indexBackedConstraints, usingIndexRecipe } from './unique-index-recipe';

export const addPrimaryKey: Rule = {
  id: 'add-primary-key',
  summary: 'ADD PRIMARY KEY without USING INDEX builds the index under an exclusive lock.',
  check(statement, migration) {
    return indexBackedConstraints(statement, migration, 'CONSTR_PRIMARY').map((found) => {
      const table = tableText(found.relation);
      const columns = names(found.constraint.keys).map(quoteName).join(', ');
      return hit(
        'error',
        `Adding PRIMARY KEY (${columns}) to ${table} builds its unique index (and checks NOT ` +
          `NULL) while holding an ACCESS EXCLUSIVE lock on ${table}: every read and write waits ` +
          'until it is done.',
        usingIndexRecipe(found, 'PRIMARY KEY'),
      );
    });
  },
};
