import { quoteName, tableText } from '../ast';
import { commandsOfType } from './alter-table';
import { hit, type Rule } from './rule';

export const dropColumn: Rule = {
  id: 'drop-column',
  summary: 'DROP COLUMN in pre-deploy breaks version N, which still reads the column.',
  check(statement, migration) {
    if (migration.phase !== 'pre') return [];
    return commandsOfType(statement, migration, 'AT_DropColumn').map(({ relation, command }) => {
      const table = tableText(relation);
      const col = quoteName(command.name ?? '<column>');
      return hit(
        'error',
        `Dropping ${table}.${col} in pre-deploy breaks version N, which is still serving: ` +
          `Sequelize names every model attribute in SELECT and INSERT ... RETURNING, so every ` +
          `query of N on ${table} fails as soon as ${col} is gone.`,
        [
          `-- release N+1: remove ${command.name ?? 'the column'} from the Sequelize model (stop reading and writing it);`,
          '-- if it is NOT NULL without a default, make it nullable in pre-deploy so N+1 can insert.',
          `-- migrations/post-deploy/<timestamp>-drop-${relation?.relname ?? 'table'}-${command.name ?? 'column'}.sql:`,
          `ALTER TABLE ${table} DROP COLUMN IF EXISTS ${col};`,
        ].join('\n'),
      );
    });
  },
};
