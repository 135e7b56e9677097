/** Shared shape of the type hygiene warnings: flag declared columns whose type is a trap. */
import type { ColumnDef, TypeName } from 'libpg-query';
import { quoteName, tableText, typeText } from '../ast';
import { declaredColumns, statementWith, type DeclaredColumn } from './declared-columns';
import { hit, type Rule } from './rule';

export interface TypeAdvice {
  id: string;
  summary: string;
  /** The better declaration for this column, or undefined when its type is fine. */
  better(column: DeclaredColumn): ColumnDef | undefined;
  why: string;
}

export function typeNamed(...names: string[]): TypeName {
  return { names: names.map((sval) => ({ String: { sval } })), typemod: -1 };
}

export function withType(column: DeclaredColumn, typeName: TypeName): ColumnDef {
  return { ...column.definition, typeName };
}

export function hygieneRule(advice: TypeAdvice): Rule {
  return {
    id: advice.id,
    summary: advice.summary,
    check(statement) {
      return declaredColumns(statement.node).flatMap((column) => {
        const better = advice.better(column);
        if (!better) return [];
        const where = `${tableText(column.relation)}.${quoteName(column.name)}`;
        return [
          hit(
            'warning',
            `${where} is declared ${typeText(column.typeName)}: ${advice.why}`,
            statementWith(statement.node, column, better),
          ),
        ];
      });
    },
  };
}
