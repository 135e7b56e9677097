import type { RequestSpec } from '../load';
import type { Operation, Resource } from './release-app';
import type { SeededTable } from './seed';
import { writableColumns, type ColumnShape } from './shapes';
import { valueFor } from './values';

/**
 * What the rehearsal's clients send: for every resource the base version serves, a mix of reads
 * (list, one by id) and writes (create, update) with bodies generated from the model, on the
 * seeded rows and the ones the load itself created. Every expected status is exact (201 for a
 * create, 200 otherwise), so any other answer counts as a failed request.
 */
export interface LoadMix {
  next: (loop: number) => RequestSpec;
  /** One line per resource: what it receives. */
  describe(): string[];
}

/** In every ten requests: six reads (four by id, two lists), two creates, two updates. */
const CYCLE: Operation[] = [
  'read',
  'list',
  'create',
  'read',
  'update',
  'read',
  'list',
  'create',
  'update',
  'read',
];

interface Target {
  resource: Resource;
  ids: string[];
  create?: (n: number) => Record<string, unknown>;
  update?: (n: number) => Record<string, unknown>;
  operations: Operation[];
}

export function loadMix(resources: Resource[], seeded: SeededTable[]): LoadMix {
  const idsByTable = new Map(seeded.map((table) => [table.table, [...table.ids]]));
  const pool = (table: string) => {
    if (!idsByTable.has(table)) idsByTable.set(table, []);
    return idsByTable.get(table) as string[];
  };
  const targets = resources.map((resource) => targetFor(resource, pool));
  // Values of unique columns never meet a seeded row's.
  let n = Math.max(0, ...seeded.map((table) => table.rows));
  let turn = 0;

  const next = (): RequestSpec => {
    const position = turn++;
    const target = targets[position % targets.length];
    const wanted = CYCLE[Math.floor(position / targets.length) % CYCLE.length];
    return requestFor(target, chooseOperation(target, wanted), n++);
  };
  return {
    next,
    describe: () =>
      targets.map(
        ({ resource, operations }) =>
          `${resource.path} (table ${resource.shape.table}): ${operations.join(', ')}`,
      ),
  };
}

function targetFor(resource: Resource, pool: (table: string) => string[]): Target {
  const columns = writableColumns(resource.shape);
  const create = bodyMaker(columns, pool);
  const changed = columnToChange(columns);
  const update = changed && bodyMaker([changed], pool);
  const operations = resource.operations.filter(
    (operation) =>
      (operation !== 'create' || create) &&
      (operation !== 'update' || (update && resource.operations.includes('read'))),
  );
  return {
    resource,
    ids: pool(resource.shape.table),
    ...(create ? { create } : {}),
    ...(update ? { update } : {}),
    operations,
  };
}

/** An update changes one plain column: not a key, preferably not a unique one. */
function columnToChange(columns: ColumnShape[]): ColumnShape | undefined {
  const candidates = columns.filter(
    (column) =>
      !column.primaryKey && !column.references && valueFor(column, 0, 'load') !== undefined,
  );
  return candidates.find((column) => !column.unique) ?? candidates[0];
}

/** Undefined when a required column has no value the rehearsal can make. */
function bodyMaker(
  columns: ColumnShape[],
  pool: (table: string) => string[],
): ((n: number) => Record<string, unknown>) | undefined {
  const parts: [string, (n: number) => unknown][] = [];
  for (const column of columns) {
    if (column.references) {
      const ids = pool(column.references.table);
      parts.push([column.attribute, (n) => ids[(n * 7919) % Math.max(1, ids.length)] ?? null]);
    } else if (valueFor(column, 0, 'load') !== undefined) {
      parts.push([column.attribute, (n) => valueFor(column, n, 'load')]);
    } else if (!column.allowNull && !column.hasDefault) {
      return undefined;
    }
  }
  if (parts.length === 0) return undefined;
  return (n) => Object.fromEntries(parts.map(([attribute, value]) => [attribute, value(n)]));
}

function chooseOperation(target: Target, wanted: Operation): Operation {
  const needsId = wanted === 'read' || wanted === 'update';
  if (target.operations.includes(wanted) && (!needsId || target.ids.length > 0)) return wanted;
  if (target.operations.includes('create')) return 'create';
  return target.operations.includes('list') ? 'list' : target.operations[0];
}

function requestFor(target: Target, operation: Operation, n: number): RequestSpec {
  const base = target.resource.path;
  const anyId = () => target.ids[Math.floor(Math.random() * target.ids.length)];
  switch (operation) {
    case 'list':
      return { method: 'GET', path: base, expect: [200] };
    case 'read':
      return { method: 'GET', path: `${base}/${anyId()}`, expect: [200] };
    case 'update':
      return {
        method: 'PATCH',
        path: `${base}/${anyId()}`,
        body: target.update?.(n),
        expect: [200],
      };
    case 'create':
      return {
        method: 'POST',
        path: base,
        body: target.create?.(n),
        expect: [201],
        onSuccess: (body) => {
          const id = (body as { id?: unknown } | undefined)?.id;
          if (id !== undefined && id !== null) target.ids.push(String(id));
        },
      };
  }
}
