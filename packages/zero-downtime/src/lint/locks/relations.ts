/** The relations a statement names: targets, referenced tables, and the tables a query reads. */
import type { Node, RangeVar } from 'libpg-query';
import { listOf, names, nodeOf } from '../ast';
import type { LockMode } from '../types';

/** A table named by a qualified-name list (DROP, COMMENT), e.g. ['app', 'users']. */
export function relationOfNames(parts: string[]): RangeVar {
  return { relname: parts.at(-1), schemaname: parts.length > 1 ? parts[0] : undefined };
}

/** The relations of DROP TABLE a, b (each object a List of String nodes). */
export function droppedRelations(objects: Node[] | undefined): RangeVar[] {
  return listOf<{ items?: Node[] }>(objects, 'List').map((list) =>
    relationOfNames(names(list.items)),
  );
}

/** A relation a query touches and the lock that takes: ROW EXCLUSIVE if it writes it. */
export interface QueryAccess {
  relation: RangeVar;
  mode: LockMode;
}

const writing = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'];

/**
 * Every relation in a query tree (CTEs and subqueries included, names of its own CTEs
 * excluded): the targets of INSERT, UPDATE, DELETE and MERGE get ROW EXCLUSIVE, the tables
 * of SELECT ... FOR UPDATE/SHARE ROW SHARE, every other table ACCESS SHARE.
 */
export function queryAccess(query: unknown): QueryAccess[] {
  const found: QueryAccess[] = [];
  const ctes = new Set<string>();
  const targets = new Set<RangeVar>();
  let locking = false;
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const cte = nodeOf<{ ctename?: string }>(node, 'CommonTableExpr')?.ctename;
    if (cte) ctes.add(cte);
    for (const kind of writing) {
      const target = nodeOf<{ relation?: RangeVar }>(node, kind)?.relation;
      if (target) targets.add(target);
    }
    if (nodeOf(node, 'LockingClause')) locking = true;
    const range = nodeOf<RangeVar>(node, 'RangeVar');
    if (range?.relname) found.push({ relation: range, mode: 'ACCESS SHARE' });
    Object.entries(node).forEach(([key, value]) => {
      if (key === 'relation' && targets.has(value as RangeVar)) {
        found.push({ relation: value as RangeVar, mode: 'ROW EXCLUSIVE' });
      } else walk(value);
    });
  };
  walk(query);
  return found
    .filter(({ relation }) => relation.schemaname || !ctes.has(relation.relname ?? ''))
    .map((access) =>
      locking && access.mode === 'ACCESS SHARE' ? { ...access, mode: 'ROW SHARE' } : access,
    );
}
