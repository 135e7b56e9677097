import { NULL_MARK } from './statements';

/**
 * Row-level differences of one chunk, and their JSON lines. Values are kept as the canonical
 * text the database produced (JSON text, or NULL) and written into the report verbatim, so a
 * numeric's scale or a bigint's last digits survive: parsing them in JavaScript would not.
 */

export interface ChunkRow {
  /** The key as a JSON object text, e.g. `{"id": 42}`. */
  key: string;
  values: string[];
}

export type Difference =
  | { kind: 'missing'; key: string; source: string[] }
  | { kind: 'extra'; key: string; target: string[] }
  | { kind: 'changed'; key: string; columns: ChangedColumn[] };

export interface ChangedColumn {
  column: string;
  source: string;
  target: string;
}

export function diffRows(
  sourceRows: ChunkRow[],
  targetRows: ChunkRow[],
  columns: string[],
): Difference[] {
  const targets = new Map(targetRows.map((row) => [row.key, row.values]));
  const differences: Difference[] = [];
  for (const row of sourceRows) {
    const other = targets.get(row.key);
    targets.delete(row.key);
    if (!other) {
      differences.push({ kind: 'missing', key: row.key, source: row.values });
      continue;
    }
    const changed = columns
      .map((column, index) => ({ column, source: row.values[index], target: other[index] }))
      .filter((pair) => pair.source !== pair.target);
    if (changed.length > 0) differences.push({ kind: 'changed', key: row.key, columns: changed });
  }
  for (const [key, values] of targets) differences.push({ kind: 'extra', key, target: values });
  return differences;
}

/** Differences present in both lists (same key and kind), with the values of `latest`. */
export function persistent(previous: Difference[], latest: Difference[]): Difference[] {
  const seen = new Set(previous.map((difference) => `${difference.kind} ${difference.key}`));
  return latest.filter((difference) => seen.has(`${difference.kind} ${difference.key}`));
}

function jsonValue(canonical: string): string {
  return canonical === NULL_MARK ? 'null' : canonical;
}

function jsonRow(columns: string[], values: string[]): string {
  const fields = columns.map(
    (column, index) => `${JSON.stringify(column)}:${jsonValue(values[index])}`,
  );
  return `{${fields.join(',')}}`;
}

/** One line of the report: `{"kind":…,"key":{…},…}`. */
export function differenceLine(difference: Difference, columns: string[]): string {
  const head = `{"kind":"${difference.kind}","key":${difference.key}`;
  switch (difference.kind) {
    case 'missing':
      return `${head},"source":${jsonRow(columns, difference.source)}}`;
    case 'extra':
      return `${head},"target":${jsonRow(columns, difference.target)}}`;
    case 'changed': {
      const changed = difference.columns.map(
        (pair) =>
          `{"column":${JSON.stringify(pair.column)},"source":${jsonValue(pair.source)},` +
          `"target":${jsonValue(pair.target)}}`,
      );
      return `${head},"columns":[${changed.join(',')}]}`;
    }
  }
}
