import type { AlterEnumStmt, AlterObjectSchemaStmt, RenameStmt } from 'libpg-query';
import { names, nodeOf, quoteName, tableText } from '../ast';
import { hit, type Rule, type RuleHit } from './rule';
import { objectKeyword, objectName } from './object-names';

/** Renames that break queries by name; tables and columns have their own rules. */
const renamedByName = new Set([
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_TYPE',
  'OBJECT_DOMAIN',
  'OBJECT_SCHEMA',
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_ATTRIBUTE',
]);

function renamedObject(rename: RenameStmt): string {
  if (rename.renameType === 'OBJECT_SCHEMA') return quoteName(rename.subname ?? '<schema>');
  if (rename.relation) return tableText(rename.relation);
  return objectName(rename.object);
}

function renameHit(what: string, newName: string, recipe: string, verb = 'Renaming'): RuleHit {
  return hit(
    'error',
    `${verb} ${what} to ${newName} breaks every running version that uses the old name: ` +
      'version N during the rolling restart, and N or N+1 after a rollback. Names are part of ' +
      'the contract between the code and the schema.',
    recipe,
  );
}

function enumValueRename(stmt: AlterEnumStmt): RuleHit {
  const type = names(stmt.typeName).map(quoteName).join('.');
  const [oldValue, newValue] = [stmt.oldVal ?? '', stmt.newVal ?? ''];
  return hit(
    'error',
    `Renaming the value '${oldValue}' of enum ${type} to '${newValue}' breaks version N at ` +
      `once: every row it reads now says '${newValue}', and every write of '${oldValue}' fails ` +
      'with "invalid input value for enum".',
    [
      '-- expand: add the new value; release N+1 writes it and accepts both:',
      `ALTER TYPE ${type} ADD VALUE IF NOT EXISTS '${newValue}';`,
      '-- backfill in batches, outside the migration:',
      `--   UPDATE <table> SET <column> = '${newValue}' WHERE <column> = '${oldValue}' ...`,
      `-- an enum value cannot be dropped: keep '${oldValue}' unused, or move to a lookup table.`,
    ].join('\n'),
  );
}

export const renameObject: Rule = {
  id: 'rename-object',
  summary:
    'Renaming (or moving to another schema) a view, sequence, type, enum value, domain, schema or function breaks the version that uses the old name.',
  check(statement, migration) {
    const enumRename = nodeOf<AlterEnumStmt>(statement.node, 'AlterEnumStmt');
    if (enumRename?.oldVal) return [enumValueRename(enumRename)];
    const move = nodeOf<AlterObjectSchemaStmt>(statement.node, 'AlterObjectSchemaStmt');
    if (move && !(move.relation && migration.isNewTable(move.relation, statement.index))) {
      const what = `${objectKeyword(move.objectType)} ${move.relation ? tableText(move.relation) : objectName(move.object)}`;
      return [
        renameHit(
          what,
          `schema ${quoteName(move.newschema ?? '<schema>')}`,
          '-- keep it where it is for version N; create what N+1 needs in the new schema (a view\n-- over the old table works), and move or drop the old one post-deploy of the release after.',
          'Moving',
        ),
      ];
    }
    const rename = nodeOf<RenameStmt>(statement.node, 'RenameStmt');
    if (!rename || !renamedByName.has(rename.renameType ?? '')) return [];
    const keyword = objectKeyword(rename.renameType);
    const what = `${keyword} ${renamedObject(rename)}`;
    const newName = quoteName(rename.newname ?? '<new>');
    return [
      renameHit(
        what,
        newName,
        [
          `-- expand/contract: create ${newName} next to the old one (for a view or function, a`,
          '-- copy; for a schema or type, a new one), release N+1 uses the new name, and drop the',
          '-- old one post-deploy of the release after.',
        ].join('\n'),
      ),
    ];
  },
};
