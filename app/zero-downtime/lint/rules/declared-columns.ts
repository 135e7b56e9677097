/** Every column a statement declares a type for: CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE. */
import type { ColumnDef, Constraint, CreateStmt, RangeVar, TypeName } from 'libpg-query';
import {
  alterCommands,
  columnDefOf,
  constraintsOf,
  listOf,
  names,
  nodeOf,
  quoteName,
  tableText,
} from '../ast';

export interface DeclaredColumn {
  relation: RangeVar | undefined;
  name: string;
  typeName: TypeName | undefined;
  how: 'create-table' | 'add-column' | 'alter-type';
  primaryKey: boolean;
}

function primaryKeyColumns(create: CreateStmt): Set<string> {
  const tableLevel = listOf<Constraint>(create.tableElts, 'Constraint')
    .filter((constraint) => constraint.contype === 'CONSTR_PRIMARY')
    .flatMap((constraint) => names(constraint.keys));
  return new Set(tableLevel);
}

function isInlinePrimaryKey(column: ColumnDef): boolean {
  return constraintsOf(column).some((constraint) => constraint.contype === 'CONSTR_PRIMARY');
}

function fromCreateTable(create: CreateStmt): DeclaredColumn[] {
  const keys = primaryKeyColumns(create);
  return listOf<ColumnDef>(create.tableElts, 'ColumnDef').map((column) => ({
    relation: create.relation,
    name: column.colname ?? '<column>',
    typeName: column.typeName,
    how: 'create-table',
    primaryKey: isInlinePrimaryKey(column) || keys.has(column.colname ?? ''),
  }));
}

function fromAlterTable(node: unknown): DeclaredColumn[] {
  const alter = nodeOf<{ relation?: RangeVar; cmds?: never[] }>(node, 'AlterTableStmt');
  return alterCommands(alter?.cmds).flatMap((command): DeclaredColumn[] => {
    const column = columnDefOf(command);
    if (!column) return [];
    if (command.subtype === 'AT_AddColumn') {
      return [
        {
          relation: alter?.relation,
          name: column.colname ?? '<column>',
          typeName: column.typeName,
          how: 'add-column' as const,
          primaryKey: isInlinePrimaryKey(column),
        },
      ];
    }
    if (command.subtype !== 'AT_AlterColumnType') return [];
    const name = command.name ?? '<column>';
    return [
      {
        relation: alter?.relation,
        name,
        typeName: column.typeName,
        how: 'alter-type' as const,
        primaryKey: false,
      },
    ];
  });
}

export function declaredColumns(node: unknown): DeclaredColumn[] {
  const create = nodeOf<CreateStmt>(node, 'CreateStmt');
  return create ? fromCreateTable(create) : fromAlterTable(node);
}

/** Where to write the better type, phrased for how the column was declared. */
export function withType(column: DeclaredColumn, betterType: string): string {
  const table = tableText(column.relation);
  const col = quoteName(column.name);
  if (column.how === 'create-table') return `-- in CREATE TABLE ${table}:\n  ${col} ${betterType}`;
  if (column.how === 'add-column') return `ALTER TABLE ${table} ADD COLUMN ${col} ${betterType};`;
  return `-- declare the new column of the type change as:\n  ${col} ${betterType}`;
}
