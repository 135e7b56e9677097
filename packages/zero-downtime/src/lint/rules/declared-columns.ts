/** Every column a statement declares a type for: CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE. */
import type { ColumnDef, Constraint, CreateStmt, RangeVar, TypeName } from 'libpg-query';
import { alterCommands, columnDefOf, constraintsOf, listOf, names, nodeOf, sqlText } from '../ast';

export interface DeclaredColumn {
  relation: RangeVar | undefined;
  name: string;
  typeName: TypeName | undefined;
  how: 'create-table' | 'add-column' | 'alter-type';
  primaryKey: boolean;
  /** The ColumnDef node inside the statement's tree (recipes replace it). */
  definition: ColumnDef;
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
    definition: column,
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
          definition: column,
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
        definition: column,
      },
    ];
  });
}

export function declaredColumns(node: unknown): DeclaredColumn[] {
  const create = nodeOf<CreateStmt>(node, 'CreateStmt');
  return create ? fromCreateTable(create) : fromAlterTable(node);
}

/** A copy of a parse tree with one node (found by identity) replaced. */
function replaced(tree: unknown, target: unknown, replacement: unknown): unknown {
  if (tree === target) return replacement;
  if (Array.isArray(tree)) return tree.map((child) => replaced(child, target, replacement));
  if (!tree || typeof tree !== 'object') return tree;
  return Object.fromEntries(
    Object.entries(tree).map(([key, child]) => [key, replaced(child, target, replacement)]),
  );
}

/** The user's statement with this column declared differently, ready to paste. */
export function statementWith(
  node: unknown,
  column: DeclaredColumn,
  definition: ColumnDef,
): string {
  const pretty = column.how === 'create-table';
  return `${sqlText(replaced(node, column.definition, definition), pretty)};`;
}
