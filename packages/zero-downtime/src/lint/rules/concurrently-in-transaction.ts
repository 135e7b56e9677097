import { isConcurrentStatement } from '../../sql/split';
import { hit, type Rule } from './rule';

export const concurrentlyInTransaction: Rule = {
  id: 'concurrently-in-transaction',
  summary:
    'A statement that cannot run inside a transaction block (CONCURRENTLY, VACUUM) is in one.',
  check(statement, migration) {
    if (!statement.inTransactionBlock || !isConcurrentStatement(statement)) return [];
    const where = migration.transactional
      ? 'this migration runs in one transaction'
      : 'it sits between BEGIN and COMMIT, or shares one query string with other statements';
    return [
      hit(
        'error',
        `This statement cannot run inside a transaction block, and ${where}: PostgreSQL ` +
          'rejects it with "cannot run inside a transaction block" and the migration fails.',
        [
          '-- Run it on its own, in autocommit: in a .sql migration remove BEGIN/COMMIT around it',
          '-- (the runner then runs the file statement by statement); in a .ts migration add',
          '-- `export const transaction = false;` and send this statement in a query of its own:',
          `${statement.text};`,
        ].join('\n'),
      ),
    ];
  },
};
