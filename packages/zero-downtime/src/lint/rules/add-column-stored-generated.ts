import { bareTable, identifier, quoteName, sqlText, tableText, typeText } from '../ast';
import { backfillCommand } from '../recipes';
import { columnsAddedToExistingTable, type AddedColumn } from './alter-table';
import { overNewRow } from './row-expression';
import { hit, type Rule } from './rule';

function generationOf(added: AddedColumn) {
  return added.constraints.find((constraint) => constraint.contype === 'CONSTR_GENERATED');
}

function recipe(added: AddedColumn, expression: unknown): string {
  const table = tableText(added.relation);
  const col = quoteName(added.name);
  const trigger = quoteName(identifier([bareTable(added.relation), added.name], 'compute'));
  return [
    `ALTER TABLE ${table} ADD COLUMN ${col} ${typeText(added.column.typeName)};`,
    `CREATE OR REPLACE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$`,
    'BEGIN',
    `  NEW.${col} := ${overNewRow(expression)};`,
    '  RETURN NEW;',
    'END $$;',
    `CREATE TRIGGER ${trigger} BEFORE INSERT OR UPDATE ON ${table}`,
    `  FOR EACH ROW EXECUTE FUNCTION ${trigger}();`,
    '-- compute existing rows in batches, outside the migration:',
    `--   ${backfillCommand(added.relation, `${col} = ${sqlText(expression)}`)}`,
  ].join('\n');
}

export const addColumnStoredGenerated: Rule = {
  id: 'add-column-stored-generated',
  summary: 'ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table.',
  check(statement, migration) {
    return columnsAddedToExistingTable(statement, migration).flatMap((added) => {
      const generation = generationOf(added);
      if (!generation) return [];
      const table = tableText(added.relation);
      return [
        hit(
          'error',
          `A stored generated column is computed for every existing row when it is added: ` +
            `PostgreSQL rewrites the whole of ${table} under an ACCESS EXCLUSIVE lock, and every ` +
            `read and write of ${table} waits until it ends.`,
          recipe(added, generation.raw_expr),
        ),
      ];
    });
  },
};
