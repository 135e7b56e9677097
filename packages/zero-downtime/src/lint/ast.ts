/**
 * Typed access to libpg-query parse trees, and rendering of parts of them back to SQL for
 * recipes (pgsql-deparser, which understands every node the parser produces).
 */
import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar, TypeName } from 'libpg-query';
import { deparseSync, QuoteUtils } from 'pgsql-deparser';

/** The fields of a node of the given type, e.g. `nodeOf(node, 'IndexStmt')`. */
export function nodeOf<T>(node: unknown, kind: string): T | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  return (node as Record<string, T | undefined>)[kind];
}

export function nodeKind(node: unknown): string {
  return node !== null && typeof node === 'object' ? (Object.keys(node)[0] ?? '') : '';
}

export function listOf<T>(nodes: Node[] | undefined, kind: string): T[] {
  return (nodes ?? []).map((node) => nodeOf<T>(node, kind)).filter((n): n is T => n !== undefined);
}

/** The `sval`s of a list of String nodes, e.g. a qualified name or a column list. */
export function names(nodes: Node[] | undefined): string[] {
  return listOf<{ sval?: string }>(nodes, 'String').map((s) => s.sval ?? '');
}

export function quoteName(name: string): string {
  return QuoteUtils.quoteIdentifier(name);
}

export function tableText(relation: RangeVar | undefined): string {
  if (!relation?.relname) return '<table>';
  return QuoteUtils.quoteQualifiedIdentifier(relation.schemaname, relation.relname);
}

/** Unquoted table name, used to build index and constraint names like PostgreSQL does. */
export function bareTable(relation: RangeVar | undefined): string {
  return relation?.relname ?? 'table';
}

export function sqlText(node: unknown, pretty = false): string {
  try {
    return deparseSync(node as Node, { pretty });
  } catch {
    return '<expression>';
  }
}

export function typeText(typeName: TypeName | undefined): string {
  if (!typeName) return '<type>';
  const text = sqlText({ TypeName: typeName });
  // Built-in types the deparser has no short spelling for come out as pg_catalog.json.
  return text.startsWith('pg_catalog.') ? text.slice('pg_catalog.'.length) : text;
}

/** The last part of a type name in lower case, e.g. 'int4', 'varchar', 'serial'. */
export function typeBaseName(typeName: TypeName | undefined): string {
  return (names(typeName?.names).at(-1) ?? '').toLowerCase();
}

export function typeModifiers(typeName: TypeName | undefined): number[] {
  return listOf<{ ival?: { ival?: number } }>(typeName?.typmods, 'A_Const').map(
    (constant) => constant.ival?.ival ?? 0,
  );
}

export function alterCommands(nodes: Node[] | undefined): AlterTableCmd[] {
  return listOf<AlterTableCmd>(nodes, 'AlterTableCmd');
}

export function constraintsOf(column: ColumnDef | undefined): Constraint[] {
  return listOf<Constraint>(column?.constraints, 'Constraint');
}

export function columnDefOf(command: AlterTableCmd): ColumnDef | undefined {
  return nodeOf<ColumnDef>(command.def, 'ColumnDef');
}

export function constraintOf(command: AlterTableCmd): Constraint | undefined {
  return nodeOf<Constraint>(command.def, 'Constraint');
}

/** PostgreSQL truncates identifiers to 63 bytes; recipes should print the name it will use. */
export function identifier(parts: string[], suffix: string): string {
  const base = parts.join('_');
  return `${base.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

const offValues = new Set(['false', 'off', 'no', '0']);

/**
 * Whether an option list switches `name` on: `(FULL)`, `(FULL true)`, `(FULL on)` do,
 * `(FULL false)`, `(FULL off)`, `(FULL 0)` switch it off.
 */
export function optionOn(options: Node[] | undefined, name: string): boolean {
  return listOf<{ defname?: string; arg?: unknown }>(options, 'DefElem').some((option) => {
    if (option.defname !== name) return false;
    if (option.arg === undefined) return true;
    const text = nodeOf<{ sval?: string }>(option.arg, 'String')?.sval;
    const integer = nodeOf<{ ival?: number }>(option.arg, 'Integer');
    if (integer) return (integer.ival ?? 0) !== 0;
    return !offValues.has((text ?? '').toLowerCase());
  });
}
