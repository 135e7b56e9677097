import type { DropStmt, IndexStmt } from 'libpg-query';
import { nodeOf } from '../ast';
import {
  createIndexConcurrentlySql,
  defaultIndexName,
  droppedNames,
  dropIndexConcurrentlySql,
} from './index-names';
import { hit, type Rule, type RuleHit } from './rule';

const why =
  'runs outside a transaction, so an interrupted run is not rolled back and the runner retries ' +
  'the migration: without IF [NOT] EXISTS the retry fails on what the first attempt left behind ' +
  '(or, for an unnamed index, silently builds a second copy).';

function createHit(index: IndexStmt): RuleHit {
  const name = index.idxname ?? defaultIndexName(index);
  return hit(
    'warning',
    `CREATE INDEX CONCURRENTLY ${why}`,
    [
      `-- If a failed attempt left an INVALID index, drop it first: ${dropIndexConcurrentlySql(name)}`,
      createIndexConcurrentlySql(index),
    ].join('\n'),
  );
}

function dropHit(drop: DropStmt): RuleHit {
  return hit(
    'warning',
    `DROP INDEX CONCURRENTLY ${why}`,
    droppedNames(drop).map(dropIndexConcurrentlySql).join('\n'),
  );
}

export const concurrentIndexWithoutIfExists: Rule = {
  id: 'concurrent-index-without-if-exists',
  summary: 'CREATE/DROP INDEX CONCURRENTLY without IF [NOT] EXISTS does not converge on retry.',
  check(statement) {
    const index = nodeOf<IndexStmt>(statement.node, 'IndexStmt');
    if (index?.concurrent && !index.if_not_exists) return [createHit(index)];
    const drop = nodeOf<DropStmt>(statement.node, 'DropStmt');
    const dropsIndex = drop?.removeType === 'OBJECT_INDEX' && drop.concurrent;
    return drop && dropsIndex && !drop.missing_ok ? [dropHit(drop)] : [];
  },
};
