import { typeBaseName, typeModifiers } from '../ast';
import { hygieneRule, typeNamed, withType } from './hygiene';

export const preferText = hygieneRule({
  id: 'prefer-text',
  summary: 'char(n) and varchar(n) columns: prefer text (with a CHECK if a limit is a rule).',
  better(column) {
    const base = typeBaseName(column.typeName);
    const limited = base === 'varchar' && typeModifiers(column.typeName).length > 0;
    return base === 'bpchar' || limited ? withType(column, typeNamed('text')) : undefined;
  },
  why:
    'char(n) pads with spaces that comparisons then ignore or keep inconsistently, and raising ' +
    'a varchar(n) limit later is a schema change of its own; text is as fast. If the length is ' +
    'a business rule, add CHECK (char_length(col) <= n) NOT VALID instead.',
});
