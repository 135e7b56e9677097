/** The field types `generate resource` understands, and how each maps to SQL, Sequelize and zod. */
export interface FieldType {
  sql: string;
  sequelize: string;
  zod: string;
  tsType: string;
  sample: unknown;
  otherSample: unknown;
}

export const FIELD_TYPES: Record<string, FieldType> = {
  string: {
    sql: 'text',
    sequelize: 'DataTypes.TEXT',
    zod: 'z.string().trim().min(1).max(1000)',
    tsType: 'string',
    sample: 'first',
    otherSample: 'second',
  },
  text: {
    sql: 'text',
    sequelize: 'DataTypes.TEXT',
    zod: 'z.string().max(100_000)',
    tsType: 'string',
    sample: 'Some longer text.',
    otherSample: 'Other text.',
  },
  integer: {
    sql: 'integer',
    sequelize: 'DataTypes.INTEGER',
    zod: 'z.number().int().min(-2147483648).max(2147483647)',
    tsType: 'number',
    sample: 42,
    otherSample: 7,
  },
  number: {
    sql: 'double precision',
    sequelize: 'DataTypes.DOUBLE',
    zod: 'z.number().finite()',
    tsType: 'number',
    sample: 1.5,
    otherSample: 2.25,
  },
  decimal: {
    sql: 'numeric',
    sequelize: 'DataTypes.DECIMAL',
    zod: "z.string().regex(/^-?\\d{1,20}(\\.\\d{1,10})?$/, { error: 'must be a decimal number as a string' })",
    tsType: 'string',
    sample: '10.50',
    otherSample: '3.25',
  },
  boolean: {
    sql: 'boolean',
    sequelize: 'DataTypes.BOOLEAN',
    zod: 'z.boolean()',
    tsType: 'boolean',
    sample: true,
    otherSample: false,
  },
  date: {
    sql: 'date',
    sequelize: 'DataTypes.DATEONLY',
    zod: 'z.iso.date()',
    tsType: 'string',
    sample: '2026-01-31',
    otherSample: '2026-02-01',
  },
  datetime: {
    sql: 'timestamptz',
    sequelize: 'DataTypes.DATE',
    zod: 'z.iso.datetime({ offset: true }).transform((value) => new Date(value))',
    tsType: 'Date',
    sample: '2026-01-31T10:00:00.000Z',
    otherSample: '2026-02-01T12:30:00.000Z',
  },
  json: {
    sql: 'jsonb',
    sequelize: 'DataTypes.JSONB',
    zod: 'z.json()',
    tsType: 'unknown',
    sample: { key: 'value' },
    otherSample: { key: 'other' },
  },
  uuid: {
    sql: 'uuid',
    sequelize: 'DataTypes.UUID',
    zod: 'z.uuid()',
    tsType: 'string',
    sample: '0b9f1a34-6f1e-4a8c-9d1e-2f3a4b5c6d7e',
    otherSample: '1c8e2b45-7a2f-4b9d-8e2f-3a4b5c6d7e8f',
  },
};

export interface Field {
  /** snake_case column name */
  column: string;
  /** camelCase model attribute */
  attribute: string;
  type: FieldType;
  typeName: string;
  optional: boolean;
}
