/** Shared shape of the type hygiene warnings: flag declared columns whose type is a trap. */
import { quoteName, tableText, typeText } from '../ast';
import { declaredColumns, withType, type DeclaredColumn } from './declared-columns';
import { hit, type Rule } from './rule';

export interface TypeAdvice {
  id: string;
  summary: string;
  /** The better type for this column, or undefined when its type is fine. */
  betterType(column: DeclaredColumn): string | undefined;
  why: string;
}

export function hygieneRule(advice: TypeAdvice): Rule {
  return {
    id: advice.id,
    summary: advice.summary,
    check(statement) {
      return declaredColumns(statement.node).flatMap((column) => {
        const better = advice.betterType(column);
        if (!better) return [];
        const where = `${tableText(column.relation)}.${quoteName(column.name)}`;
        return [
          hit(
            'warning',
            `${where} is declared ${typeText(column.typeName)}: ${advice.why}`,
            withType(column, better),
          ),
        ];
      });
    },
  };
}
