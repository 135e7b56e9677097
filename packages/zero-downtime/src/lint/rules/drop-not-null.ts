import { quoteName, tableText } from '../ast';
import { commandsOfType } from './alter-table';
import { hit, type Rule } from './rule';

export const dropNotNull: Rule = {
  id: 'drop-not-null',
  summary: 'DROP NOT NULL in pre-deploy lets N+1 write NULLs that version N does not expect.',
  check(statement, migration) {
    if (migration.phase !== 'pre') return [];
    const dropped = commandsOfType(statement, migration, 'AT_DropNotNull').filter(
      // Version N does not know a column added by this same migration.
      ({ relation, command }) =>
        !migration.isNewColumn(relation, command.name ?? '', statement.index),
    );
    return dropped.map(({ relation, command }) => {
      const table = tableText(relation);
      const col = quoteName(command.name ?? '<column>');
      return hit(
        'error',
        `DROP NOT NULL on ${table}.${col} in pre-deploy: version N still serves traffic and ` +
          `assumes ${col} is never NULL; rows written without it during the rollout make N ` +
          'misbehave. Relaxing a constraint is a contract step. (Exception: removing the column, ' +
          'when N+1 no longer writes it; then suppress with a reason saying so.)',
        [
          `-- migrations/post-deploy/<timestamp>-drop-${command.name ?? 'column'}-not-null.sql:`,
          `ALTER TABLE ${table} ALTER COLUMN ${col} DROP NOT NULL;`,
          '-- or, when N+1 stops writing the column because it is being removed, keep it here with:',
          `-- zdm-ignore drop-not-null: N+1 no longer writes ${command.name ?? 'the column'}; it is dropped post-deploy`,
        ].join('\n'),
      );
    });
  },
};
