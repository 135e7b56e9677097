import {
  identifier,
  kebab,
  literal,
  migrationSource,
  noExtraPositionals,
  parseArgs,
  tableName,
  writeMigrations,
  type MigrationFile,
  type PatternGenerator,
} from './support';

const usage = 'add-not-null <table> <column> [--backfill <sql>]';

export function notNullMigration(
  table: string,
  column: string,
  backfill: string | undefined,
  name: string,
): MigrationFile {
  const calls = [];
  if (backfill) {
    calls.push(
      `await backfillColumn(ctx, { table: ${literal(table)}, column: ${literal(column)}, value: ${literal(backfill)} });`,
    );
  }
  calls.push(`await addNotNull(ctx, { table: ${literal(table)}, column: ${literal(column)} });`);
  return {
    phase: 'post',
    name,
    body: migrationSource({
      summary:
        `${table}.${column} becomes NOT NULL: ${backfill ? 'the remaining NULLs are backfilled in batches, then ' : ''}` +
        `a CHECK\n(${column} IS NOT NULL) NOT VALID is validated without blocking writes, SET NOT NULL\n` +
        'trusts it, and the check is dropped. Post-deploy: every instance writes the column.',
      helpers: backfill ? ['addNotNull', 'backfillColumn'] : ['addNotNull'],
      calls,
      transaction: false,
    }),
  };
}

/** NOT NULL on an existing column, post-deploy, without a scan under an exclusive lock. */
export const addNotNullGenerator: PatternGenerator = {
  name: 'add-not-null',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, { values: ['backfill'] }, usage);
    const table = tableName(parsed.positionals[0], usage);
    const column = identifier(parsed.positionals[1], 'Column', usage);
    noExtraPositionals(parsed, 2, usage);
    const backfill = parsed.flags.get('backfill') as string | undefined;
    return writeMigrations(
      [notNullMigration(table, column, backfill, kebab('not-null', table, column))],
      options,
      [
        `The release deployed with this migration (and the one before it) must write ${column} on every insert and update of ${table}.`,
        backfill
          ? `The post-deploy step fills the remaining NULLs with ${backfill} first.`
          : `Rows with ${column} NULL make the post-deploy step fail with the backfill recipe: backfill them first (npm run db:backfill).`,
      ],
    );
  },
};
