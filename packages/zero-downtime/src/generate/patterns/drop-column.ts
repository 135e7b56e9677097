import {
  attribute,
  identifier,
  kebab,
  literal,
  migrationSource,
  noExtraPositionals,
  parseArgs,
  tableName,
  writeMigrations,
  type PatternGenerator,
} from './support';

const usage = 'drop-column <table> <column>';

/** Remove a column: pre-deploy lets N+1 insert without it; post-deploy drops it. */
export const dropColumnGenerator: PatternGenerator = {
  name: 'drop-column',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, {}, usage);
    const table = tableName(parsed.positionals[0], usage);
    const column = identifier(parsed.positionals[1], 'Column', usage);
    noExtraPositionals(parsed, 2, usage);
    const target = `{ table: ${literal(table)}, column: ${literal(column)} }`;
    const name = kebab('drop', table, column);
    return writeMigrations(
      [
        {
          phase: 'pre',
          name: `${name}-prepare`,
          body: migrationSource({
            summary:
              `Before ${table}.${column} goes: if it is NOT NULL without a default, it loses NOT NULL\n` +
              'so release N+1 (which no longer writes it) can insert. Version N keeps working.',
            helpers: ['prepareDropColumn'],
            calls: [`await prepareDropColumn(ctx, ${target});`],
            transaction: true,
          }),
        },
        {
          phase: 'post',
          name,
          body: migrationSource({
            summary: `Drops ${table}.${column}. Post-deploy: no instance of the previous release reads it any more.`,
            helpers: ['dropColumn'],
            calls: [`await dropColumn(ctx, ${target});`],
            transaction: true,
          }),
        },
      ],
      options,
      [
        `Release N+1: remove \`${attribute(column)}\` (field '${column}') from the model of ${table} and every query that names ${column}, BEFORE the post-deploy step (Sequelize selects every attribute, so an instance still listing it breaks once the column is gone).`,
      ],
    );
  },
};
