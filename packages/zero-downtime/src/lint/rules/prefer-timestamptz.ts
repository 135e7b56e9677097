import { typeBaseName } from '../ast';
import { hygieneRule, typeNamed, withType } from './hygiene';

export const preferTimestamptz = hygieneRule({
  id: 'prefer-timestamptz',
  summary: 'timestamp without time zone: prefer timestamptz.',
  better: (column) =>
    typeBaseName(column.typeName) === 'timestamp'
      ? withType(column, typeNamed('timestamptz'))
      : undefined,
  why:
    'timestamp without time zone stores wall-clock time with no zone: the same instant reads ' +
    'differently from servers or sessions in other zones, and DST changes create duplicates. ' +
    'timestamptz stores an instant.',
});
