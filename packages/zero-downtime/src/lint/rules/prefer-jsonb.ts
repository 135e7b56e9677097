import { typeBaseName } from '../ast';
import { hygieneRule, typeNamed, withType } from './hygiene';

export const preferJsonb = hygieneRule({
  id: 'prefer-jsonb',
  summary: 'json columns: prefer jsonb.',
  better: (column) =>
    typeBaseName(column.typeName) === 'json' ? withType(column, typeNamed('jsonb')) : undefined,
  why:
    'json stores the raw text, has no equality operator (DISTINCT, GROUP BY, UNION and ' +
    'row comparisons fail) and cannot be indexed with GIN; jsonb has none of these traps.',
});
