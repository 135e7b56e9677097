import {
  identifier,
  kebab,
  literal,
  migrationSource,
  noExtraPositionals,
  parseArgs,
  refuse,
  tableName,
  writeMigrations,
  type PatternGenerator,
} from './support';

const usage =
  'add-foreign-key <table> <column> <referenced_table> [--referenced-column id] [--on-delete cascade|restrict|set-null|no-action]';

const ACTIONS: Record<string, string> = {
  cascade: 'CASCADE',
  restrict: 'RESTRICT',
  'set-null': 'SET NULL',
  'no-action': 'NO ACTION',
};

/** A foreign key added NOT VALID (short lock), then validated in its own transaction. */
export const addForeignKeyGenerator: PatternGenerator = {
  name: 'add-foreign-key',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, { values: ['referenced-column', 'on-delete'] }, usage);
    const table = tableName(parsed.positionals[0], usage);
    const column = identifier(parsed.positionals[1], 'Column', usage);
    const referenced = tableName(parsed.positionals[2], usage);
    noExtraPositionals(parsed, 3, usage);
    const referencedColumn = parsed.flags.get('referenced-column') as string | undefined;
    if (referencedColumn !== undefined) identifier(referencedColumn, 'Referenced column', usage);
    const onDelete = parsed.flags.get('on-delete') as string | undefined;
    if (onDelete !== undefined && !ACTIONS[onDelete])
      refuse(`--on-delete must be one of ${Object.keys(ACTIONS).join(', ')}.`, usage);
    const references = `{ table: ${literal(referenced)}${referencedColumn ? `, columns: [${literal(referencedColumn)}]` : ''} }`;
    const fields = [
      `table: ${literal(table)}`,
      `columns: [${literal(column)}]`,
      `references: ${references}`,
      ...(onDelete ? [`onDelete: ${literal(ACTIONS[onDelete])}`] : []),
    ];
    return writeMigrations(
      [
        {
          phase: 'pre',
          name: kebab('foreign-key', table, column),
          body: migrationSource({
            summary:
              `${table}.${column} references ${referenced}: added NOT VALID (new writes are checked at\n` +
              'once, a short lock), then VALIDATE scans the old rows without blocking writes.',
            helpers: ['addForeignKey'],
            calls: [`await addForeignKey(ctx, { ${fields.join(', ')} });`],
            transaction: false,
          }),
        },
      ],
      options,
      [
        `Rows of ${table} whose ${column} has no match in ${referenced} make validation fail: clean them up first.`,
      ],
    );
  },
};
