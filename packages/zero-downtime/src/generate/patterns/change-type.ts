import { keepAttributeAdvice, writeColumnFlow, flowName } from './column-flow';
import {
  identifier,
  literal,
  noExtraPositionals,
  parseArgs,
  refuse,
  sqlType,
  tableName,
  type PatternGenerator,
} from './support';

const usage =
  'change-type <table> <column> <new_column> <type> [--up <sql using column>] [--down <sql using new_column>] [--cleanup]';

/** Change a column's type through a new column kept in sync both ways (four steps). */
export const changeTypeGenerator: PatternGenerator = {
  name: 'change-type',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, { values: ['up', 'down'], switches: ['cleanup'] }, usage);
    const table = tableName(parsed.positionals[0], usage);
    const column = identifier(parsed.positionals[1], 'Column', usage);
    const to = identifier(parsed.positionals[2], 'New column', usage);
    const type = sqlType(parsed.positionals[3], usage);
    noExtraPositionals(parsed, 4, usage);
    if (column === to) {
      refuse(
        `The new column needs its own name (e.g. ${column}_new): version N keeps using ${column}.`,
        usage,
      );
    }
    const up = parsed.flags.get('up') as string | undefined;
    const down = parsed.flags.get('down') as string | undefined;
    const target = [
      `table: ${literal(table)}`,
      `column: ${literal(column)}`,
      `to: ${literal(to)}`,
      `type: ${literal(type)}`,
      ...(up ? [`up: ${literal(up)}`] : []),
      ...(down ? [`down: ${literal(down)}`] : []),
    ].join(', ');
    return writeColumnFlow(
      {
        helper: 'changeColumnType',
        target,
        name: flowName('change', table, column, 'to', to),
        table,
        from: column,
        to,
        cleanup: parsed.flags.has('cleanup'),
        rerun: `change-type ${table} ${column} ${to} ${type}`,
        modelChange: `${keepAttributeAdvice({ table, from: column, to }, `the Sequelize type of ${type}`)} Read and write only ${to}.`,
      },
      options,
    );
  },
};
