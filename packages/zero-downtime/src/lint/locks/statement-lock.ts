/**
 * The lock report of one statement: the lock PostgreSQL 15 takes on each relation it names
 * (docs "Explicit Locking" and each command's page), what that lock stops, and whether the
 * statement rewrites a table, scans it, changes rows, or only touches the catalog.
 * Checked against pg_locks in tests/lint/locks.test.ts.
 */
import type {
  AlterSeqStmt,
  AlterTableStmt,
  ClusterStmt,
  CommentStmt,
  CreateStatsStmt,
  CreateStmt,
  CreateTableAsStmt,
  CreateTrigStmt,
  DropStmt,
  IndexStmt,
  LockStmt,
  Node,
  RangeVar,
  RefreshMatViewStmt,
  ReindexStmt,
  RenameStmt,
  VacuumStmt,
  ViewStmt,
} from 'libpg-query';
import {
  alterCommands,
  constraintsOf,
  listOf,
  names,
  nodeKind,
  nodeOf,
  optionOn,
  tableText,
} from '../ast';
import type { LockMode, LockReport, RelationLock } from '../types';
import { commandLocks, type CommandLock, type Work } from './alter-table';
import { blockedBy, modeOfLockStatement, strongerMode } from './modes';
import { droppedRelations, queryAccess, relationOfNames } from './relations';

const workOrder: Work[] = ['none', 'catalog', 'rows', 'scan', 'rewrite'];

const workWords: Readonly<Record<Work, string>> = {
  none: 'no other work',
  catalog: 'catalog only',
  rows: 'reads or changes rows',
  scan: 'scans the table',
  rewrite: 'rewrites the table',
};

interface Taken extends CommandLock {
  /** When the relation is an index: the mode taken on its table as well. */
  tableOfIndex?: LockMode;
}

function lock(relation: RangeVar | undefined, mode: LockMode, work: Work): Taken {
  return { relation, mode, work };
}

function report(taken: Taken[], fallback: Work = 'none'): LockReport {
  const byRelation = new Map<string, RelationLock>();
  let work = fallback;
  const notes = taken.flatMap((entry) => (entry.note ? [entry.note] : []));
  for (const entry of taken) {
    if (workOrder.indexOf(entry.work) > workOrder.indexOf(work)) work = entry.work;
    if (!entry.relation?.relname) continue;
    const relation = tableText(entry.relation);
    const known = byRelation.get(relation);
    const mode = known ? strongerMode(known.mode, entry.mode) : entry.mode;
    const tableOfIndex = entry.tableOfIndex ?? known?.tableOfIndex;
    byRelation.set(relation, {
      relation,
      mode,
      blocks: blockedBy[mode],
      ...(tableOfIndex ? { tableOfIndex } : {}),
    });
  }
  const locks = [...byRelation.values()];
  const parts = locks.map(({ relation, mode, blocks, tableOfIndex }) => {
    const table = tableOfIndex ? ` (and ${tableOfIndex} on its table)` : '';
    return `${mode} on ${relation}${table}: blocks ${blocks}`;
  });
  const summary = [
    ...(parts.length ? parts : ['no lock on any relation']),
    workWords[work],
    ...notes,
  ];
  return { locks, work, summary: [...new Set(summary)].join('; ') };
}

function alterTable(alter: AlterTableStmt): Taken[] {
  const commands = alterCommands(alter.cmds);
  if (alter.objtype === 'OBJECT_INDEX') {
    return commands.map((command) => ({
      ...commandLocks(command, alter.relation)[0],
      mode: command.subtype === 'AT_SetTableSpace' ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE',
    }));
  }
  if (alter.objtype === 'OBJECT_SEQUENCE') {
    return commands.map(() => lock(alter.relation, 'ACCESS EXCLUSIVE', 'catalog'));
  }
  return commands.flatMap((command) => commandLocks(command, alter.relation));
}

function foreignKeyTargets(create: CreateStmt): Taken[] {
  const columns = listOf<{ constraints?: Node[] }>(create.tableElts, 'ColumnDef');
  const constraints = [
    ...columns.flatMap((column) => constraintsOf(column as never)),
    ...listOf<{ contype?: string; pktable?: RangeVar }>(create.tableElts, 'Constraint'),
  ];
  return constraints
    .filter((constraint) => constraint.contype === 'CONSTR_FOREIGN')
    .map((constraint) => lock(constraint.pktable, 'SHARE ROW EXCLUSIVE', 'catalog'));
}

function createTable(create: CreateStmt): Taken[] {
  const parents = listOf<RangeVar>(create.inhRelations, 'RangeVar');
  // PARTITION OF locks the parent ACCESS EXCLUSIVE; INHERITS, SHARE UPDATE EXCLUSIVE.
  const parentMode = create.partbound ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE';
  return [
    lock(undefined, 'ACCESS EXCLUSIVE', 'catalog'),
    ...parents.map((parent) => lock(parent, parentMode, 'catalog')),
    ...foreignKeyTargets(create),
  ];
}

