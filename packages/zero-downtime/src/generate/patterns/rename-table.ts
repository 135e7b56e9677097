import {
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

const usage = 'rename-table <from> <to>';

/** Rename a table: a compatibility view under the old name until every instance uses the new one. */
export const renameTableGenerator: PatternGenerator = {
  name: 'rename-table',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, {}, usage);
    const from = tableName(parsed.positionals[0], usage);
    const to = tableName(parsed.positionals[1], usage);
    noExtraPositionals(parsed, 2, usage);
    if (to.includes('.'))
      refuse('Give the new name without a schema: the table stays in its schema.', usage);
    if (from.split('.').pop() === to) refuse(`The new name is the old one (${to}).`, usage);
    const target = `{ from: ${literal(from)}, to: ${literal(to)}`;
    const name = kebab('rename-table', from, 'to', to);
    return writeMigrations(
      [
        {
          phase: 'pre',
          name,
          body: migrationSource({
            summary:
              `Renames ${from} to ${to} and leaves an updatable view named ${from}, so version N\n` +
              'keeps reading and writing through the old name during the rollout.',
            helpers: ['renameTable'],
            calls: [`await renameTable(ctx, ${target}, step: 'expand' });`],
            transaction: true,
          }),
        },
        {
          phase: 'post',
          name: `${name}-drop-view`,
          body: migrationSource({
            summary: `Drops the compatibility view ${from}: every instance now uses ${to}.`,
            helpers: ['renameTable'],
            calls: [`await renameTable(ctx, ${target}, step: 'cleanup' });`],
            transaction: true,
          }),
        },
      ],
      options,
      [`Release N+1: set tableName: '${to}' in the model (and rename it in raw queries).`],
    );
  },
};
