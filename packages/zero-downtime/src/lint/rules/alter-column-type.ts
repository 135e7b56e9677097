import type { AlterTableCmd, ColumnDef, RangeVar } from 'libpg-query';
import { columnDefOf, quoteName, tableText, typeBaseName, typeModifiers, typeText } from '../ast';
import { backfillCommand, dropSyncTriggerSql, syncTriggerSql } from '../recipes';
import { commandsOfType } from './alter-table';
import { overNewRow } from './row-expression';
import { hit, type Rule, type RuleHit } from './rule';

/**
 * Targets that are binary-coercible from a narrower type of the same family, so PostgreSQL
 * changes only the catalog. The old type is not in the statement, hence a warning that names
 * the condition rather than silence.
 */
function widensWhen(column: ColumnDef): string | undefined {
  const base = typeBaseName(column.typeName);
  const mods = typeModifiers(column.typeName);
  if (column.raw_default || column.typeName?.arrayBounds) return undefined;
  if (base === 'text') return 'varchar (any length) or text';
  if (base === 'varchar' && mods.length === 0) return 'varchar (any length) or text';
  if (base === 'varchar') return `varchar(n) with n <= ${mods[0]}`;
  if (base === 'numeric' && mods.length === 0) return 'numeric (any precision)';
  if (base === 'numeric') return `numeric(p, ${mods[1] ?? 0}) with p <= ${mods[0]}`;
  return undefined;
}

function recipe(relation: RangeVar | undefined, name: string, column: ColumnDef): string {
  const table = tableText(relation);
  const newName = `${name}_new`;
  const trigger = {
    relation,
    oldColumn: name,
    newColumn: newName,
    toNew: column.raw_default ? overNewRow(column.raw_default) : `NEW.${quoteName(name)}`,
    toOld: `NEW.${quoteName(newName)}`,
  };
  return [
    '-- 1. pre-deploy: a new column in the new type, kept in sync by a trigger both ways',
    `ALTER TABLE ${table} ADD COLUMN ${quoteName(newName)} ${typeText(column.typeName)};`,
    syncTriggerSql(trigger),
    '-- 2. fill it in batches, outside the migration; release N+1 reads the new column:',
    `--   ${backfillCommand(relation, `${quoteName(newName)} = ${quoteName(name)}`)}`,
    '-- 3. post-deploy: the old column becomes unused (drop its NOT NULL if it has one)',
    '-- 4. post-deploy of the next release:',
    dropSyncTriggerSql(trigger),
    `ALTER TABLE ${table} DROP COLUMN ${quoteName(name)};`,
  ].join('\n');
}

function typeChangeHit(relation: RangeVar | undefined, command: AlterTableCmd): RuleHit[] {
  const column = columnDefOf(command);
  const name = command.name ?? '<column>';
  if (!column) return [];
  const target = `${tableText(relation)}.${quoteName(name)} to ${typeText(column.typeName)}`;
  const condition = widensWhen(column);
  if (condition) {
    return [
      hit(
        'warning',
        `Changing ${target} is safe only if the column is currently ${condition}: then the ` +
          'change is binary-coercible and PostgreSQL only updates the catalog. From any other ' +
          'type it rewrites the table (or scans it, when shrinking a length) under an ACCESS ' +
          'EXCLUSIVE lock.',
        recipe(relation, name, column),
      ),
    ];
  }
  return [
    hit(
      'error',
      `Changing ${target} rewrites the whole table under an ACCESS EXCLUSIVE lock (every read ` +
        'and write waits until it ends), and version N, still running, reads and writes the ' +
        'column in its old type.',
      recipe(relation, name, column),
    ),
  ];
}

export const alterColumnType: Rule = {
  id: 'alter-column-type',
  summary:
    'ALTER COLUMN ... TYPE rewrites the table and breaks version N (unless binary-coercible).',
  check(statement, migration) {
    return commandsOfType(statement, migration, 'AT_AlterColumnType').flatMap(
      ({ relation, command }) => typeChangeHit(relation, command),
    );
  },
};
