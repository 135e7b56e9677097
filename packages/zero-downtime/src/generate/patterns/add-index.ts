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

const usage = 'add-index <table> <column[,column...]> [--unique] [--name <index>] [--where <sql>]';

/** An index built CONCURRENTLY (writes go on) in a non-transactional pre-deploy migration. */
export const addIndexGenerator: PatternGenerator = {
  name: 'add-index',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, { values: ['name', 'where'], switches: ['unique'] }, usage);
    const table = tableName(parsed.positionals[0], usage);
    if (!parsed.positionals[1]) refuse('Missing columns.', usage);
    const columns = parsed.positionals[1]
      .split(',')
      .map((column) => identifier(column.trim(), 'Column', usage));
    noExtraPositionals(parsed, 2, usage);
    const name = parsed.flags.get('name') as string | undefined;
    if (name !== undefined) identifier(name, 'Index name', usage);
    const where = parsed.flags.get('where') as string | undefined;
    const unique = parsed.flags.has('unique');
    const fields = [
      `table: ${literal(table)}`,
      `columns: [${columns.map(literal).join(', ')}]`,
      ...(unique ? ['unique: true'] : []),
      ...(name ? [`name: ${literal(name)}`] : []),
      ...(where ? [`where: ${literal(where)}`] : []),
    ];
    return writeMigrations(
      [
        {
          phase: 'pre',
          name: kebab('index', table, ...columns),
          body: migrationSource({
            summary:
              `${unique ? 'Unique index' : 'Index'} on ${table} (${columns.join(', ')}), built CONCURRENTLY: reads and writes go on.\n` +
              'A rerun drops an INVALID leftover of a failed build first.',
            helpers: ['addIndex'],
            calls: [`await addIndex(ctx, { ${fields.join(', ')} });`],
            transaction: false,
          }),
        },
      ],
      options,
      ['No application change is needed; queries use the index once it is valid.'],
    );
  },
};
