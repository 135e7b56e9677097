/** Names of the non-table objects DROP, RENAME and ALTER statements name, for messages. */
import type { Node } from 'libpg-query';
import { names, nodeOf, quoteName } from '../ast';

function qualified(parts: string[]): string {
  return parts.map(quoteName).join('.');
}

/** One object of a DROP / ALTER list: a name, a qualified name, a type, or a function. */
export function objectName(node: unknown): string {
  const single = nodeOf<{ sval?: string }>(node, 'String')?.sval;
  if (single !== undefined) return quoteName(single);
  const list = nodeOf<{ items?: Node[] }>(node, 'List');
  if (list) return qualified(names(list.items));
  const type = nodeOf<{ names?: Node[] }>(node, 'TypeName');
  if (type) return qualified(names(type.names));
  const routine = nodeOf<{ objname?: Node[] }>(node, 'ObjectWithArgs');
  if (routine) return `${qualified(names(routine.objname))}()`;
  return '<object>';
}

/** The SQL keyword of an object type, e.g. OBJECT_MATVIEW → 'MATERIALIZED VIEW'. */
export function objectKeyword(type: string | undefined): string {
  const keyword = (type ?? 'OBJECT_OBJECT').replace(/^OBJECT_/, '');
  const spelled: Record<string, string> = {
    MATVIEW: 'MATERIALIZED VIEW',
    FOREIGN_TABLE: 'FOREIGN TABLE',
    TABCONSTRAINT: 'CONSTRAINT',
  };
  return spelled[keyword] ?? keyword.replace(/_/g, ' ');
}