const dropOfRelation: Readonly<Record<string, true>> = {
  OBJECT_TABLE: true,
  OBJECT_VIEW: true,
  OBJECT_MATVIEW: true,
  OBJECT_SEQUENCE: true,
  OBJECT_FOREIGN_TABLE: true,
};

const cascadeNote = 'CASCADE also drops what depends on it, locking those tables ACCESS EXCLUSIVE';

function drop(stmt: DropStmt): Taken[] {
  const type = stmt.removeType ?? '';
  const note = stmt.behavior === 'DROP_CASCADE' ? cascadeNote : undefined;
  return dropped(stmt, type).map((taken) => (note ? { ...taken, note } : taken));
}

function dropped(stmt: DropStmt, type: string): Taken[] {
  if (dropOfRelation[type]) {
    return droppedRelations(stmt.objects).map((relation) =>
      lock(relation, 'ACCESS EXCLUSIVE', 'catalog'),
    );
  }
  if (type === 'OBJECT_INDEX') {
    const mode = stmt.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    return droppedRelations(stmt.objects).map((relation) => ({
      ...lock(relation, mode, 'catalog'),
      tableOfIndex: mode,
    }));
  }
  if (type === 'OBJECT_TRIGGER' || type === 'OBJECT_RULE' || type === 'OBJECT_POLICY') {
    // DROP TRIGGER name ON table: the object is [schema.]table.name.
    return listOf<{ items?: Node[] }>(stmt.objects, 'List').map((list) =>
      lock(relationOfNames(names(list.items).slice(0, -1)), 'ACCESS EXCLUSIVE', 'catalog'),
    );
  }
  return [lock(undefined, 'ACCESS SHARE', 'catalog')];
}

const renameTakesLessThanExclusive: Readonly<Record<string, LockMode>> = {
  OBJECT_INDEX: 'SHARE UPDATE EXCLUSIVE',
};

function rename(stmt: RenameStmt): Taken[] {
  if (!stmt.relation) return [lock(undefined, 'ACCESS SHARE', 'catalog')];
  const mode = renameTakesLessThanExclusive[stmt.renameType ?? ''] ?? 'ACCESS EXCLUSIVE';
  return [lock(stmt.relation, mode, 'catalog')];
}

