import type { RenameStmt } from 'libpg-query';
import { nodeOf, quoteName, tableText } from '../ast';
import { backfillCommand, dropSyncTriggerSql, syncTriggerSql } from '../recipes';
import { hit, type Rule } from './rule';

export const renameColumn: Rule = {
  id: 'rename-column',
  summary: 'RENAME COLUMN breaks every query of version N that names the old column.',
  check(statement, migration) {
    const rename = nodeOf<RenameStmt>(statement.node, 'RenameStmt');
    if (rename?.renameType !== 'OBJECT_COLUMN' || rename.relationType !== 'OBJECT_TABLE') return [];
    if (migration.isNewTable(rename.relation, statement.index)) return [];
    const { relation, subname = '<old>', newname = '<new>' } = rename;
    const table = tableText(relation);
    const [oldCol, newCol] = [quoteName(subname), quoteName(newname)];
    const trigger = {
      relation,
      oldColumn: subname,
      newColumn: newname,
      toNew: `NEW.${oldCol}`,
      toOld: `NEW.${newCol}`,
    };
    return [
      hit(
        'error',
        `Renaming ${table}.${oldCol} to ${newCol} breaks version N at once: every query of N ` +
          `that names ${oldCol} fails (Sequelize lists every attribute in SELECT and INSERT), ` +
          'during the rolling restart and after a rollback. The new version breaks the same way ' +
          'until the rename has run.',
        [
          `-- or generate these steps: npm run generate -- rename-column ${relation?.relname ?? 'table'} ${subname} ${newname}`,
          '-- 1. pre-deploy: the new column, kept in sync with the old one by a trigger',
          `ALTER TABLE ${table} ADD COLUMN ${newCol} <same type as ${oldCol}>;`,
          syncTriggerSql(trigger),
          '-- 2. copy existing values in batches, outside the migration:',
          `--   ${backfillCommand(relation, `${newCol} = ${oldCol}`, `${newCol} IS NULL`)}`,
          `-- 3. release N+1 uses ${newCol}; post-deploy: drop NOT NULL on ${oldCol} if it has one`,
          '-- 4. post-deploy of the next release:',
          dropSyncTriggerSql(trigger),
          `ALTER TABLE ${table} DROP COLUMN ${oldCol};`,
        ].join('\n'),
      ),
    ];
  },
};
