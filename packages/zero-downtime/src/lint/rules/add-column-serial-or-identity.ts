import { bareTable, identifier, quoteName, tableText, typeBaseName } from '../ast';
import { backfillCommand } from '../recipes';
import { columnsAddedToExistingTable, hasConstraint, type AddedColumn } from './alter-table';
import { hit, type Rule } from './rule';

const serialTypes = new Set([
  'serial',
  'serial4',
  'bigserial',
  'serial8',
  'smallserial',
  'serial2',
]);

function isSerialOrIdentity(added: AddedColumn): boolean {
  return (
    serialTypes.has(typeBaseName(added.column.typeName)) || hasConstraint(added, 'CONSTR_IDENTITY')
  );
}

function recipe(added: AddedColumn): string {
  const table = tableText(added.relation);
  const col = quoteName(added.name);
  const sequence = quoteName(identifier([bareTable(added.relation), added.name], 'seq'));
  const next = `nextval('${sequence.split("'").join("''")}')`;
  return [
    `CREATE SEQUENCE IF NOT EXISTS ${sequence} AS bigint;`,
    `ALTER TABLE ${table} ADD COLUMN ${col} bigint;`,
    `ALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${next};`,
    `ALTER SEQUENCE ${sequence} OWNED BY ${table}.${col};`,
    '-- number existing rows in batches, outside the migration:',
    `--   ${backfillCommand(added.relation, `${col} = ${next}`, `${col} IS NULL`)}`,
  ].join('\n');
}

export const addColumnSerialOrIdentity: Rule = {
  id: 'add-column-serial-or-identity',
  summary: 'ADD COLUMN of type serial or GENERATED ... AS IDENTITY rewrites the table.',
  check(statement, migration) {
    return columnsAddedToExistingTable(statement, migration)
      .filter(isSerialOrIdentity)
      .map((added) => {
        const table = tableText(added.relation);
        return hit(
          'error',
          `Adding ${quoteName(added.name)} as serial or identity gives every existing row of ` +
            `${table} a new sequence value: PostgreSQL rewrites the whole table under an ACCESS ` +
            `EXCLUSIVE lock, and every read and write of ${table} waits until it ends.`,
          recipe(added),
        );
      });
  },
};
