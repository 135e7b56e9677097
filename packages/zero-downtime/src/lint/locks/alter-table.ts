/** The lock and the work of each ALTER TABLE subcommand (PostgreSQL 15, AlterTableGetLockLevel). */
import type { AlterTableCmd, Constraint, PartitionCmd, RangeVar } from 'libpg-query';
import { columnDefOf, constraintOf, constraintsOf, nodeOf, typeBaseName } from '../ast';
import type { LockMode, LockReport } from '../types';
import { volatilityOf } from '../volatility';

export type Work = LockReport['work'];

/** One relation's lock from one subcommand. */
export interface CommandLock {
  relation: RangeVar | undefined;
  mode: LockMode;
  work: Work;
  /** A condition the statement alone cannot settle, added to the summary. */
  note?: string;
}

/** Subcommands that take less than ACCESS EXCLUSIVE; every other one takes ACCESS EXCLUSIVE. */
const weakerModes: Readonly<Record<string, LockMode>> = {
  AT_SetStatistics: 'SHARE UPDATE EXCLUSIVE',
  AT_SetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_SetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ClusterOn: 'SHARE UPDATE EXCLUSIVE',
  AT_DropCluster: 'SHARE UPDATE EXCLUSIVE',
  AT_ValidateConstraint: 'SHARE UPDATE EXCLUSIVE',
  AT_EnableTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableAlwaysTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableReplicaTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigUser: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrig: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigUser: 'SHARE ROW EXCLUSIVE',
};

/** Subcommands that rewrite the table whatever their arguments. */
const rewriting = new Set([
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetTableSpace',
  'AT_SetAccessMethod',
]);
/** Subcommands that read every row to check it. */
const scanning = new Set(['AT_SetNotNull', 'AT_ValidateConstraint']);

/**
 * Targets that are binary-coercible from a narrower type of their family (varchar(n) to
 * varchar(m > n) or text, numeric(p) to numeric(q > p)): the alter-column-type rule warns
 * about the condition; from any other type the change rewrites the table.
 */
const coercibleTargets = new Set(['text', 'varchar', 'numeric']);
const serialTypes = new Set([
  'serial',
  'serial2',
  'serial4',
  'serial8',
  'smallserial',
  'bigserial',
]);

function constraintWork(constraint: Constraint): Work {
  if (constraint.skip_validation || constraint.indexname) return 'catalog';
  const contype = constraint.contype ?? '';
  if (['CONSTR_DEFAULT', 'CONSTR_NULL', 'CONSTR_ATTR_DEFERRABLE'].includes(contype)) {
    return 'catalog';
  }
  return 'scan';
}

/** Foreign keys lock the table they reference in SHARE ROW EXCLUSIVE mode as well. */
function referenced(constraints: Constraint[]): CommandLock[] {
  return constraints
    .filter((constraint) => constraint.contype === 'CONSTR_FOREIGN' && constraint.pktable)
    .map((constraint) => ({
      relation: constraint.pktable,
      mode: 'SHARE ROW EXCLUSIVE' as const,
      work: 'catalog' as const,
    }));
}

function addColumnWork(command: AlterTableCmd): Work {
  const constraints = constraintsOf(columnDefOf(command));
  const serial = serialTypes.has(typeBaseName(columnDefOf(command)?.typeName));
  const rewrites = constraints.some(
    (constraint) =>
      constraint.contype === 'CONSTR_IDENTITY' ||
      constraint.contype === 'CONSTR_GENERATED' ||
      (constraint.contype === 'CONSTR_DEFAULT' && volatilityOf(constraint.raw_expr) === 'volatile'),
  );
  if (rewrites || serial) return 'rewrite';
  const hasDefault = constraints.some((constraint) => constraint.contype === 'CONSTR_DEFAULT');
  const checks = constraints.filter(
    (constraint) => constraint.contype !== 'CONSTR_NOTNULL' || !hasDefault,
  );
  return checks.some((constraint) => constraintWork(constraint) === 'scan') ? 'scan' : 'catalog';
}

function typeChangeNote(command: AlterTableCmd): string | undefined {
  const column = columnDefOf(command);
  const coercible = coercibleTargets.has(typeBaseName(column?.typeName));
  return coercible && !column?.raw_default
    ? 'catalog only if the current type is binary-coercible to the new one'
    : undefined;
}

function partitionLocks(command: AlterTableCmd, table: RangeVar | undefined): CommandLock[] {
  const partition = nodeOf<PartitionCmd>(command.def, 'PartitionCmd');
  if (command.subtype === 'AT_AttachPartition') {
    return [
      { relation: table, mode: 'SHARE UPDATE EXCLUSIVE', work: 'catalog' },
      { relation: partition?.name, mode: 'ACCESS EXCLUSIVE', work: 'scan' },
    ];
  }
  const mode = partition?.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
  return [
    { relation: table, mode, work: 'catalog' },
    { relation: partition?.name, mode, work: 'catalog' },
  ];
}

/** The locks one subcommand of `ALTER TABLE table` takes, and what it does to the rows. */
export function commandLocks(command: AlterTableCmd, table: RangeVar | undefined): CommandLock[] {
  const subtype = command.subtype ?? '';
  if (subtype === 'AT_AttachPartition' || subtype === 'AT_DetachPartition') {
    return partitionLocks(command, table);
  }
  const constraint = constraintOf(command);
  if (subtype === 'AT_AddConstraint' && constraint) {
    const foreign = constraint.contype === 'CONSTR_FOREIGN';
    const mode = foreign ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    return [
      { relation: table, mode, work: constraintWork(constraint) },
      ...referenced([constraint]),
    ];
  }
  if (subtype === 'AT_AddColumn') {
    return [
      { relation: table, mode: 'ACCESS EXCLUSIVE', work: addColumnWork(command) },
      ...referenced(constraintsOf(columnDefOf(command))),
    ];
  }
  const mode = weakerModes[subtype] ?? 'ACCESS EXCLUSIVE';
  if (subtype === 'AT_AlterColumnType') {
    return [{ relation: table, mode, work: 'rewrite', note: typeChangeNote(command) }];
  }
  let work: Work = 'catalog';
  if (rewriting.has(subtype)) work = 'rewrite';
  else if (scanning.has(subtype)) work = 'scan';
  return [{ relation: table, mode, work }];
}
