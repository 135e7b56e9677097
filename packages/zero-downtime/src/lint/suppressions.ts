/**
 * `zdm-ignore` comments: a deliberate, explained exception to a rule.
 *
 *   SQL:        -- zdm-ignore <rule-id>[, <rule-id>]: <reason>
 *               on the lines above a statement; applies to that statement only.
 *   TypeScript: // zdm-ignore <rule-id>[, <rule-id>]: <reason>
 *               anywhere on a line of its own; applies to the whole migration.
 */
import { splitSqlStatementsSync, type SqlStatement } from '../sql/split';
import { lineIndex, scanTrivia } from '../sql/trivia';
import { ruleIds } from './rules';
import { squawkRulePrefix } from './squawk';
import type { Finding } from './types';

export interface Suppression {
  rule: string;
  reason: string;
  /** Line of the comment. */
  line: number;
  /** The line of the statement it applies to; undefined: the whole migration. */
  statementLine?: number;
  comment: string;
}

const marker = 'zdm-ignore';

/** The colon before the reason; the one in a `squawk:<rule>` id is part of the id. */
function reasonSeparator(text: string): number {
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
    const before = text.slice(0, at);
    if (!/(^|[\s,])squawk$/.test(before)) return at;
  }
  return -1;
}

function parseDirective(
  comment: string,
  line: number,
  statementLine: number | undefined,
): Suppression[] {
  const body = comment
    .replace(/^(--|\/\/|\/\*)/, '')
    .replace(/\*\/$/, '')
    .trim();
  if (!body.startsWith(`${marker} `) && body !== marker) return [];
  const rest = body.slice(marker.length).trim();
  const colon = reasonSeparator(rest);
  const head = colon === -1 ? (rest.split(/\s+/)[0] ?? '') : rest.slice(0, colon);
  const reason = colon === -1 ? '' : rest.slice(colon + 1).trim();
  return head
    .split(',')
    .map((rule) => rule.trim())
    .map((rule) => ({ rule, reason, line, statementLine, comment: comment.trim() }));
}

function parseTypeScriptSuppressions(sourceText: string): Suppression[] {
  return sourceText.split('\n').flatMap((text, at) => {
    const trimmed = text.trim();
    return trimmed.startsWith('//') ? parseDirective(trimmed, at + 1, undefined) : [];
  });
}

/**
 * Suppressions in a .sql file, read from the comments the parser placed between statements
 * (comments inside a statement are not read). Each applies to the statement that follows it.
 */
export function parseSqlSuppressions(sql: string, statements: SqlStatement[]): Suppression[] {
  const lineOf = lineIndex(sql);
  let previousEnd = 0;
  const found: Suppression[] = [];
  for (const statement of [...statements, undefined]) {
    const gapEnd = statement ? statement.offset : sql.length;
    const { comments } = scanTrivia(sql.slice(0, gapEnd), previousEnd);
    for (const comment of comments) {
      found.push(...parseDirective(comment.text, lineOf(comment.offset), statement?.line ?? -1));
    }
    if (statement) previousEnd = statement.offset + statement.text.length;
  }
  return found;
}

function isKnownRule(rule: string): boolean {
  return (
    ruleIds.has(rule) ||
    (rule.startsWith(squawkRulePrefix) && rule.length > squawkRulePrefix.length)
  );
}

export function isValid(suppression: Suppression): boolean {
  return isKnownRule(suppression.rule) && suppression.reason.length > 0;
}

export function suppressionProblems(suppressions: Suppression[], file: string): Finding[] {
  return suppressions.flatMap((suppression): Finding[] => {
    const base = {
      severity: 'error' as const,
      file,
      line: suppression.line,
      statement: suppression.comment,
    };
    if (!isKnownRule(suppression.rule)) {
      return [
        {
          ...base,
          rule: 'unknown-rule',
          message: `"${suppression.rule}" is not a rule of the migration linter, so this comment suppresses nothing.`,
          recipe: `-- ${marker} <rule-id>: <reason>   (rule ids: docs/migration-linter.md)`,
        },
      ];
    }
    if (!suppression.reason) {
      return [
        {
          ...base,
          rule: 'suppression-without-reason',
          message:
            `Suppressing ${suppression.rule} needs a reason after a colon: the next person to ` +
            'read this migration must see why the danger does not apply. It suppresses nothing until then.',
          recipe: `-- ${marker} ${suppression.rule}: <why this is safe here>`,
        },
      ];
    }
    return [];
  });
}

export function isSuppressed(finding: Finding, suppressions: Suppression[]): boolean {
  return suppressions.some(
    (suppression) =>
      isValid(suppression) &&
      suppression.rule === finding.rule &&
      (suppression.statementLine === undefined || suppression.statementLine === finding.line),
  );
}

/**
 * Reads the `zdm-ignore` comments of a migration's source. For 'sql', call
 * `await loadSqlParser()` first (the comments are located with the parser).
 */
export function parseSuppressions(
  sourceText: string,
  language: 'ts' | 'sql' = 'ts',
): Suppression[] {
  if (language === 'ts') return parseTypeScriptSuppressions(sourceText);
  return parseSqlSuppressions(sourceText, splitSqlStatementsSync(sourceText));
}
