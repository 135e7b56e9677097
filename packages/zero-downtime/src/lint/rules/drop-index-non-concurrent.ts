import type { DropStmt } from 'libpg-query';
import { names, nodeOf } from '../ast';
import { droppedNames, dropIndexConcurrentlySql } from './index-names';
import { hit, type Rule } from './rule';

function allCreatedInThisMigration(drop: DropStmt, isNew: (name: string) => boolean): boolean {
  return (drop.objects ?? []).every((object) => {
    const parts = names(nodeOf<{ items?: never[] }>(object, 'List')?.items);
    return isNew(parts.at(-1) ?? '');
  });
}

export const dropIndexNonConcurrent: Rule = {
  id: 'drop-index-non-concurrent',
  summary: 'DROP INDEX without CONCURRENTLY blocks all access to the table.',
  check(statement, migration) {
    const drop = nodeOf<DropStmt>(statement.node, 'DropStmt');
    if (!drop || drop.removeType !== 'OBJECT_INDEX' || drop.concurrent) return [];
    if (allCreatedInThisMigration(drop, (name) => migration.isNewIndex(name, statement.index))) {
      return [];
    }
    const indexes = droppedNames(drop);
    return [
      hit(
        'error',
        `DROP INDEX ${indexes.join(', ')} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on ` +
          "the index's table: every read and write of that table waits until the drop commits, " +
          'and it first waits behind every running query on the table.',
        [
          '-- One index per statement, outside a transaction (no CASCADE with CONCURRENTLY):',
          ...indexes.map(dropIndexConcurrentlySql),
        ].join('\n'),
      ),
    ];
  },
};
