/**
 * Quoting of identifiers and literals for SQL the toolkit builds itself. Names typed by a user
 * are never pasted into SQL: they are resolved through the catalog first (`to_regclass`), and
 * the catalog's own schema and relation names are quoted here.
 */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."name"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `"a", "b"`, optionally each prefixed with a quoted relation: `t."a", t."b"`. */
export function columnList(columns: readonly string[], relation?: string): string {
  return columns.map((column) => (relation ? `${relation}.` : '') + quoteIdent(column)).join(', ');
}
