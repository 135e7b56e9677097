import { PatternError } from './errors';
import { columnList, quoteIdent, quoteLiteral } from '../sql/identifiers';

export { columnList, quoteIdent, quoteLiteral as literal };

/** A table (or index, view) name as the user wrote it: `users` or `billing.invoices`. */
export interface QualifiedName {
  schema?: string;
  name: string;
}

const MAX_IDENTIFIER_LENGTH = 63;

export function parseQualified(text: string): QualifiedName {
  const parts = text.split('.');
  if (parts.length > 2 || parts.some((part) => part.length === 0)) {
    throw new PatternError(
      'bad-identifier',
      `"${text}" is not a table name: use table or schema.table.`,
    );
  }
  return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { name: parts[0] };
}

/** `"schema"."name"`, or `"name"` resolved through the search_path. */
export function quoteQualified(text: string): string {
  const { schema, name } = parseQualified(text);
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/** The same schema as `table`, with another object name (indexes live beside their table). */
export function siblingName(table: string, name: string): string {
  const { schema } = parseQualified(table);
  return schema ? `${schema}.${name}` : name;
}

export function bareName(text: string): string {
  return parseQualified(text).name;
}

/**
 * A generated object name within PostgreSQL's 63-byte limit; a long one is cut and given a
 * short hash so two long names stay distinct.
 */
export function objectName(...parts: string[]): string {
  const full = parts.join('_');
  if (Buffer.byteLength(full) <= MAX_IDENTIFIER_LENGTH) return full;
  const hash = simpleHash(full).toString(36).slice(0, 6);
  return `${full.slice(0, MAX_IDENTIFIER_LENGTH - hash.length - 1)}_${hash}`;
}

export function simpleHash(text: string): number {
  let hash = 5381;
  for (const char of text) hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
  return hash;
}
