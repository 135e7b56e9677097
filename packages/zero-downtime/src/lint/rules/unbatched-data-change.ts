import type {
  DeleteStmt,
  InsertStmt,
  MergeStmt,
  RangeVar,
  ResTarget,
  SelectStmt,
  UpdateStmt,
} from 'libpg-query';
import { listOf, nodeKind, nodeOf, quoteName, sqlText, tableText } from '../ast';
import { backfillCommand } from '../recipes';
import { hit, type Rule, type RuleHit } from './rule';

interface DataChange {
  verb: string;
  relation: RangeVar | undefined;
  recipe: string;
}

function updateRecipe(update: UpdateStmt): string {
  const set = listOf<ResTarget>(update.targetList, 'ResTarget')
    .map((target) => `${quoteName(target.name ?? '<column>')} = ${sqlText(target.val)}`)
    .join(', ');
  const where = update.whereClause ? sqlText(update.whereClause) : undefined;
  const lines = [
    '-- a resumable backfill in short batches by key, outside the migration:',
    backfillCommand(update.relation, set, where, 'update'),
  ];
  if (update.fromClause?.length) lines.unshift('-- (rewrite the FROM join as a subquery in --set)');
  return lines.join('\n');
}

function deleteRecipe(remove: DeleteStmt): string {
  const table = tableText(remove.relation);
  const where = remove.whereClause ? ` WHERE ${sqlText(remove.whereClause)}` : '';
  return [
    '-- outside the migration, in short transactions, repeated until it deletes 0 rows:',
    `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table}${where} LIMIT 1000);`,
  ].join('\n');
}

function copyRecipe(relation: RangeVar | undefined): string {
  return [
    '-- outside the migration, in chunks by key (keyset pagination, never OFFSET), each its own',
    '-- short transaction, resuming from the last key copied:',
    `INSERT INTO ${tableText(relation)} SELECT ... WHERE <key> > <last key copied> ORDER BY <key> LIMIT 1000;`,
  ].join('\n');
}

function copiesRows(insert: InsertStmt): boolean {
  const select = nodeOf<SelectStmt>(insert.selectStmt, 'SelectStmt');
  return insert.selectStmt !== undefined && !select?.valuesLists;
}

function dataChange(node: unknown): DataChange | undefined {
  const update = nodeOf<UpdateStmt>(node, 'UpdateStmt');
  if (update) return { verb: 'UPDATE', relation: update.relation, recipe: updateRecipe(update) };
  const remove = nodeOf<DeleteStmt>(node, 'DeleteStmt');
  if (remove) return { verb: 'DELETE', relation: remove.relation, recipe: deleteRecipe(remove) };
  const merge = nodeOf<MergeStmt>(node, 'MergeStmt');
  if (merge) return { verb: 'MERGE', relation: merge.relation, recipe: copyRecipe(merge.relation) };
  const insert = nodeOf<InsertStmt>(node, 'InsertStmt');
  if (insert && copiesRows(insert)) {
    return {
      verb: 'INSERT ... SELECT',
      relation: insert.relation,
      recipe: copyRecipe(insert.relation),
    };
  }
  return undefined;
}

/** The statement itself, or data-modifying CTEs of a WITH query. */
function dataChanges(node: unknown): DataChange[] {
  const own = dataChange(node);
  const fields = nodeOf<{ withClause?: { ctes?: never[] } }>(node, nodeKind(node));
  const ctes = listOf<{ ctequery?: unknown }>(fields?.withClause?.ctes, 'CommonTableExpr');
  return [...(own ? [own] : []), ...ctes.flatMap((cte) => dataChanges(cte.ctequery))];
}

function changeHit({ verb, relation, recipe }: DataChange): RuleHit {
  const table = tableText(relation);
  return hit(
    'error',
    `${verb} on ${table} inside a migration changes every matching row in one transaction: ` +
      `the row locks it holds until commit block version N's writes to those rows, the table ` +
      'bloats, replicas lag, and the migration transaction (with any DDL lock it took) stays ' +
      'open for as long as the rows take.',
    recipe,
  );
}

export const unbatchedDataChange: Rule = {
  id: 'unbatched-data-change',
  summary: 'UPDATE / DELETE / INSERT ... SELECT / MERGE of an existing table in a migration.',
  check(statement, migration) {
    return dataChanges(statement.node)
      .filter((change) => !migration.isNewTable(change.relation, statement.index))
      .map(changeHit);
  },
};
