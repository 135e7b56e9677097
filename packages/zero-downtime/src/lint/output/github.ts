/**
 * `--format github`: one workflow command per finding (`::error file=…,line=…,title=…::…`),
 * which GitHub shows as an annotation on that line of the pull request, and a Markdown table
 * for the job summary ($GITHUB_STEP_SUMMARY), one row per finding.
 */
import { summarize } from '../format';
import { locatedFindings, messageWithRecipe, type LintReport, type LocatedFinding } from './report';

/** Escapes a workflow command's message: `%`, CR and LF. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value: the message's escapes plus `:` and `,`. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function commandOf(severity: string): 'error' | 'warning' | 'notice' {
  return severity === 'error' || severity === 'warning' ? severity : 'notice';
}

function titleOf(finding: LocatedFinding): string {
  return finding.phase ? `${finding.rule} (${finding.phase}-deploy)` : finding.rule;
}

function annotation(finding: LocatedFinding): string {
  const properties = [
    `file=${escapeCommandProperty(finding.file)}`,
    ...(finding.line > 0 ? [`line=${finding.line}`, `col=${finding.column}`] : []),
    `title=${escapeCommandProperty(titleOf(finding))}`,
  ].join(',');
  return `::${commandOf(finding.severity)} ${properties}::${escapeCommandData(messageWithRecipe(finding))}`;
}

/** The workflow commands, one line per finding, and a closing count. */
export function reportToGithubCommands(report: LintReport): string {
  const { errors, warnings } = summarize(report.findings);
  const lines = locatedFindings(report).map(annotation);
  lines.push(`Migration lint: ${errors} error(s), ${warnings} warning(s).`);
  return lines.join('\n');
}

/** A Markdown table cell: `|` escaped, line breaks as <br>. */
export function markdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** The job summary: a heading, the counts, and one table row per finding. */
export function reportToMarkdownSummary(report: LintReport): string {
  const { errors, warnings } = summarize(report.findings);
  const heading = `## Migration lint\n\n${report.files.length} file(s), ${errors} error(s), ${warnings} warning(s).\n`;
  if (report.findings.length === 0) return `${heading}\nNo unsafe operations found.\n`;
  const rows = locatedFindings(report).map((finding) => {
    const where = finding.line > 0 ? `${finding.file}:${finding.line}` : finding.file;
    const cells = [finding.severity, finding.rule, finding.phase ?? '', where, finding.message];
    return `| ${cells.map(markdownCell).join(' | ')} |`;
  });
  return [
    heading,
    '| Severity | Rule | Phase | Where | Why |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
