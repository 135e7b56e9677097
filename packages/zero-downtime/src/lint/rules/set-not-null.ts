import type { AlterTableCmd, Constraint, NullTest, RangeVar } from 'libpg-query';
import { alterCommands, constraintOf, names, nodeOf, quoteName, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { setNotNullRecipe } from '../recipes';
import { commandsOfType } from './alter-table';
import { constraintName } from './constraint-sql';
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
 * The recipe is followed when an earlier statement of this migration added a CHECK (column IS
 * NOT NULL) that is validated by now, or validated a constraint this migration did not add
 * whose name mentions the column (added NOT VALID by an earlier migration, e.g.
 * users_email_not_null): its expression is in that earlier file.
 */
function recipeFollowed(
  migration: Migration,
  before: number,
  relation: RangeVar | undefined,
  column: string,
): boolean {
  const earlier = migration.statements
    .slice(0, before)
    .flatMap((statement) => commandsOnTable(statement, relation));
  const validated = new Set(
    earlier
      .filter((command) => command.subtype === 'AT_ValidateConstraint')
      .map((command) => command.name ?? ''),
  );
  const checks = earlier
    .filter((command) => checksColumnIsNotNull(command, column))
    .map((command) => constraintOf(command) as Constraint);
  const checkNames = new Set(checks.map((check) => constraintName(relation, check)));
  const validChecks = checks.filter(
    (check) => !check.skip_validation || validated.has(constraintName(relation, check)),
  );
  const validatedElsewhere = [...validated].filter(
    (name) => !checkNames.has(name) && name.toLowerCase().includes(column.toLowerCase()),
  );
  return validChecks.length > 0 || validatedElsewhere.length > 0;
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
        const message = `SET NOT NULL on ${table}.${col}: ${scan}`;
        return [hit('error', message, setNotNullRecipe(relation, column))];
      },
    );
  },
};
