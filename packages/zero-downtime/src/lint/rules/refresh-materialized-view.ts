import type { RefreshMatViewStmt } from 'libpg-query';
import { nodeOf, tableText } from '../ast';
import { hit, type Rule } from './rule';

export const refreshMaterializedView: Rule = {
  id: 'refresh-materialized-view-non-concurrent',
  summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view.',
  check(statement, migration) {
    const refresh = nodeOf<RefreshMatViewStmt>(statement.node, 'RefreshMatViewStmt');
    if (!refresh || refresh.concurrent || refresh.skipData) return [];
    if (migration.isNewTable(refresh.relation, statement.index)) return [];
    const view = tableText(refresh.relation);
    return [
      hit(
        'error',
        `REFRESH MATERIALIZED VIEW ${view} holds an ACCESS EXCLUSIVE lock on ${view} while it ` +
          're-runs the whole query: every read of the view waits until it ends.',
        [
          '-- CONCURRENTLY takes EXCLUSIVE (reads go on) and needs a unique index on the view:',
          `-- CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS <view>_key_idx ON ${view} (<key columns>);`,
          `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view};`,
        ].join('\n'),
      ),
    ];
  },
};
