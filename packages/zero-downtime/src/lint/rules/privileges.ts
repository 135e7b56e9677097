/** REVOKE and OWNER TO in pre-deploy: version N may lose the access it runs with. */
import type { AlterOwnerStmt, AlterTableStmt, GrantStmt } from 'libpg-query';
import { alterCommands, nodeOf, sqlText, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { hit, type Rule } from './rule';

export const revokePrivilege: Rule = {
  id: 'revoke-privilege',
  summary: 'REVOKE in pre-deploy takes away privileges version N may still use.',
  check(statement, migration) {
    const grant = nodeOf<GrantStmt>(statement.node, 'GrantStmt');
    if (!grant || grant.is_grant || migration.phase !== 'pre') return [];
    return [
      hit(
        'error',
        'REVOKE in pre-deploy: version N is still serving, and if it connects as one of these ' +
          'roles its next query on the object fails with "permission denied".',
        [
          '-- release N+1 stops needing the privilege; then migrations/post-deploy/<timestamp>-revoke.sql:',
          `${statement.text};`,
        ].join('\n'),
      ),
    ];
  },
};

function ownerChangeTarget(statement: AnalyzedStatement, migration: Migration) {
  const alter = nodeOf<AlterTableStmt>(statement.node, 'AlterTableStmt');
  if (alterCommands(alter?.cmds).some((command) => command.subtype === 'AT_ChangeOwner')) {
    return migration.isNewTable(alter?.relation, statement.index)
      ? undefined
      : tableText(alter?.relation);
  }
  const owner = nodeOf<AlterOwnerStmt>(statement.node, 'AlterOwnerStmt');
  if (!owner) return undefined;
  return owner.relation ? tableText(owner.relation) : sqlText(owner.object);
}

export const changeOwner: Rule = {
  id: 'change-owner',
  summary:
    'OWNER TO in pre-deploy: a version connecting as the old owner loses the privileges ownership gave it.',
  check(statement, migration) {
    const target = ownerChangeTarget(statement, migration);
    if (!target || migration.phase !== 'pre') return [];
    return [
      hit(
        'warning',
        `Changing the owner of ${target} in pre-deploy: if version N connects as the current ` +
          'owner and has no explicit GRANT, it loses every privilege on it at once ("permission ' +
          'denied"). On a table it also takes a brief ACCESS EXCLUSIVE lock.',
        [
          '-- grant the old owner what version N needs first, in the same migration:',
          `-- GRANT SELECT, INSERT, UPDATE, DELETE ON ${target} TO <role of version N>;`,
          `${statement.text};`,
        ].join('\n'),
      ),
    ];
  },
};
