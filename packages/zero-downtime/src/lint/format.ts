/** Human-readable output for findings and for --explain (the other formats: ./output). */
import { PLAIN, type Style } from '../core/terminal';
import type { ExplainedStatement } from './lint';
import type { Finding, LockReport } from './types';

function firstLine(statement: string): string {
  const [first, ...rest] = statement.split('\n');
  const shortened = first.length > 100 ? `${first.slice(0, 97)}...` : first;
  return rest.length > 0 ? `${shortened} ...` : shortened;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

function whereOf({ file, line }: { file: string; line: number }): string {
  return line > 0 ? `${file}:${line}` : file;
}

/** The lock line: 'Lock: ACCESS EXCLUSIVE on users: blocks reads and writes; catalog only'. */
export function lockLine(lock: LockReport | undefined): string {
  return `Lock: ${lock?.summary ?? 'not known (the linter has no lock entry for this statement)'}`;
}

function formatFinding(finding: Finding, style: Style): string {
  const severity = finding.severity === 'error' ? style.error : style.warning;
  return [
    `${style.strong(whereOf(finding))}  ${severity(finding.severity)}  ${finding.rule}`,
    style.dim(indent(firstLine(finding.statement), '  > ')),
    ...(finding.lock ? [`  ${lockLine(finding.lock)}`] : []),
    indent(finding.message, '  '),
    style.ok('  Safe way:'),
    indent(finding.recipe, '    '),
  ].join('\n');
}

export function summarize(findings: Finding[]): { errors: number; warnings: number } {
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  return { errors, warnings: findings.length - errors };
}

/**
 * One block per finding, then a count; suitable for a terminal or a CI log. Plain text unless
 * given a style (the command line passes `styleFor(process.stdout)`).
 */
export function formatFindings(findings: Finding[], style: Style = PLAIN): string {
  if (findings.length === 0) return style.ok('No unsafe operations found.');
  const { errors, warnings } = summarize(findings);
  const blocks = findings.map((finding) => formatFinding(finding, style)).join('\n\n');
  const count = `${errors} error(s), ${warnings} warning(s).`;
  return `${blocks}\n\n${errors > 0 ? style.error(count) : style.warning(count)}`;
}

/** `migrate:lint --explain`: every statement with the lock it takes, in file order. */
export function formatExplained(statements: ExplainedStatement[]): string {
  if (statements.length === 0) return 'No statements to explain.';
  return statements
    .map((explained) =>
      [
        whereOf(explained),
        indent(firstLine(explained.statement), '  > '),
        `  ${lockLine(explained.lock)}`,
      ].join('\n'),
    )
    .join('\n\n');
}
