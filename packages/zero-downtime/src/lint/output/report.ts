/**
 * What one lint run produced, as every output format sees it: the files linted (with their
 * phase) and the findings. The JSON format is this object with a version and counts.
 */
import { summarize } from '../format';
import type { Finding, Phase } from '../types';

/** A file the linter judged. */
export interface LintedFile {
  /** As findings name it: relative to the working directory when inside it. */
  file: string;
  phase: Phase;
}

/** The input of every output format. */
export interface LintReport {
  files: LintedFile[];
  findings: Finding[];
}

/** A finding with the phase of its file and a column, as every structured format prints it. */
export type LocatedFinding = Finding & { phase: Phase | undefined; column: number };

/** Version of the JSON document; raised only when a field changes meaning or disappears. */
export const jsonReportVersion = 1;

/**
 * Findings with their phase and column (1: a finding points at the start of its statement's
 * line). Fields a finding gains later (e.g. the lock it takes) pass through unchanged.
 */
export function locatedFindings(report: LintReport): LocatedFinding[] {
  const phases = new Map(report.files.map((file) => [file.file, file.phase]));
  return report.findings.map((finding) => ({
    ...finding,
    phase: phases.get(finding.file),
    column: 1,
  }));
}

/** A finding's message followed by its recipe, as the annotation and SARIF formats show it. */
export function messageWithRecipe(finding: Finding): string {
  return `${finding.message}\n\nSafe way:\n${finding.recipe}`;
}

/**
 * `--format json`: `{ version, errors, warnings, files: [{ file, phase }], findings: [{ rule,
 * severity, phase, file, line, column, message, recipe, statement, ... }] }`.
 */
export function reportToJson(report: LintReport): string {
  const findings = locatedFindings(report).map(
    ({ rule, severity, phase, file, line, column, message, recipe, statement, ...more }) => ({
      rule,
      severity,
      phase,
      file,
      line,
      column,
      message,
      recipe,
      statement,
      ...more,
    }),
  );
  return JSON.stringify(
    {
      version: jsonReportVersion,
      ...summarize(report.findings),
      files: report.files,
      findings,
    },
    null,
    2,
  );
}
