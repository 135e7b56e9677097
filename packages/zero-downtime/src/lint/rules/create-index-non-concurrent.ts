import type { IndexStmt } from 'libpg-query';
import { nodeOf, tableText } from '../ast';
import {
  createIndexConcurrentlySql,
  defaultIndexName,
  dropIndexConcurrentlySql,
} from './index-names';
import { hit, type Rule } from './rule';

export const createIndexNonConcurrent: Rule = {
  id: 'create-index-non-concurrent',
  summary: 'CREATE INDEX on an existing table without CONCURRENTLY blocks writes while it builds.',
  check(statement, migration) {
    const index = nodeOf<IndexStmt>(statement.node, 'IndexStmt');
    if (!index || index.concurrent || migration.isNewTable(index.relation, statement.index)) {
      return [];
    }
    const table = tableText(index.relation);
    const name = index.idxname ?? defaultIndexName(index);
    return [
      hit(
        'error',
        `CREATE INDEX without CONCURRENTLY takes a SHARE lock on ${table}: every INSERT, UPDATE ` +
          `and DELETE on ${table} waits until the whole index is built, which takes minutes on a ` +
          'large table while version N is serving traffic.',
        [
          '-- Builds without blocking writes. CONCURRENTLY cannot run inside a transaction: the',
          '-- runner runs a .sql file containing it statement by statement; a .ts migration',
          '-- needs `export const transaction = false;`. A failed build leaves an INVALID index:',
          `-- ${dropIndexConcurrentlySql(name)} then retry.`,
          createIndexConcurrentlySql(index),
        ].join('\n'),
      ),
    ];
  },
};
