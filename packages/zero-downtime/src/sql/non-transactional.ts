/**
 * Statements PostgreSQL refuses inside a transaction block ("cannot run inside a transaction
 * block"). A migration containing one must run statement by statement, in autocommit.
 */
import type { SqlStatement } from './split';

type Fields = Record<string, unknown>;

interface DefElemNode {
  DefElem?: { defname?: string };
}

function hasOption(options: unknown, name: string): boolean {
  return Array.isArray(options)
    ? options.some((option: DefElemNode) => option.DefElem?.defname === name)
    : false;
}

function detachesConcurrently(alter: Fields): boolean {
  const cmds = (alter.cmds ?? []) as {
    AlterTableCmd?: { subtype?: string; def?: Fields };
  }[];
  return cmds.some(({ AlterTableCmd: cmd }) => {
    const partition = cmd?.def?.PartitionCmd as { concurrent?: boolean } | undefined;
    return cmd?.subtype === 'AT_DetachPartition' && partition?.concurrent === true;
  });
}

const alwaysOutsideTransaction = new Set([
  'CreatedbStmt',
  'DropdbStmt',
  'CreateTableSpaceStmt',
  'DropTableSpaceStmt',
  'AlterSystemStmt',
  'CreateSubscriptionStmt',
  'DropSubscriptionStmt',
]);

const wholeDatabaseReindex = new Set(['REINDEX_OBJECT_SYSTEM', 'REINDEX_OBJECT_DATABASE']);

/**
 * True for CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY,
 * VACUUM, REINDEX DATABASE/SYSTEM, CREATE/DROP DATABASE, tablespaces, ALTER SYSTEM and
 * subscriptions. (ALTER TYPE ... ADD VALUE is allowed in a transaction since PostgreSQL 12.)
 */
export function isConcurrentStatement(statement: Pick<SqlStatement, 'node' | 'kind'>): boolean {
  const fields = ((statement.node as Fields)[statement.kind] ?? {}) as Fields;
  switch (statement.kind) {
    case 'IndexStmt':
    case 'DropStmt':
      return fields.concurrent === true;
    case 'ReindexStmt':
      return (
        hasOption(fields.params, 'concurrently') || wholeDatabaseReindex.has(String(fields.kind))
      );
    case 'VacuumStmt':
      return fields.is_vacuumcmd === true;
    case 'AlterTableStmt':
      return detachesConcurrently(fields);
    case 'AlterDatabaseStmt':
      return hasOption(fields.options, 'tablespace');
    default:
      return alwaysOutsideTransaction.has(statement.kind);
  }
}

export function containsNonTransactionalStatement(
  statements: readonly Pick<SqlStatement, 'node' | 'kind'>[],
): boolean {
  return statements.some(isConcurrentStatement);
}
