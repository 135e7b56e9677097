import type { DropStmt } from 'libpg-query';
import { names, nodeOf } from '../ast';
import { droppedNames } from './index-names';
import { hit, type Rule } from './rule';

export const dropTable: Rule = {
  id: 'drop-table',
  summary: 'DROP TABLE in pre-deploy breaks version N, which still uses the table.',
  check(statement, migration) {
    const drop = nodeOf<DropStmt>(statement.node, 'DropStmt');
    if (migration.phase !== 'pre' || drop?.removeType !== 'OBJECT_TABLE') return [];
    const existing = droppedNames(drop).filter((_, at) => {
      const parts = names(nodeOf<{ items?: never[] }>(drop.objects?.[at], 'List')?.items);
      return !migration.isNewTable(parts.at(-1), statement.index);
    });
    if (existing.length === 0) return [];
    return [
      hit(
        'error',
        `Dropping ${existing.join(', ')} in pre-deploy breaks version N, which is still serving ` +
          'and still queries it; a rollback to N would find it gone too.',
        [
          '-- release N+1 stops using it (remove its model and routes);',
          '-- migrations/post-deploy/<timestamp>-drop-table.sql:',
          `DROP TABLE IF EXISTS ${existing.join(', ')};`,
        ].join('\n'),
      ),
    ];
  },
};
