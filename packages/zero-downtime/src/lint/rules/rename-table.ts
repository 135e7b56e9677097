import type { RenameStmt, ViewStmt } from 'libpg-query';
import { nodeOf, quoteName, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { hit, type Rule } from './rule';

/** The recipe itself: rename, then a view with the old name created in the same transaction. */
function viewKeepsOldName(migration: Migration, statement: AnalyzedStatement, oldName: string) {
  return migration.statements
    .slice(statement.index + 1)
    .filter((later) => later.transaction === statement.transaction)
    .some((later) => {
      const view = nodeOf<ViewStmt>(later.node, 'ViewStmt')?.view?.relname;
      return view?.toLowerCase() === oldName.toLowerCase();
    });
}

export const renameTable: Rule = {
  id: 'rename-table',
  summary: 'RENAME TABLE breaks every query of version N (unless a view keeps the old name).',
  check(statement, migration) {
    const rename = nodeOf<RenameStmt>(statement.node, 'RenameStmt');
    if (rename?.renameType !== 'OBJECT_TABLE' || !rename.relation?.relname) return [];
    const oldName = rename.relation.relname;
    if (migration.isNewTable(oldName, statement.index)) return [];
    if (viewKeepsOldName(migration, statement, oldName)) return [];
    const table = tableText(rename.relation);
    const renamed = quoteName(rename.newname ?? '<new>');
    const schema = rename.relation.schemaname ? `${quoteName(rename.relation.schemaname)}.` : '';
    return [
      hit(
        'error',
        `Renaming ${table} to ${renamed} breaks version N at once: every query of N on ${table} ` +
          'fails with "relation does not exist", during the rolling restart and after a rollback.',
        [
          '-- pre-deploy, in one transaction: a simple view keeps the old name readable and',
          '-- writable (INSERT/UPDATE/DELETE ... RETURNING work through it) for version N',
          `ALTER TABLE ${table} RENAME TO ${renamed};`,
          `CREATE VIEW ${table} AS SELECT * FROM ${schema}${renamed};`,
          '-- post-deploy, once every instance uses the new name:',
          `DROP VIEW IF EXISTS ${table};`,
        ].join('\n'),
      ),
    ];
  },
};
