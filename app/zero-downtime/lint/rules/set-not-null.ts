import type { AlterTableCmd, NullTest, RangeVar } from 'libpg-query';
import { alterCommands, constraintOf, names, nodeOf, quoteName, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { setNotNullRecipe } from '../recipes';
import { commandsOfType } from './alter-table';
import { hit, type Rule } from './rule';

function sameTable(a: RangeVar | undefined, b: RangeVar | undefined): boolean {
  return (a?.relname ?? '').toLowerCase() === (b?.relname ?? '').toLowerCase();
}

function commandsOnTable(statement: AnalyzedStatement, relation: RangeVar | undefined) {
  const alter = nodeOf<{ relation?: RangeVar; cmds?: never[] }>(statement.node, 'AlterTableStmt');
  return alter && sameTable(alter.relation, relation) ? alterCommands(alter.cmds) : [];
}

function checksColumnIsNotNull(command: AlterTableCmd, column: string): boolean {
  const constraint = constraintOf(command);
  if (command.subtype !== 'AT_AddConstraint' || constraint?.contype !== 'CONSTR_CHECK') {
    return false;
  }
  const test = nodeOf<NullTest>(constraint.raw_expr, 'NullTest');
  const ref = nodeOf<{ fields?: never[] }>(test?.arg, 'ColumnRef');
  return test?.nulltesttype === 'IS_NOT_NULL' && names(ref?.fields).at(-1) === column;
}

/**
 * The recipe is followed when an earlier statement validated a constraint on this table, or
 * added a validated CHECK (column IS NOT NULL). A constraint added NOT VALID in an earlier
 * migration and validated here counts: its expression is in that earlier file.
 */
function recipeFollowed(
  migration: Migration,
  before: number,
  relation: RangeVar | undefined,
  column: string,
) {
  const earlier = migration.statements
    .slice(0, before)
    .flatMap((s) => commandsOnTable(s, relation));
  return earlier.some(
    (command) =>
      command.subtype === 'AT_ValidateConstraint' ||
      (checksColumnIsNotNull(command, column) && !constraintOf(command)?.skip_validation),
  );
}

export const setNotNull: Rule = {
  id: 'set-not-null',
  summary: 'SET NOT NULL scans the table under an exclusive lock; in pre-deploy it also breaks N.',
  check(statement, migration) {
    return commandsOfType(statement, migration, 'AT_SetNotNull').flatMap(
      ({ relation, command }) => {
        const column = command.name ?? '<column>';
        const table = tableText(relation);
        const col = quoteName(column);
        const scan =
          `PostgreSQL scans all of ${table} under an ACCESS EXCLUSIVE lock to check the column, ` +
          'blocking every read and write for the whole scan, unless a validated CHECK ' +
          `(${col} IS NOT NULL) already proves it (PostgreSQL 12+).`;
        if (migration.phase === 'pre') {
          return [
            hit(
              'error',
              `SET NOT NULL on ${table}.${col} in pre-deploy: version N may still insert rows ` +
                `without ${col}, and those inserts would start failing. ${scan}`,
              `-- move it to post-deploy, once every instance writes ${col}:\n${setNotNullRecipe(relation, column)}`,
            ),
          ];
        }
        if (recipeFollowed(migration, statement.index, relation, column)) return [];
        return [hit('error', scan, setNotNullRecipe(relation, column))];
      },
    );
  },
};
