import type { ModelStatic, Model } from 'sequelize';

/**
 * What the rehearsal needs to know about a model, read from Sequelize's own description of it
 * (`getAttributes()`, the same as `rawAttributes`): plain data, so the base version's models
 * (loaded from its release, with its own copy of Sequelize) and the tests' models look alike.
 */
export interface ColumnShape {
  /** The model attribute: the key in JSON bodies. */
  attribute: string;
  /** The table column. */
  column: string;
  /** Sequelize's type key: TEXT, STRING, INTEGER, BIGINT, DECIMAL, DATE, DATEONLY, JSONB, ... */
  type: string;
  /** STRING(n) / CHAR(n) length. */
  length?: number;
  /** ENUM values. */
  values?: string[];
  allowNull: boolean;
  unique: boolean;
  primaryKey: boolean;
  autoIncrement: boolean;
  /** createdAt / updatedAt / deletedAt: set by Sequelize, never sent by a client. */
  timestamp: boolean;
  /** The attribute must hold an email address (by its validation or its name). */
  email: boolean;
  hasDefault: boolean;
  references?: { table: string; column: string };
}

export interface ModelShape {
  name: string;
  table: string;
  /** Primary key column; undefined for a table without one. */
  primaryKey?: string;
  columns: ColumnShape[];
}

interface RawAttribute {
  type: { key?: string; options?: { length?: number }; _length?: number; values?: string[] };
  field?: string;
  allowNull?: boolean;
  unique?: boolean | string | { name: string };
  primaryKey?: boolean;
  autoIncrement?: boolean;
  defaultValue?: unknown;
  validate?: Record<string, unknown>;
  references?: string | { model?: string | { tableName?: string }; key?: string };
}

interface Described {
  _timestampAttributes?: Record<string, string>;
  getAttributes(): Record<string, RawAttribute>;
}

export function describeModel(model: ModelStatic<Model>): ModelShape {
  const typed = model as unknown as Described;
  const timestamps = new Set(Object.values(typed._timestampAttributes ?? {}));
  const columns = Object.entries(typed.getAttributes())
    .filter(([, raw]) => raw.type?.key !== 'VIRTUAL')
    .map(([attribute, raw]) => describeColumn(attribute, raw, timestamps));
  return {
    name: model.name,
    table: tableNameOf(model),
    primaryKey: columns.find((column) => column.primaryKey)?.column,
    columns,
  };
}

function describeColumn(
  attribute: string,
  raw: RawAttribute,
  timestamps: Set<string>,
): ColumnShape {
  const length = raw.type.options?.length ?? raw.type._length;
  return {
    attribute,
    column: raw.field ?? attribute,
    type: raw.type.key ?? 'UNKNOWN',
    ...(typeof length === 'number' ? { length } : {}),
    ...(raw.type.values ? { values: [...raw.type.values] } : {}),
    allowNull: raw.primaryKey ? false : raw.allowNull !== false,
    unique: Boolean(raw.unique) || Boolean(raw.primaryKey),
    primaryKey: Boolean(raw.primaryKey),
    autoIncrement: Boolean(raw.autoIncrement),
    timestamp: timestamps.has(attribute) || /^(createdAt|updatedAt|deletedAt)$/.test(attribute),
    email: Boolean(raw.validate?.isEmail) || /e-?mail/i.test(attribute),
    hasDefault: raw.defaultValue !== undefined,
    ...(raw.references ? { references: referenceOf(raw.references) } : {}),
  };
}

function referenceOf(reference: NonNullable<RawAttribute['references']>) {
  if (typeof reference === 'string') return { table: reference, column: 'id' };
  const target = reference.model;
  const table = typeof target === 'string' ? target : (target?.tableName ?? '');
  return { table, column: reference.key ?? 'id' };
}

function tableNameOf(model: ModelStatic<Model>): string {
  const name = model.getTableName() as string | { tableName: string };
  return typeof name === 'string' ? name : name.tableName;
}

/** The columns a client writes: not the key the database assigns, not the timestamps. */
export function writableColumns(shape: ModelShape): ColumnShape[] {
  return shape.columns.filter(
    (column) =>
      !column.timestamp && !(column.primaryKey && (column.autoIncrement || column.hasDefault)),
  );
}

/** Models ordered so that a table comes after the tables its foreign keys point to. */
export function inDependencyOrder(shapes: ModelShape[]): ModelShape[] {
  const byTable = new Map(shapes.map((shape) => [shape.table, shape]));
  const ordered: ModelShape[] = [];
  const visiting = new Set<string>();
  const visit = (shape: ModelShape) => {
    if (ordered.includes(shape) || visiting.has(shape.table)) return;
    visiting.add(shape.table);
    for (const column of shape.columns) {
      const target = column.references && byTable.get(column.references.table);
      if (target && target !== shape) visit(target);
    }
    ordered.push(shape);
  };
  shapes.forEach(visit);
  return ordered;
}
