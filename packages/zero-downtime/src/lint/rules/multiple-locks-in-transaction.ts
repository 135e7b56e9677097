import type {
  AlterTableStmt,
  ClusterStmt,
  CreateStmt,
  CreateTrigStmt,
  DropStmt,
  IndexStmt,
  LockStmt,
  RangeVar,
  ReindexStmt,
  RenameStmt,
  TruncateStmt,
} from 'libpg-query';
import {
  alterCommands,
  constraintOf,
  constraintsOf,
  columnDefOf,
  listOf,
  names,
  nodeOf,
  tableText,
} from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { hit, type Rule } from './rule';

/** Tables whose foreign keys an ALTER TABLE or CREATE TABLE adds (their referenced tables get locked). */
function referencedTables(constraints: { pktable?: RangeVar; contype?: string }[]): RangeVar[] {
  return constraints
    .filter((constraint) => constraint.contype === 'CONSTR_FOREIGN' && constraint.pktable)
    .map((constraint) => constraint.pktable as RangeVar);
}

function alterLocks(alter: AlterTableStmt): RangeVar[] {
  const commands = alterCommands(alter.cmds);
  const constraints = commands.flatMap((command) => [
    ...(constraintOf(command) ? [constraintOf(command) as never] : []),
    ...constraintsOf(columnDefOf(command)),
  ]);
  return [alter.relation as RangeVar, ...referencedTables(constraints)];
}

function droppedTables(drop: DropStmt): RangeVar[] {
  if (drop.removeType !== 'OBJECT_TABLE') return [];
  return listOf<{ items?: never[] }>(drop.objects, 'List').map((list) => {
    const parts = names(list.items);
    return { relname: parts.at(-1), schemaname: parts.length > 1 ? parts[0] : undefined };
  });
}

/** Tables on which a statement takes a lock that conflicts with ordinary reads or writes. */
export function lockedTables(node: unknown): RangeVar[] {
  const alter = nodeOf<AlterTableStmt>(node, 'AlterTableStmt');
  if (alter?.objtype === 'OBJECT_TABLE') return alterLocks(alter);
  const index = nodeOf<IndexStmt>(node, 'IndexStmt');
  if (index && !index.concurrent && index.relation) return [index.relation];
  const create = nodeOf<CreateStmt>(node, 'CreateStmt');
  if (create) {
    const inline = listOf<{ constraints?: never[] }>(create.tableElts, 'ColumnDef').flatMap((c) =>
      listOf<{ contype?: string }>(c.constraints, 'Constraint'),
    );
    return referencedTables([...inline, ...listOf<never>(create.tableElts, 'Constraint')]);
  }
  const single = [
    nodeOf<RenameStmt>(node, 'RenameStmt')?.relation,
    nodeOf<CreateTrigStmt>(node, 'CreateTrigStmt')?.relation,
    nodeOf<ClusterStmt>(node, 'ClusterStmt')?.relation,
    nodeOf<ReindexStmt>(node, 'ReindexStmt')?.kind === 'REINDEX_OBJECT_TABLE'
      ? nodeOf<ReindexStmt>(node, 'ReindexStmt')?.relation
      : undefined,
  ].filter((relation): relation is RangeVar => relation !== undefined);
  const lists = [
    ...listOf<RangeVar>(nodeOf<TruncateStmt>(node, 'TruncateStmt')?.relations, 'RangeVar'),
    ...listOf<RangeVar>(nodeOf<LockStmt>(node, 'LockStmt')?.relations, 'RangeVar'),
    ...droppedTables(nodeOf<DropStmt>(node, 'DropStmt') ?? {}),
  ];
  return [...single, ...lists];
}

function existingLockedTables(
  migration: Migration,
  statement: AnalyzedStatement,
): Map<string, RangeVar> {
  const tables = new Map<string, RangeVar>();
  for (const relation of lockedTables(statement.node)) {
    if (!migration.isNewTable(relation, statement.index)) {
      tables.set((relation.relname ?? '').toLowerCase(), relation);
    }
  }
  return tables;
}

function lockingStatements(migration: Migration, transaction: number) {
  return migration.statements
    .filter((other) => other.transaction === transaction)
    .map((other) => ({ statement: other, tables: existingLockedTables(migration, other) }))
    .filter(({ tables }) => tables.size > 0);
}

function distinctTables(entries: { tables: Map<string, RangeVar> }[]): Map<string, RangeVar> {
  return new Map(entries.flatMap(({ tables }) => [...tables]));
}

/** The first statement of the transaction at which two statements have locked two tables. */
function firstOffendingIndex(
  entries: { statement: AnalyzedStatement; tables: Map<string, RangeVar> }[],
) {
  for (let count = 2; count <= entries.length; count += 1) {
    if (distinctTables(entries.slice(0, count)).size >= 2)
      return entries[count - 1].statement.index;
  }
  return undefined;
}

export const multipleLocksInTransaction: Rule = {
  id: 'multiple-locks-in-transaction',
  summary: 'Lock-taking statements on two or more existing tables in one transaction.',
  check(statement, migration) {
    if (!statement.inTransactionBlock) return [];
    if (existingLockedTables(migration, statement).size === 0) return [];
    const entries = lockingStatements(migration, statement.transaction);
    // One statement locking two tables (a foreign key) is atomic; two statements are not.
    // Reported once per transaction, at the statement that completes the pile-up.
    if (firstOffendingIndex(entries) !== statement.index) return [];
    const tables = [...distinctTables(entries).values()].map(tableText);
    return [
      hit(
        'error',
        `This transaction takes locks on ${tables.join(' and ')}: each lock is held until ` +
          'commit while the next one is awaited, so traffic on the first table queues behind a ' +
          'wait for the second, and two sessions locking in opposite orders deadlock.',
        [
          '-- one lock-taking statement (one table) per migration file, each its own transaction:',
          ...entries.map(
            ({ statement: entry }, at) =>
              `-- migrations/${migration.phase}-deploy/<timestamp>-part-${at + 1}.sql\n${entry.text};`,
          ),
        ].join('\n'),
      ),
    ];
  },
};
