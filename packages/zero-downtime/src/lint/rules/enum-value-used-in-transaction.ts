import type { AlterEnumStmt } from 'libpg-query';
import { names, nodeOf, quoteName } from '../ast';
import { hit, type Rule } from './rule';

/**
 * ALTER TYPE ... ADD VALUE is safe on PostgreSQL 12+ (a catalog change, even inside a
 * transaction block), but the new value cannot be used before that transaction commits:
 * "unsafe use of new value", the migration fails.
 */
export const enumValueUsedInTransaction: Rule = {
  id: 'enum-value-used-in-transaction',
  summary: 'A new enum value used in the transaction that added it: the migration fails.',
  check(statement, migration) {
    const added = nodeOf<AlterEnumStmt>(statement.node, 'AlterEnumStmt');
    if (!added?.newVal || added.oldVal || !statement.inTransactionBlock) return [];
    const literal = `'${added.newVal.split("'").join("''")}'`;
    const user = migration.statements
      .slice(statement.index + 1)
      .find((later) => later.transaction === statement.transaction && later.text.includes(literal));
    if (!user) return [];
    const type = names(added.typeName).map(quoteName).join('.');
    return [
      hit(
        'error',
        `The value ${literal} added to enum ${type} is used at line ${user.line} in the same ` +
          'transaction: PostgreSQL refuses it ("unsafe use of new value ... New enum values must ' +
          'be committed before they can be used"), and the migration fails.',
        [
          `-- this migration: only the new value`,
          `ALTER TYPE ${type} ADD VALUE IF NOT EXISTS ${literal};`,
          '-- a later migration (or the release that writes it):',
          `${user.text};`,
        ].join('\n'),
      ),
    ];
  },
};
