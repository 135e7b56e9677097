import type { ColumnDef } from 'libpg-query';
import { typeBaseName } from '../ast';
import type { DeclaredColumn } from './declared-columns';
import { hygieneRule, typeNamed, withType } from './hygiene';

const smallSerials = new Set(['serial', 'serial4', 'smallserial', 'serial2']);
const smallIntegers = new Set(['int4', 'int2']);
const bigint = typeNamed('pg_catalog', 'int8');

/** serial becomes an identity column: the SQL-standard successor, with the same behaviour. */
function asBigintIdentity(column: DeclaredColumn): ColumnDef {
  const identity = { Constraint: { contype: 'CONSTR_IDENTITY' as const, generated_when: 'd' } };
  const constraints = [identity, ...(column.definition.constraints ?? [])];
  return { ...withType(column, bigint), constraints };
}

export const preferBigintKey = hygieneRule({
  id: 'prefer-bigint-key',
  summary: 'int / serial primary keys: prefer bigint.',
  better(column) {
    if (!column.primaryKey) return undefined;
    const base = typeBaseName(column.typeName);
    if (smallSerials.has(base)) return asBigintIdentity(column);
    return smallIntegers.has(base) ? withType(column, bigint) : undefined;
  },
  why:
    'an int key runs out at 2,147,483,647 rows (ids are never reused, so sooner than it seems), ' +
    'and widening it later rewrites the table and every table referencing it.',
});
