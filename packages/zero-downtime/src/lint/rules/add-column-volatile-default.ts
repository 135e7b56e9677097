import type { Constraint } from 'libpg-query';
import { quoteName, sqlText, tableText, typeText } from '../ast';
import { backfillCommand, setNotNullRecipe } from '../recipes';
import { columnsAddedToExistingTable, hasConstraint, type AddedColumn } from './alter-table';
import { hit, type Rule, type RuleHit } from './rule';
import { knownVolatileFunctions, volatileCalls, volatilityOf } from '../volatility';

function defaultOf(added: AddedColumn): Constraint | undefined {
  return added.constraints.find((constraint) => constraint.contype === 'CONSTR_DEFAULT');
}

function recipe(added: AddedColumn, expression: string): string {
  const table = tableText(added.relation);
  const col = quoteName(added.name);
  const lines = [
    `ALTER TABLE ${table} ADD COLUMN ${col} ${typeText(added.column.typeName)};`,
    `-- new rows only; setting a default on an existing column rewrites nothing:`,
    `ALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${expression};`,
    '-- fill existing rows in batches, outside the migration:',
    `--   ${backfillCommand(added.relation, `${col} = ${expression}`, `${col} IS NULL`)}`,
  ];
  if (hasConstraint(added, 'CONSTR_NOTNULL')) {
    lines.push('-- then, post-deploy:', setNotNullRecipe(added.relation, added.name));
  }
  return lines.join('\n');
}

function stableHit(added: AddedColumn, expression: string): RuleHit {
  const table = tableText(added.relation);
  return hit(
    'warning',
    `DEFAULT ${expression} is evaluated once (it is stable, not volatile), so PostgreSQL 11+ adds ` +
      `the column without rewriting ${table}; but every existing row gets the same value, the ` +
      'time or setting of this migration. If existing rows need their own values, backfill them.',
    recipe(added, expression),
  );
}

function volatileHit(added: AddedColumn, expression: string, raw: unknown): RuleHit {
  const table = tableText(added.relation);
  const calls = volatileCalls(raw);
  const known = calls.filter((call) => knownVolatileFunctions.has(call.slice(0, -2)));
  const reason = known.length
    ? `${known.join(', ')} gives each row its own value`
    : `the linter cannot prove ${calls.join(', ') || 'it'} is not volatile`;
  return hit(
    'error',
    `DEFAULT ${expression} is not a constant (${reason}): PostgreSQL computes it for every ` +
      `existing row and rewrites the whole of ${table} under an ACCESS EXCLUSIVE lock. Every ` +
      `read and write of ${table} waits until the rewrite ends.`,
    recipe(added, expression),
  );
}

export const addColumnVolatileDefault: Rule = {
  id: 'add-column-volatile-default',
  summary: 'ADD COLUMN with a non-constant DEFAULT rewrites the table under an exclusive lock.',
  check(statement, migration) {
    return columnsAddedToExistingTable(statement, migration).flatMap((added) => {
      const raw = defaultOf(added)?.raw_expr;
      const volatility = volatilityOf(raw);
      if (!raw || volatility === 'constant') return [];
      const expression = sqlText(raw);
      return volatility === 'stable'
        ? [stableHit(added, expression)]
        : [volatileHit(added, expression, raw)];
    });
  },
};
