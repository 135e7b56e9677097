/** Rewrites an expression over a table's columns into PL/pgSQL over the trigger's NEW row. */
import { nodeOf, sqlText } from '../ast';

function prefixColumns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prefixColumns);
  if (!value || typeof value !== 'object') return value;
  const ref = nodeOf<{ fields?: unknown[] }>(value, 'ColumnRef');
  if (ref?.fields?.length === 1) {
    return { ColumnRef: { ...ref, fields: [{ String: { sval: 'new' } }, ...ref.fields] } };
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [key, prefixColumns(child)]),
  );
}

export function overNewRow(expression: unknown): string {
  return sqlText(prefixColumns(expression));
}
