import { quoteName, sqlText, tableText } from '../ast';
import { commandsOfType } from './alter-table';
import { hit, type Rule } from './rule';

export const changeDefault: Rule = {
  id: 'change-default',
  summary: 'Changing the default of an existing column in pre-deploy changes what N writes.',
  check(statement, migration) {
    if (migration.phase !== 'pre') return [];
    return commandsOfType(statement, migration, 'AT_ColumnDefault')
      .filter(({ relation, command }) => {
        return !migration.isNewColumn(relation, command.name ?? '', statement.index);
      })
      .map(({ relation, command }) => {
        const table = tableText(relation);
        const col = quoteName(command.name ?? '<column>');
        const change = command.def
          ? `ALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${sqlText(command.def)};`
          : `ALTER TABLE ${table} ALTER COLUMN ${col} DROP DEFAULT;`;
        const effect = command.def
          ? `rows version N inserts without ${col} get the new default instead of the one N was written for`
          : `inserts of version N that omit ${col} get NULL, or fail if ${col} is NOT NULL`;
        return hit(
          command.def ? 'warning' : 'error',
          `Changing the default of ${table}.${col} in pre-deploy: version N still serves ` +
            `traffic and may rely on it; ${effect}. Change it post-deploy, once every instance ` +
            'is N+1.',
          `-- migrations/post-deploy/<timestamp>-change-${command.name ?? 'column'}-default.sql:\n${change}`,
        );
      });
  },
};
