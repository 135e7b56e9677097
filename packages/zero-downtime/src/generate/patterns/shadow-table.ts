import fs from 'node:fs';
import path from 'node:path';
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

const usage = 'shadow-table <table> (--alter "<ALTER TABLE actions>" | --file <new-table.sql>)';

/**
 * Rebuild a table through a shadow table: pre-deploy runs every step up to the swap (each one
 * skipped when already done by hand with npm run db:shadow), post-deploy drops the old table.
 */
export const shadowTableGenerator: PatternGenerator = {
  name: 'shadow-table',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, { values: ['alter', 'file'] }, usage);
    const table = tableName(parsed.positionals[0], usage);
    noExtraPositionals(parsed, 1, usage);
    const alter = parsed.flags.get('alter') as string | undefined;
    const file = parsed.flags.get('file') as string | undefined;
    if ((alter === undefined) === (file === undefined))
      refuse('Give exactly one of --alter or --file.', usage);
    let definition = `alter: ${literal(alter ?? '')}`;
    if (file !== undefined) {
      const source = path.resolve(options.projectRoot, file);
      if (!fs.existsSync(source)) refuse(`${file} does not exist.`);
      definition = `sql: ${literal(fs.readFileSync(source, 'utf8'))}`;
    }
    const name = kebab('rebuild', table);
    const target = `table: ${literal(table)}, ${definition}`;
    return writeMigrations(
      [
        {
          phase: 'pre',
          name,
          body: migrationSource({
            summary:
              `Rebuilds ${table} through a shadow table: create, mirror triggers, batched copy,\n` +
              'concurrent indexes, verification, swap. On a big table run the steps beforehand with\n' +
              `npm run db:shadow -- ${table} <step>; this migration then finds them done.`,
            helpers: ['rebuildTable'],
            calls: [`await rebuildTable(ctx, { ${target}, step: 'swap' });`],
            transaction: false,
          }),
        },
        {
          phase: 'post',
          name: `${name}-cleanup`,
          body: migrationSource({
            summary: `Drops the old ${table} and the reverse triggers once the rollout succeeded.`,
            helpers: ['rebuildTable'],
            calls: [`await rebuildTable(ctx, { table: ${literal(table)}, step: 'cleanup' });`],
            transaction: false,
          }),
        },
      ],
      options,
      [
        `No application change is needed for a compatible rebuild; follow progress with npm run db:shadow -- ${table} status.`,
        `Until the post-deploy step, npm run db:shadow -- ${table} swap-back returns to the old table without losing writes.`,
      ],
    );
  },
};
