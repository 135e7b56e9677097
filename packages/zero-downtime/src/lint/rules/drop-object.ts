import type { DropStmt, Node } from 'libpg-query';
import { names, nodeOf, quoteName } from '../ast';
import { hit, type Rule } from './rule';
import { objectKeyword, objectName } from './object-names';

/** Objects version N uses by name; tables and indexes have their own rules. */
const usedByVersionN = new Set([
  'OBJECT_SCHEMA',
  'OBJECT_TYPE',
  'OBJECT_DOMAIN',
  'OBJECT_SEQUENCE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_TRIGGER',
  'OBJECT_RULE',
  'OBJECT_POLICY',
  'OBJECT_EXTENSION',
  'OBJECT_FOREIGN_TABLE',
]);

/** Objects named `name ON table`: their DROP lists them as [schema.]table.name. */
const tableObjects = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY']);

function objectOnTable(object: unknown): string {
  const parts = names(nodeOf<{ items?: Node[] }>(object, 'List')?.items);
  const name = parts.at(-1) ?? '<name>';
  return `${quoteName(name)} ON ${parts.slice(0, -1).map(quoteName).join('.')}`;
}

export const dropObject: Rule = {
  id: 'drop-object',
  summary:
    'DROP of a schema, type, domain, sequence, view, function, trigger, policy or extension in pre-deploy breaks version N; CASCADE drops more than it names.',
  check(statement, migration) {
    const drop = nodeOf<DropStmt>(statement.node, 'DropStmt');
    if (!drop || !usedByVersionN.has(drop.removeType ?? '')) return [];
    const keyword = objectKeyword(drop.removeType);
    const onTable = tableObjects.has(drop.removeType ?? '');
    const objects = (drop.objects ?? [])
      .map((object) => (onTable ? objectOnTable(object) : objectName(object)))
      .join(', ');
    const cascade = drop.behavior === 'DROP_CASCADE';
    const found = [];
    if (migration.phase === 'pre') {
      found.push(
        hit(
          'error',
          `Dropping ${keyword} ${objects} in pre-deploy breaks version N, which is still serving ` +
            'and may use it (queries, column types, defaults, triggers); a rollback to N would ' +
            'find it gone too.',
          [
            '-- release N+1 stops using it; then migrations/post-deploy/<timestamp>-drop.sql:',
            `DROP ${keyword} IF EXISTS ${objects};`,
          ].join('\n'),
        ),
      );
    }
    if (cascade) {
      found.push(
        hit(
          migration.phase === 'pre' ? 'error' : 'warning',
          `DROP ${keyword} ${objects} CASCADE also drops every object that depends on it ` +
            '(columns of that type, views, triggers, defaults), which the migration does not ' +
            'name and review cannot see; those tables are locked ACCESS EXCLUSIVE.',
          [
            '-- drop the dependents explicitly first, each in its own statement, then:',
            `DROP ${keyword} IF EXISTS ${objects};`,
          ].join('\n'),
        ),
      );
    }
    return found;
  },
};