function reindex(stmt: ReindexStmt): Taken[] {
  const concurrently = optionOn(stmt.params, 'concurrently');
  if (stmt.kind === 'REINDEX_OBJECT_INDEX') {
    const mode = concurrently ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    return [{ ...lock(stmt.relation, mode, 'scan'), tableOfIndex: concurrently ? mode : 'SHARE' }];
  }
  if (stmt.kind === 'REINDEX_OBJECT_TABLE') {
    return [lock(stmt.relation, concurrently ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', 'scan')];
  }
  return [lock(undefined, 'SHARE', 'scan')];
}

function vacuum(stmt: VacuumStmt): Taken[] {
  const full = optionOn(stmt.options, 'full');
  const relations = listOf<{ relation?: RangeVar }>(stmt.rels, 'VacuumRelation').map(
    (rel) => rel.relation,
  );
  const mode = full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE';
  return relations.map((relation) => lock(relation, mode, full ? 'rewrite' : 'scan'));
}

function comment(stmt: CommentStmt): Taken[] {
  const parts = names(nodeOf<{ items?: Node[] }>(stmt.object, 'List')?.items);
  if (stmt.objtype === 'OBJECT_TABLE')
    return [lock(relationOfNames(parts), 'SHARE UPDATE EXCLUSIVE', 'catalog')];
  if (stmt.objtype === 'OBJECT_COLUMN') {
    return [lock(relationOfNames(parts.slice(0, -1)), 'SHARE UPDATE EXCLUSIVE', 'catalog')];
  }
  return [lock(undefined, 'ACCESS SHARE', 'catalog')];
}

/** ADD CONSTRAINT (validated), SET NOT NULL and VALIDATE check every column of the domain. */
const domainChecks = new Set(['C', 'O', 'V']);

function alterDomain(stmt: { subtype?: string; def?: unknown }): Taken[] {
  const notValid = nodeOf<{ skip_validation?: boolean }>(stmt.def, 'Constraint')?.skip_validation;
  if (!domainChecks.has(stmt.subtype ?? '') || notValid)
    return [lock(undefined, 'ACCESS SHARE', 'catalog')];
  return [
    {
      ...lock(undefined, 'SHARE', 'scan'),
      note: 'SHARE on every table with a column of this domain (blocks its writes) while it checks the rows',
    },
  ];
}

function reads(query: unknown, work: Work): Taken[] {
  return queryAccess(query).map(({ relation, mode }) => lock(relation, mode, work));
}

/** INSERT, UPDATE, DELETE, MERGE and SELECT, with the tables their subqueries and CTEs use. */
const queryKinds = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt']);

/** A whole query statement (`{ InsertStmt: ... }`), so that its own target counts as written. */
function query(node: unknown): Taken[] {
  return [lock(undefined, 'ACCESS SHARE', 'rows'), ...reads(node, 'rows')];
}

type Classifier = (node: never) => Taken[];

/** Statements that take no relation lock and change only the catalog (or nothing). */
const catalogOnly = new Set([
  'CreateSchemaStmt',
  'CreateEnumStmt',
  'CompositeTypeStmt',
  'CreateDomainStmt',
  'AlterEnumStmt',
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'CreateExtensionStmt',
  'AlterExtensionStmt',
  'CreateSeqStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'AlterOwnerStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'DefineStmt',
  'AlterTypeStmt',
]);

/** Session and transaction control: no lock, no work. */
const noWork = new Set(['VariableSetStmt', 'TransactionStmt', 'VariableShowStmt']);

const classifiers: Readonly<Record<string, Classifier>> = {
  AlterTableStmt: alterTable,
  IndexStmt: (stmt: IndexStmt) => [
    lock(stmt.relation, stmt.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', 'scan'),
  ],
  CreateStmt: createTable,
  CreateTableAsStmt: (stmt: CreateTableAsStmt) => reads(stmt.query, 'scan'),
  ViewStmt: (stmt: ViewStmt) => [
    ...(stmt.replace ? [lock(stmt.view, 'ACCESS EXCLUSIVE', 'catalog')] : []),
    ...reads(stmt.query, 'catalog'),
  ],
  RefreshMatViewStmt: (stmt: RefreshMatViewStmt) => [
    // CONCURRENTLY applies the differences to the rows; without it, the view is rewritten.
    stmt.concurrent
      ? lock(stmt.relation, 'EXCLUSIVE', 'rows')
      : lock(stmt.relation, 'ACCESS EXCLUSIVE', 'rewrite'),
  ],
  DropStmt: drop,
  RenameStmt: rename,
  AlterObjectSchemaStmt: (stmt: { relation?: RangeVar }) =>
    stmt.relation
      ? [lock(stmt.relation, 'ACCESS EXCLUSIVE', 'catalog')]
      : [lock(undefined, 'ACCESS SHARE', 'catalog')],
  CreateTrigStmt: (stmt: CreateTrigStmt) => [lock(stmt.relation, 'SHARE ROW EXCLUSIVE', 'catalog')],
  CreatePolicyStmt: (stmt: { table?: RangeVar }) => [
    lock(stmt.table, 'ACCESS EXCLUSIVE', 'catalog'),
  ],
  AlterPolicyStmt: (stmt: { table?: RangeVar }) => [
    lock(stmt.table, 'ACCESS EXCLUSIVE', 'catalog'),
  ],
  RuleStmt: (stmt: { relation?: RangeVar }) => [lock(stmt.relation, 'ACCESS EXCLUSIVE', 'catalog')],
  AlterSeqStmt: (stmt: AlterSeqStmt) => [lock(stmt.sequence, 'SHARE ROW EXCLUSIVE', 'catalog')],
  CreateStatsStmt: (stmt: CreateStatsStmt) =>
    listOf<RangeVar>(stmt.relations, 'RangeVar').map((relation) =>
      lock(relation, 'SHARE UPDATE EXCLUSIVE', 'catalog'),
    ),
  CommentStmt: comment,
  AlterDomainStmt: alterDomain,
  TruncateStmt: (stmt: { relations?: Node[] }) =>
    listOf<RangeVar>(stmt.relations, 'RangeVar').map((relation) =>
      lock(relation, 'ACCESS EXCLUSIVE', 'rows'),
    ),
  LockStmt: (stmt: LockStmt) =>
    listOf<RangeVar>(stmt.relations, 'RangeVar').map((relation) =>
      lock(relation, modeOfLockStatement(stmt.mode), 'none'),
    ),
  ClusterStmt: (stmt: ClusterStmt) => [lock(stmt.relation, 'ACCESS EXCLUSIVE', 'rewrite')],
  ReindexStmt: reindex,
  VacuumStmt: vacuum,
};

/**
 * The lock report of a parsed statement (`{ StmtKind: {...} }`), or undefined when the linter
 * does not know what the statement locks (DO blocks, CALL, commands it has no entry for).
 */
export function statementLock(node: unknown): LockReport | undefined {
  const kind = nodeKind(node);
  if (noWork.has(kind)) return report([]);
  if (catalogOnly.has(kind)) return report([], 'catalog');
  if (queryKinds.has(kind)) return report(query(node));
  const classify = classifiers[kind];
  if (!classify) return undefined;
  return report(classify(nodeOf<never>(node, kind) as never));
}
