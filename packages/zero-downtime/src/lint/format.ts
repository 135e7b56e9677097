/** Human-readable output for findings (the other formats: ./output). */
import type { Finding } from './types';

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

function formatFinding(finding: Finding): string {
  const where = finding.line > 0 ? `${finding.file}:${finding.line}` : finding.file;
  return [
    `${where}  ${finding.severity}  ${finding.rule}`,
    indent(firstLine(finding.statement), '  > '),
    indent(finding.message, '  '),
    '  Safe way:',
    indent(finding.recipe, '    '),
  ].join('\n');
}

export function summarize(findings: Finding[]): { errors: number; warnings: number } {
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  return { errors, warnings: findings.length - errors };
}

/** One block per finding, then a count; suitable for a terminal or a CI log. */
export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return 'No unsafe operations found.';
  const { errors, warnings } = summarize(findings);
  const blocks = findings.map(formatFinding).join('\n\n');
  return `${blocks}\n\n${errors} error(s), ${warnings} warning(s).`;
}
