import { statementLock } from '../locks';
import { hit, type Rule } from './rule';

/** Statements the linter has no lock entry for are reported, never passed silently. */
export const notJudged: Rule = {
  id: 'not-judged',
  summary:
    'A statement the linter cannot classify (a DO block, CALL, an unknown command) is reported, not passed.',
  check(statement) {
    if (statementLock(statement.node)) return [];
    return [
      hit(
        'warning',
        `The linter does not judge ${statement.kind.replace(/Stmt$/, '')} statements: it cannot ` +
          'tell which locks this takes or whether version N keeps working. Review it by hand.',
        [
          '-- write what it does as plain SQL statements the linter checks, or, once reviewed:',
          '-- zdm-ignore not-judged: <why it is safe>',
        ].join('\n'),
      ),
    ];
  },
};
