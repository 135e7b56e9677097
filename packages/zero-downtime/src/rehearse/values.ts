import { randomUUID } from 'node:crypto';
import type { ColumnShape } from './shapes';

/**
 * A value for one column, good for the model and for the routes a generator writes: non-empty
 * text, email addresses where an email is expected, ISO dates, decimals as strings. `n` makes
 * unique columns unique: callers give every row and request its own `n`.
 * `undefined` means "no generator for this type" (the caller leaves the column out).
 */
export function valueFor(column: ColumnShape, n: number, tag: string): unknown {
  if (column.values?.length) return column.values[n % column.values.length];
  if (column.email) return `${tag}-${n}@example.com`;
  const generate = GENERATORS[column.type];
  return generate ? generate(column, n, tag) : undefined;
}

type Generator = (column: ColumnShape, n: number, tag: string) => unknown;

const DAY_MS = 86_400_000;
const EPOCH = Date.UTC(2026, 0, 1);

const text: Generator = (column, n, tag) => fit(`${column.attribute} ${tag} ${n}`, column.length);
const integer =
  (spread: number): Generator =>
  (column, n) =>
    column.unique ? n + 1 : ((n * 7919) % spread) + 1;

const GENERATORS: Record<string, Generator> = {
  STRING: text,
  TEXT: text,
  CITEXT: text,
  CHAR: text,
  TINYINT: integer(100),
  SMALLINT: integer(10_000),
  MEDIUMINT: integer(100_000),
  INTEGER: integer(1_000_000),
  BIGINT: integer(1_000_000),
  FLOAT: (_column, n) => (n % 1000) + 0.5,
  DOUBLE: (_column, n) => (n % 1000) + 0.25,
  'DOUBLE PRECISION': (_column, n) => (n % 1000) + 0.25,
  REAL: (_column, n) => (n % 1000) + 0.75,
  DECIMAL: (_column, n) => `${n % 100_000}.${String(n % 100).padStart(2, '0')}`,
  BOOLEAN: (_column, n) => n % 2 === 0,
  DATE: (_column, n) => new Date(EPOCH + n * 60_000).toISOString(),
  DATEONLY: (column, n) =>
    new Date(EPOCH + (column.unique ? n : n % 3650) * DAY_MS).toISOString().slice(0, 10),
  TIME: (_column, n) => new Date(EPOCH + (n % 86_400) * 1000).toISOString().slice(11, 19),
  UUID: () => randomUUID(),
  JSON: (_column, n, tag) => ({ tag, n }),
  JSONB: (_column, n, tag) => ({ tag, n }),
  ARRAY: () => [],
};

/** Keeps the end of the text, where `n` is, when the column is shorter. */
function fit(value: string, length: number | undefined): string {
  return length && value.length > length ? value.slice(-length) : value;
}
