import { keepAttributeAdvice, writeColumnFlow, flowName } from './column-flow';
import {
  identifier,
  literal,
  noExtraPositionals,
  parseArgs,
  refuse,
  tableName,
  type PatternGenerator,
} from './support';

const usage = 'rename-column <table> <from> <to> [--cleanup]';

/** Rename a column in four steps while the old and the new release serve side by side. */
export const renameColumnGenerator: PatternGenerator = {
  name: 'rename-column',
  usage,
  run(args, options) {
    const parsed = parseArgs(args, { switches: ['cleanup'] }, usage);
    const table = tableName(parsed.positionals[0], usage);
    const from = identifier(parsed.positionals[1], 'Column', usage);
    const to = identifier(parsed.positionals[2], 'New column', usage);
    noExtraPositionals(parsed, 3, usage);
    if (from === to) refuse(`The new name is the old one (${from}).`, usage);
    return writeColumnFlow(
      {
        helper: 'renameColumn',
        target: `table: ${literal(table)}, from: ${literal(from)}, to: ${literal(to)}`,
        name: flowName('rename', table, from, 'to', to),
        table,
        from,
        to,
        cleanup: parsed.flags.has('cleanup'),
        rerun: `rename-column ${table} ${from} ${to}`,
        modelChange:
          `${keepAttributeAdvice({ table, from, to })} Do not write ${from} any more: the ` +
          `trigger copies ${to} into it for version N.`,
      },
      options,
    );
  },
};
