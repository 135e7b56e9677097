/** Names and ALTER TABLE text for constraints, as PostgreSQL would name them. */
import type { Constraint, RangeVar } from 'libpg-query';
import { bareTable, identifier, names, nodeOf, quoteName, sqlText, tableText } from '../ast';

const suffixes: Record<string, string> = {
  CONSTR_FOREIGN: 'fkey',
  CONSTR_CHECK: 'check',
  CONSTR_UNIQUE: 'key',
  CONSTR_PRIMARY: 'pkey',
};

function firstColumnIn(expression: unknown): string | undefined {
  if (Array.isArray(expression)) {
    return expression.map(firstColumnIn).find((column) => column !== undefined);
  }
  if (!expression || typeof expression !== 'object') return undefined;
  const ref = nodeOf<{ fields?: never[] }>(expression, 'ColumnRef');
  if (ref) return names(ref.fields).at(-1);
  return firstColumnIn(Object.values(expression));
}

export function constraintColumns(constraint: Constraint): string[] {
  if (constraint.contype === 'CONSTR_FOREIGN') return names(constraint.fk_attrs);
  if (constraint.contype === 'CONSTR_CHECK') {
    const column = firstColumnIn(constraint.raw_expr);
    return column ? [column] : [];
  }
  return names(constraint.keys);
}

export function constraintName(relation: RangeVar | undefined, constraint: Constraint): string {
  if (constraint.conname) return constraint.conname;
  const suffix = suffixes[constraint.contype ?? ''] ?? 'constraint';
  const columns = constraint.contype === 'CONSTR_PRIMARY' ? [] : constraintColumns(constraint);
  return identifier([bareTable(relation), ...columns], suffix);
}

/** A column constraint written inline (ADD COLUMN c int REFERENCES t) as a table constraint. */
export function asTableConstraint(constraint: Constraint, column: string): Constraint {
  const columnList = [{ String: { sval: column } }];
  if (constraint.contype === 'CONSTR_FOREIGN') return { ...constraint, fk_attrs: columnList };
  if (constraint.contype === 'CONSTR_CHECK') return constraint;
  return { ...constraint, keys: columnList };
}

export function addConstraintSql(relation: RangeVar | undefined, constraint: Constraint): string {
  const named = { ...constraint, conname: constraintName(relation, constraint) };
  const alter = {
    AlterTableStmt: {
      relation,
      objtype: 'OBJECT_TABLE',
      cmds: [{ AlterTableCmd: { subtype: 'AT_AddConstraint', def: { Constraint: named } } }],
    },
  };
  return `${sqlText(alter)};`;
}

export function validateConstraintSql(relation: RangeVar | undefined, name: string): string {
  return `ALTER TABLE ${tableText(relation)} VALIDATE CONSTRAINT ${quoteName(name)};`;
}
