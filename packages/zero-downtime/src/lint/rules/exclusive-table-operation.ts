import type {
  ClusterStmt,
  LockStmt,
  RangeVar,
  ReindexStmt,
  TruncateStmt,
  VacuumStmt,
} from 'libpg-query';
import { listOf, nodeOf, optionOn, quoteName, tableText } from '../ast';
import { hit, type Rule } from './rule';

interface ExclusiveOperation {
  what: string;
  /** Which lock it takes and what waits for it. */
  lock: string;
  relations: (RangeVar | undefined)[];
  /** Named in the message when the operation targets no table (REINDEX INDEX, DATABASE). */
  subject?: string;
  recipe: (tables: string) => string;
}

const shadowTable =
  '-- rebuild it as a shadow table instead (docs/zero-downtime.md, shadow table: copy in chunks while';

function vacuumFull(node: unknown): ExclusiveOperation | undefined {
  const vacuum = nodeOf<VacuumStmt>(node, 'VacuumStmt');
  const full = optionOn(vacuum?.options, 'full');
  if (!vacuum || !full) return undefined;
  const relations = listOf<{ relation?: RangeVar }>(vacuum.rels, 'VacuumRelation').map(
    (rel) => rel.relation,
  );
  return {
    what: 'VACUUM FULL',
    lock: 'holds an ACCESS EXCLUSIVE lock while it rewrites the table: every read and write waits',
    relations,
    recipe: (tables) =>
      [
        `${shadowTable}`,
        '-- triggers mirror writes, then swap by rename), or use pg_repack. A plain VACUUM',
        '-- does not block reads or writes:',
        `VACUUM (ANALYZE) ${tables};`,
      ].join('\n'),
  };
}

function cluster(node: unknown): ExclusiveOperation | undefined {
  const stmt = nodeOf<ClusterStmt>(node, 'ClusterStmt');
  if (!stmt) return undefined;
  return {
    what: 'CLUSTER',
    lock: 'holds an ACCESS EXCLUSIVE lock while it rewrites the table: every read and write waits',
    relations: [stmt.relation],
    recipe: () =>
      `${shadowTable}\n-- triggers mirror writes, ordered as you need, then swap by rename).`,
  };
}

function lockTable(node: unknown): ExclusiveOperation | undefined {
  const stmt = nodeOf<LockStmt>(node, 'LockStmt');
  if (!stmt) return undefined;
  return {
    what: 'LOCK TABLE',
    lock: 'holds its lock (ACCESS EXCLUSIVE by default) until the migration commits: every query it conflicts with waits that long',
    relations: listOf<RangeVar>(stmt.relations, 'RangeVar'),
    recipe: () =>
      [
        '-- remove it: the runner already bounds every lock wait with lock_timeout and retries;',
        '-- each statement takes the lock it needs, for as short a time as possible.',
      ].join('\n'),
  };
}

function truncate(node: unknown): ExclusiveOperation | undefined {
  const stmt = nodeOf<TruncateStmt>(node, 'TruncateStmt');
  if (!stmt) return undefined;
  const relations = listOf<RangeVar>(stmt.relations, 'RangeVar');
  return {
    what: 'TRUNCATE',
    lock: 'needs an ACCESS EXCLUSIVE lock: it waits behind every running query and every query arriving meanwhile waits behind it, and it deletes data version N may still read',
    relations,
    recipe: () =>
      [
        '-- if no version uses the data any more, do it post-deploy; otherwise delete in short',
        '-- batches outside the migration, repeated until it deletes 0 rows:',
        ...relations.map(
          (relation) =>
            `DELETE FROM ${tableText(relation)} WHERE ctid IN (SELECT ctid FROM ${tableText(relation)} LIMIT 1000);`,
        ),
      ].join('\n'),
  };
}

const reindexTargets: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'INDEX',
  REINDEX_OBJECT_TABLE: 'TABLE',
  REINDEX_OBJECT_SCHEMA: 'SCHEMA',
  REINDEX_OBJECT_DATABASE: 'DATABASE',
  REINDEX_OBJECT_SYSTEM: 'SYSTEM',
};

function reindex(node: unknown): ExclusiveOperation | undefined {
  const stmt = nodeOf<ReindexStmt>(node, 'ReindexStmt');
  const concurrently = optionOn(stmt?.params, 'concurrently');
  if (!stmt || concurrently) return undefined;
  const target = reindexTargets[stmt.kind ?? ''] ?? 'TABLE';
  const name = stmt.relation ? tableText(stmt.relation) : quoteName(stmt.name ?? '<name>');
  return {
    what: 'REINDEX',
    lock: 'blocks every write to the table, and every read that would use the index, while it rebuilds',
    relations: stmt.kind === 'REINDEX_OBJECT_TABLE' ? [stmt.relation] : [],
    subject: `${target} ${name}`,
    recipe: () => `REINDEX ${target} CONCURRENTLY ${name};`,
  };
}

const detectors = [vacuumFull, cluster, lockTable, truncate, reindex];

export const exclusiveTableOperation: Rule = {
  id: 'exclusive-table-operation',
  summary: 'VACUUM FULL, CLUSTER, LOCK TABLE, TRUNCATE or non-concurrent REINDEX lock the table.',
  check(statement, migration) {
    const operation = detectors.map((detect) => detect(statement.node)).find(Boolean);
    if (!operation) return [];
    const { what, lock, relations, subject, recipe } = operation;
    const existing = relations.filter((r) => !migration.isNewTable(r, statement.index));
    if (relations.length > 0 && existing.length === 0) return [];
    const tables = existing.map(tableText).join(', ') || subject || 'its target';
    return [
      hit(
        'error',
        `${what} on ${tables} ${lock}; the queue behind the lock grows with every request.`,
        recipe(tables),
      ),
    ];
  },
};
