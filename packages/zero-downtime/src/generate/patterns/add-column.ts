import { volatilityOfText } from '../../lint/volatility';
import {
  attribute,
  identifier,
  kebab,
  literal,
  migrationSource,
  noExtraPositionals,
  parseArgs,
  refuse,
  sqlType,
  tableName,
  writeMigrations,
  type MigrationFile,
  type PatternGenerator,
} from './support';
import { notNullMigration } from './add-not-null';

const usage =
  'add-column <table> <column> <type> [--default <sql>] [--not-null [--backfill <sql>]]';

/** SQL's value keywords: the only bare words a DEFAULT may be; any other is a column reference. */
const VALUE_KEYWORDS =
  /^(true|false|null|current_timestamp|current_date|current_time|localtimestamp|localtime|current_user|session_user|current_role|current_catalog|current_schema|user)$/i;

/** --default is SQL: a bare word is read as a column, which PostgreSQL refuses in a DEFAULT. */
function defaultExpression(value: string | undefined, type: string): string | undefined {
  const word = value?.trim();
  if (word && /^[a-z_][a-z0-9_$]*$/i.test(word) && !VALUE_KEYWORDS.test(word)) {
    const quoted = `'${word}'`;
    refuse(
      `--default ${word} is read as SQL, where a bare word names a column, and a DEFAULT cannot use a column. ` +
        `For the ${type} value ${quoted}, quote it: --default "${quoted}".`,
      usage,
    );
  }
  return value;
}

/**
 * A column added without rewriting the table. Pre-deploy: nullable, or with a constant default
 * (NOT NULL allowed then); a volatile default is set separately for new rows. NOT NULL without a
 * default: post-deploy backfills the NULLs (--backfill) then adds the constraint; without
 * --backfill the constraint is left for the next release.
 */
export const addColumnGenerator: PatternGenerator = {
  name: 'add-column',
  usage,
  run(args, options) {
    const parsed = parseArgs(
      args,
      { values: ['default', 'backfill'], switches: ['not-null'] },
      usage,
    );
    const [tableArg, columnArg, typeArg] = parsed.positionals;
    const table = tableName(tableArg, usage);
    const column = identifier(columnArg, 'Column', usage);
    const type = sqlType(typeArg, usage);
    noExtraPositionals(parsed, 3, usage);
    const def = defaultExpression(parsed.flags.get('default') as string | undefined, type);
    const backfill = parsed.flags.get('backfill') as string | undefined;
    const notNull = parsed.flags.has('not-null');
    const volatile = def !== undefined && volatilityOfText(def).volatility === 'volatile';
    const constant = def !== undefined && !volatile;
    const name = kebab('add', table, column);
    const instructions = [
      `Release N+1: add \`${attribute(column)}\` (field '${column}') to the model of ${table}; version N keeps working without it.`,
    ];
    const calls = [
      `await addColumn(ctx, { table: ${literal(table)}, column: ${literal(column)}, type: ${literal(type)}` +
        (constant ? `, default: ${literal(def)}${notNull ? ', notNull: true' : ''}` : '') +
        ' });',
    ];
    if (volatile) {
      calls.push(
        `await ctx.query(${literal(`ALTER TABLE ${table} ALTER COLUMN ${column} SET DEFAULT ${def}`)});`,
      );
    }
    const files: MigrationFile[] = [
      {
        phase: 'pre',
        name,
        body: migrationSource({
          summary:
            `Adds ${table}.${column} ${type} without rewriting the table. Pre-deploy: version N\n` +
            `does not know the column and keeps working.` +
            (volatile
              ? `\nThe default ${def} is set separately: it applies to new rows only.`
              : ''),
          helpers: ['addColumn'],
          calls,
          transaction: true,
        }),
      },
    ];
    const fill = backfill ?? (volatile && notNull ? def : undefined);
    if (volatile && !notNull) {
      instructions.push(
        `Backfill the existing rows after the deploy: npm run db:backfill -- --name ${name} --table ${table} --set "${column} = ${def}" --where "${column} IS NULL"`,
      );
    }
    if (notNull && !constant) {
      if (fill) {
        files.push(notNullMigration(table, column, fill, `${name}-not-null`));
        instructions.push(
          `Release N+1 must write ${column} on every insert: the post-deploy step backfills the rest and adds NOT NULL.`,
        );
      } else {
        instructions.push(
          `Release N+1 must write ${column} on every insert. Backfill the existing rows, then in the next release: npm run generate -- add-not-null ${table} ${column}`,
        );
      }
    }
    return writeMigrations(files, options, instructions);
  },
};
