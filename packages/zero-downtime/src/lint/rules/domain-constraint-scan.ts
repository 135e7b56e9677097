import type { AlterDomainStmt, Constraint } from 'libpg-query';
import { names, nodeOf, quoteName, sqlText } from '../ast';
import { hit, type Rule } from './rule';

/**
 * ALTER DOMAIN ADD CONSTRAINT (without NOT VALID), SET NOT NULL and VALIDATE CONSTRAINT check
 * every column of the domain in every table, holding SHARE on each table (writes wait).
 */
export const domainConstraintScan: Rule = {
  id: 'domain-constraint-scan',
  summary:
    'ALTER DOMAIN ADD CONSTRAINT without NOT VALID, SET NOT NULL or VALIDATE scans every table using the domain, blocking its writes.',
  check(statement) {
    const alter = nodeOf<AlterDomainStmt>(statement.node, 'AlterDomainStmt');
    if (!alter) return [];
    const domain = names(alter.typeName).map(quoteName).join('.');
    const constraint = nodeOf<Constraint>(alter.def, 'Constraint');
    const scanWarning = (what: string, severity: 'error' | 'warning', recipe: string) =>
      hit(
        severity,
        `${what} on domain ${domain} checks every row of every table with a column of this ` +
          'domain while holding a SHARE lock on each: all writes to those tables wait until ' +
          'the scan ends.',
        recipe,
      );
    if (alter.subtype === 'C' && constraint && !constraint.skip_validation) {
      const name = quoteName(constraint.conname ?? `${names(alter.typeName).at(-1)}_check`);
      return [
        scanWarning(
          'ADD CONSTRAINT without NOT VALID',
          'error',
          [
            '-- new values are checked at once, existing rows are not:',
            `ALTER DOMAIN ${domain} ADD CONSTRAINT ${name} ${sqlText({ Constraint: { ...constraint, conname: undefined } })} NOT VALID;`,
            '-- VALIDATE on a domain still blocks writes while it scans: run it when the tables',
            '-- are small or quiet, or put a CHECK ... NOT VALID + VALIDATE on each table instead.',
          ].join('\n'),
        ),
      ];
    }
    if (alter.subtype === 'O') {
      return [
        scanWarning(
          'SET NOT NULL',
          'error',
          [
            `-- NOT NULL as a domain CHECK, added without a scan:`,
            `ALTER DOMAIN ${domain} ADD CONSTRAINT ${quoteName(`${names(alter.typeName).at(-1)}_not_null`)} CHECK (VALUE IS NOT NULL) NOT VALID;`,
          ].join('\n'),
        ),
      ];
    }
    if (alter.subtype === 'V') {
      return [
        scanWarning(
          'VALIDATE CONSTRAINT',
          'warning',
          '-- run it when the tables using the domain are small or quiet; unlike a table CHECK,\n-- a domain VALIDATE blocks writes.',
        ),
      ];
    }
    return [];
  },
};
