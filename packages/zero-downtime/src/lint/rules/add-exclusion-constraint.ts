import { tableText } from '../ast';
import { constraintsAddedToExistingTable } from './alter-table';
import { hit, type Rule } from './rule';

export const addExclusionConstraint: Rule = {
  id: 'add-exclusion-constraint',
  summary:
    'ADD EXCLUDE on an existing table builds its index under ACCESS EXCLUSIVE; it has no concurrent form.',
  check(statement, migration) {
    return constraintsAddedToExistingTable(statement, migration)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_EXCLUSION')
      .map(({ relation }) => {
        const table = tableText(relation);
        return hit(
          'error',
          `Adding an exclusion constraint to ${table} builds its index and checks every row ` +
            `while holding an ACCESS EXCLUSIVE lock on ${table}: every read and write waits. ` +
            'Unlike UNIQUE, an exclusion constraint cannot use an index built CONCURRENTLY.',
          [
            '-- build the table anew with the constraint and move the rows (docs/zero-downtime.md,',
            `-- shadow table), or add it while ${table} is still small; meanwhile a trigger or the`,
            '-- application can enforce the rule for new rows.',
          ].join('\n'),
        );
      });
  },
};
