/**
 * What a pending statement needs of the rows already there, read from its AST: a unique index
 * or constraint needs no duplicate keys, SET NOT NULL no NULLs, a foreign key no orphans, a
 * CHECK no violating rows, a type change values that cast. Constraints validated later
 * (VALIDATE CONSTRAINT) are looked up in the catalog, or in the pending statements before.
 */
import type {
  AlterTableCmd,
  AlterTableStmt,
  Constraint,
  IndexElem,
  IndexStmt,
  RangeVar,
} from 'libpg-query';
import {
  alterCommands,
  columnDefOf,
  constraintOf,
  listOf,
  names,
  nodeOf,
  sqlText,
  tableText,
  typeText,
} from '../ast';
import { constraintName } from '../rules/constraint-sql';

/** One check of the rows a statement meets, with the table as SQL text. */
export type DataCheck =
  | {
      kind: 'unique';
      table: string;
      columns: string[];
      where?: string;
      nullsDistinct: boolean;
      primary: boolean;
    }
  | { kind: 'not-null'; table: string; columns: string[] }
  | { kind: 'check'; table: string; expression: string; validatesNow: boolean }
  | {
      kind: 'foreign-key';
      table: string;
      columns: string[];
      parent: string;
      parentColumns: string[];
      validatesNow: boolean;
    }
  | { kind: 'cast'; table: string; column: string; type: string; using?: string }
  /** VALIDATE CONSTRAINT of a constraint the pending statements do not define. */
  | { kind: 'validate'; table: string; constraint: string };

/** Constraints added by earlier pending statements, by table and name (for VALIDATE). */
export type PendingConstraints = Map<string, DataCheck>;

function constraintKey(table: string, name: string): string {
  return `${table}\u0000${name}`;
}

function indexChecks(index: IndexStmt): DataCheck[] {
  if (!index.unique) return [];
  const elements = listOf<IndexElem>(index.indexParams, 'IndexElem');
  // Expression indexes are not checked: their keys are not columns.
  if (elements.some((element) => !element.name)) return [];
  return [
    {
      kind: 'unique',
      table: tableText(index.relation),
      columns: elements.map((element) => element.name as string),
      where: index.whereClause ? sqlText(index.whereClause) : undefined,
      nullsDistinct: !index.nulls_not_distinct,
      primary: index.primary === true,
    },
  ];
}

function constraintChecks(relation: RangeVar | undefined, constraint: Constraint): DataCheck[] {
  const table = tableText(relation);
  const validatesNow = !constraint.skip_validation;
  switch (constraint.contype) {
    case 'CONSTR_UNIQUE':
    case 'CONSTR_PRIMARY': {
      if (constraint.indexname) return [];
      const columns = names(constraint.keys);
      const primary = constraint.contype === 'CONSTR_PRIMARY';
      const unique: DataCheck = {
        kind: 'unique',
        table,
        columns,
        nullsDistinct: !constraint.nulls_not_distinct,
        primary,
      };
      return primary ? [{ kind: 'not-null', table, columns }, unique] : [unique];
    }
    case 'CONSTR_CHECK':
      return [{ kind: 'check', table, expression: sqlText(constraint.raw_expr), validatesNow }];
    case 'CONSTR_FOREIGN':
      return [
        {
          kind: 'foreign-key',
          table,
          columns: names(constraint.fk_attrs),
          parent: tableText(constraint.pktable),
          parentColumns: names(constraint.pk_attrs),
          validatesNow,
        },
      ];
    default:
      return [];
  }
}

function commandChecks(
  relation: RangeVar | undefined,
  command: AlterTableCmd,
  pending: PendingConstraints,
): DataCheck[] {
  const table = tableText(relation);
  switch (command.subtype) {
    case 'AT_AddConstraint': {
      const constraint = constraintOf(command);
      if (!constraint) return [];
      const checks = constraintChecks(relation, constraint);
      const name = constraintName(relation, constraint);
      for (const check of checks) {
        if (check.kind === 'check' || check.kind === 'foreign-key') {
          pending.set(constraintKey(table, name), { ...check, validatesNow: true });
        }
      }
      return checks;
    }
    case 'AT_SetNotNull':
      return command.name ? [{ kind: 'not-null', table, columns: [command.name] }] : [];
    case 'AT_ValidateConstraint': {
      const name = command.name ?? '';
      return [
        pending.get(constraintKey(table, name)) ?? { kind: 'validate', table, constraint: name },
      ];
    }
    case 'AT_AlterColumnType': {
      const column = columnDefOf(command);
      if (!command.name || !column) return [];
      const using = column.raw_default ? sqlText(column.raw_default) : undefined;
      return [
        { kind: 'cast', table, column: command.name, type: typeText(column.typeName), using },
      ];
    }
    default:
      return [];
  }
}

/** The data checks a statement needs; `pending` collects the constraints it adds. */
export function dataChecksOf(node: unknown, pending: PendingConstraints): DataCheck[] {
  const index = nodeOf<IndexStmt>(node, 'IndexStmt');
  if (index) return indexChecks(index);
  const alter = nodeOf<AlterTableStmt>(node, 'AlterTableStmt');
  if (!alter || alter.objtype !== 'OBJECT_TABLE') return [];
  return alterCommands(alter.cmds).flatMap((command) =>
    commandChecks(alter.relation, command, pending),
  );
}
