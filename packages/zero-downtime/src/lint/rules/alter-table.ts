/** Access to ALTER TABLE statements on tables that existed before this migration. */
import type { AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, RangeVar } from 'libpg-query';
import {
  alterCommands,
  columnDefOf,
  constraintOf,
  constraintsOf,
  nodeOf,
  quoteName,
  tableText,
  typeText,
} from '../ast';
import { asTableConstraint } from './constraint-sql';
import type { AnalyzedStatement, Migration } from '../migration';

export interface ExistingAlter {
  relation: RangeVar | undefined;
  commands: AlterTableCmd[];
}

export interface AddedColumn {
  relation: RangeVar | undefined;
  column: ColumnDef;
  name: string;
  constraints: Constraint[];
}

export interface AddedConstraint {
  relation: RangeVar | undefined;
  constraint: Constraint;
}

export function alterOfExistingTable(
  statement: AnalyzedStatement,
  migration: Migration,
): ExistingAlter | undefined {
  const alter = nodeOf<AlterTableStmt>(statement.node, 'AlterTableStmt');
  if (!alter || alter.objtype !== 'OBJECT_TABLE') return undefined;
  if (migration.isNewTable(alter.relation, statement.index)) return undefined;
  return { relation: alter.relation, commands: alterCommands(alter.cmds) };
}

export function commandsOfType(
  statement: AnalyzedStatement,
  migration: Migration,
  subtype: string,
): { relation: RangeVar | undefined; command: AlterTableCmd }[] {
  const alter = alterOfExistingTable(statement, migration);
  if (!alter) return [];
  return alter.commands
    .filter((command) => command.subtype === subtype)
    .map((command) => ({ relation: alter.relation, command }));
}

export function columnsAddedToExistingTable(
  statement: AnalyzedStatement,
  migration: Migration,
): AddedColumn[] {
  return commandsOfType(statement, migration, 'AT_AddColumn').flatMap(({ relation, command }) => {
    const column = columnDefOf(command);
    if (!column?.colname) return [];
    return [{ relation, column, name: column.colname, constraints: constraintsOf(column) }];
  });
}

export function constraintsAddedToExistingTable(
  statement: AnalyzedStatement,
  migration: Migration,
): AddedConstraint[] {
  return commandsOfType(statement, migration, 'AT_AddConstraint').flatMap(
    ({ relation, command }) => {
      const constraint = constraintOf(command);
      return constraint ? [{ relation, constraint }] : [];
    },
  );
}

export function hasConstraint(column: AddedColumn, contype: string): boolean {
  return column.constraints.some((constraint) => constraint.contype === contype);
}

/** A constraint added to an existing table, at table level or inline in ADD COLUMN. */
export interface AddedConstraint {
  relation: RangeVar | undefined;
  constraint: Constraint;
  /** Set when the constraint was written inline in ADD COLUMN: that column, added alone. */
  addColumnSql?: string;
}

/** Constraints of `contype` written inline in ADD COLUMN on an existing table, as table constraints. */
export function inlineConstraintsOfAddedColumns(
  statement: AnalyzedStatement,
  migration: Migration,
  contype: string,
): AddedConstraint[] {
  return columnsAddedToExistingTable(statement, migration).flatMap((added) =>
    added.constraints
      .filter((constraint) => constraint.contype === contype)
      .map((constraint) => ({
        relation: added.relation,
        constraint: asTableConstraint(constraint, added.name),
        addColumnSql:
          `ALTER TABLE ${tableText(added.relation)} ADD COLUMN ${quoteName(added.name)} ` +
          `${typeText(added.column.typeName)};`,
      })),
  );
}
