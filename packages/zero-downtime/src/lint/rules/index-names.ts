/** Index names and index recipes, shared by the index and constraint rules. */
import type { DropStmt, FuncCall, IndexElem, IndexStmt, Node } from 'libpg-query';
import { bareTable, identifier, listOf, names, nodeOf, quoteName, sqlText } from '../ast';

/** PostgreSQL names an expression column after its function, e.g. lower(email) -> lower. */
function expressionName(expression: unknown): string {
  const call = nodeOf<FuncCall>(expression, 'FuncCall');
  return call ? (names(call.funcname).at(-1) ?? 'expr') : 'expr';
}

/** The name PostgreSQL itself gives an unnamed index: table_col1_col2_idx ('expr' for expressions). */
export function defaultIndexName(index: IndexStmt): string {
  const columns = listOf<IndexElem>(index.indexParams, 'IndexElem').map(
    (element) => element.name ?? expressionName(element.expr),
  );
  return identifier([bareTable(index.relation), ...columns], 'idx');
}

export function createIndexConcurrentlySql(index: IndexStmt): string {
  const safe = {
    ...index,
    concurrent: true,
    if_not_exists: true,
    idxname: index.idxname ?? defaultIndexName(index),
  };
  return `${sqlText({ IndexStmt: safe })};`;
}

/** The qualified names of the objects of a DROP statement, quoted. */
export function droppedNames(drop: DropStmt): string[] {
  return listOf<{ items?: Node[] }>(drop.objects, 'List').map((list) =>
    names(list.items).map(quoteName).join('.'),
  );
}

export function dropIndexConcurrentlySql(indexName: string): string {
  return `DROP INDEX CONCURRENTLY IF EXISTS ${indexName};`;
}
