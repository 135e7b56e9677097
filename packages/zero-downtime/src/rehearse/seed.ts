import { Client } from 'pg';
import { columnList, quoteIdent } from '../sql/identifiers';
import { inDependencyOrder, writableColumns, type ColumnShape, type ModelShape } from './shapes';
import { valueFor } from './values';

/**
 * Fills every model's table with N rows generated from the model's attributes, so the deploy
 * is rehearsed on tables that are not empty (a backfill, a VALIDATE or an index build then
 * takes time, as it will in production). Rows go in through multi-row INSERTs, not the app.
 */
export interface SeededTable {
  table: string;
  rows: number;
  /** Primary keys of the seeded rows, for the load's reads and updates. */
  ids: string[];
  /** Why the table was left empty. */
  skipped?: string;
}

/** Each INSERT carries at most this many parameters (PostgreSQL allows 65,535). */
const MAX_PARAMETERS = 30_000;
const MAX_ROWS_PER_INSERT = 1_000;

export async function seedTables(
  databaseUrl: string,
  shapes: ModelShape[],
  rows: number,
): Promise<SeededTable[]> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'zdm-rehearsal' });
  await client.connect();
  try {
    const seeded: SeededTable[] = [];
    for (const shape of inDependencyOrder(shapes)) {
      seeded.push(await seedTable(client, shape, rows, seeded));
    }
    return seeded;
  } finally {
    await client.end();
  }
}

interface ColumnPlan {
  column: ColumnShape;
  value: (n: number) => unknown;
}

async function seedTable(
  client: Client,
  shape: ModelShape,
  rows: number,
  seeded: SeededTable[],
): Promise<SeededTable> {
  const planned = planColumns(shape, seeded);
  if (typeof planned === 'string')
    return { table: shape.table, rows: 0, ids: [], skipped: planned };
  const perInsert = Math.max(
    1,
    Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / Math.max(1, planned.length))),
  );
  const ids: string[] = [];
  for (let first = 0; first < rows; first += perInsert) {
    const count = Math.min(perInsert, rows - first);
    ids.push(...(await insertRows(client, shape, planned, first, count)));
  }
  // Production tables have statistics; without them autovacuum's ANALYZE would run mid-load.
  await client.query(`ANALYZE ${quoteIdent(shape.table)}`);
  return { table: shape.table, rows, ids };
}

/** How each column gets its value, or why the table cannot be seeded. */
function planColumns(shape: ModelShape, seeded: SeededTable[]): ColumnPlan[] | string {
  const plans: ColumnPlan[] = [];
  const now = new Date();
  for (const column of shape.columns) {
    if (column.timestamp) {
      if (!/deleted/i.test(column.attribute)) plans.push({ column, value: () => now });
      continue;
    }
    if (!writableColumns(shape).includes(column)) continue;
    if (column.references) {
      const ids = seeded.find((table) => table.table === column.references?.table)?.ids ?? [];
      if (ids.length === 0) {
        if (column.allowNull) continue;
        return `${column.column} references ${column.references.table}, which has no seeded rows`;
      }
      plans.push({ column, value: (n) => ids[(n * 7919) % ids.length] });
      continue;
    }
    if (valueFor(column, 0, 'seed') === undefined) {
      if (column.allowNull || column.hasDefault) continue;
      return `no value generator for ${column.column} (${column.type}, NOT NULL)`;
    }
    plans.push({ column, value: (n) => toParameter(column, valueFor(column, n, 'seed')) });
  }
  return plans.length > 0 ? plans : 'the model has no column a row could be written with';
}

async function insertRows(
  client: Client,
  shape: ModelShape,
  plans: ColumnPlan[],
  first: number,
  count: number,
): Promise<string[]> {
  const parameters: unknown[] = [];
  const tuples: string[] = [];
  for (let n = first; n < first + count; n++) {
    const placeholders = plans.map((plan) => {
      parameters.push(plan.value(n));
      return `$${parameters.length}`;
    });
    tuples.push(`(${placeholders.join(', ')})`);
  }
  const columns = columnList(plans.map((plan) => plan.column.column));
  const returning = shape.primaryKey ? ` RETURNING ${quoteIdent(shape.primaryKey)} AS id` : '';
  const result = await client.query<{ id: unknown }>(
    `INSERT INTO ${quoteIdent(shape.table)} (${columns}) VALUES ${tuples.join(', ')}${returning}`,
    parameters,
  );
  return returning ? result.rows.map((row) => String(row.id)) : [];
}

/** node-postgres turns JS arrays into SQL arrays: JSON columns get their text instead. */
function toParameter(column: ColumnShape, value: unknown): unknown {
  return column.type === 'JSON' || column.type === 'JSONB' ? JSON.stringify(value) : value;
}
