import { typeBaseName } from '../ast';
import { hygieneRule } from './hygiene';

export const preferJsonb = hygieneRule({
  id: 'prefer-jsonb',
  summary: 'json columns: prefer jsonb.',
  betterType: (column) => (typeBaseName(column.typeName) === 'json' ? 'jsonb' : undefined),
  why:
    'json stores the raw text, has no equality operator (DISTINCT, GROUP BY, UNION and ' +
    'row comparisons fail) and cannot be indexed with GIN; jsonb has none of these traps.',
});
