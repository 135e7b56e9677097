/**
 * The facts about a whole migration that rules need beyond a single statement: its phase,
 * which tables, indexes and columns it created itself (exempt from lock rules: nobody else uses
 * them yet), and which statements share a transaction.
 */
import type { AlterTableStmt, CreateStmt, IndexStmt, RangeVar, TransactionStmt } from 'libpg-query';
import type { SqlStatement } from '../sql/split';
import { isConcurrentStatement } from '../sql/split';
import { alterCommands, columnDefOf, nodeOf } from './ast';
import type { Phase } from './types';

export interface AnalyzedStatement {
  index: number;
  text: string;
  line: number;
  kind: string;
  node: unknown;
  /** Statements with the same id commit together. */
  transaction: number;
  /** True inside BEGIN..COMMIT, a transactional migration, or a multi-statement query. */
  inTransactionBlock: boolean;
}

export interface MigrationInput {
  statement: SqlStatement;
  line: number;
  /** Statements sent to the server in one query string run in one implicit transaction. */
  queryGroup?: number;
}

export interface Migration {
  file: string;
  phase: Phase;
  transactional: boolean;
  statements: AnalyzedStatement[];
  isNewTable(relation: RangeVar | string | undefined, before: number): boolean;
  isNewIndex(name: string | undefined, before: number): boolean;
  isNewColumn(relation: RangeVar | undefined, column: string, before: number): boolean;
}

const openKinds = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const closeKinds = new Set([
  'TRANS_STMT_COMMIT',
  'TRANS_STMT_ROLLBACK',
  'TRANS_STMT_PREPARE',
  'TRANS_STMT_COMMIT_PREPARED',
  'TRANS_STMT_ROLLBACK_PREPARED',
]);

function transactionControl(statement: SqlStatement): 'open' | 'close' | undefined {
  const kind = nodeOf<TransactionStmt>(statement.node, 'TransactionStmt')?.kind ?? '';
  if (openKinds.has(kind)) return 'open';
  if (closeKinds.has(kind)) return 'close';
  return undefined;
}

export function hasTransactionControl(statements: readonly SqlStatement[]): boolean {
  return statements.some((statement) => transactionControl(statement) !== undefined);
}

/** How the runner executes a .sql file: one transaction unless it must not, or it manages its own. */
export function runsInOneTransaction(statements: readonly SqlStatement[]): boolean {
  return !statements.some(isConcurrentStatement) && !hasTransactionControl(statements);
}

function groupSizes(inputs: MigrationInput[]): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const { queryGroup } of inputs) {
    if (queryGroup !== undefined) sizes.set(queryGroup, (sizes.get(queryGroup) ?? 0) + 1);
  }
  return sizes;
}

function assignTransactions(inputs: MigrationInput[], transactional: boolean): AnalyzedStatement[] {
  const sizes = groupSizes(inputs);
  let nextId = 1;
  let explicitBlock: number | undefined;
  const queryTransactions = new Map<number, number>();
  return inputs.map(({ statement, line, queryGroup }, index) => {
    const control = transactionControl(statement);
    if (control === 'open') explicitBlock = nextId++;
    let transaction: number;
    let inTransactionBlock = true;
    if (transactional) transaction = 0;
    else if (explicitBlock !== undefined) transaction = explicitBlock;
    else if (queryGroup !== undefined && (sizes.get(queryGroup) ?? 0) > 1) {
      transaction = queryTransactions.get(queryGroup) ?? nextId++;
      queryTransactions.set(queryGroup, transaction);
    } else {
      transaction = nextId++;
      inTransactionBlock = false;
    }
    if (control === 'close') explicitBlock = undefined;
    const { text, kind, node } = statement;
    return { index, text, line, kind, node, transaction, inTransactionBlock };
  });
}

function relationKey(relation: RangeVar | string | undefined): string {
  return (typeof relation === 'string' ? relation : (relation?.relname ?? '')).toLowerCase();
}

/** Index of the statement that created each table / index / column (first one wins). */
function creations(statements: AnalyzedStatement[]) {
  const tables = new Map<string, number>();
  const indexes = new Map<string, number>();
  const columns = new Map<string, number>();
  const remember = (map: Map<string, number>, key: string, index: number) => {
    if (!map.has(key)) map.set(key, index);
  };
  for (const { node, index } of statements) {
    const created = nodeOf<CreateStmt>(node, 'CreateStmt')?.relation;
    const createdAs = nodeOf<{ into?: { rel?: RangeVar } }>(node, 'CreateTableAsStmt')?.into?.rel;
    for (const relation of [created, createdAs]) {
      if (relation) remember(tables, relationKey(relation), index);
    }
    const indexName = nodeOf<IndexStmt>(node, 'IndexStmt')?.idxname;
    if (indexName) remember(indexes, indexName.toLowerCase(), index);
    const alter = nodeOf<AlterTableStmt>(node, 'AlterTableStmt');
    for (const command of alterCommands(alter?.cmds)) {
      const column = command.subtype === 'AT_AddColumn' ? columnDefOf(command) : undefined;
      if (column?.colname) {
        remember(columns, `${relationKey(alter?.relation)}.${column.colname}`, index);
      }
    }
  }
  return { tables, indexes, columns };
}

function createdBefore(map: Map<string, number>, key: string, before: number): boolean {
  const at = map.get(key.toLowerCase());
  return at !== undefined && at < before;
}

export function buildMigration(
  inputs: MigrationInput[],
  options: { file: string; phase: Phase; transactional: boolean },
): Migration {
  const statements = assignTransactions(inputs, options.transactional);
  const created = creations(statements);
  return {
    ...options,
    statements,
    isNewTable: (relation, before) => createdBefore(created.tables, relationKey(relation), before),
    isNewIndex: (name, before) =>
      name !== undefined && createdBefore(created.indexes, name, before),
    isNewColumn: (relation, column, before) =>
      createdBefore(created.columns, `${relationKey(relation)}.${column}`, before),
  };
}
