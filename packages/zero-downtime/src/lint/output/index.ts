/** The linter's output formats: text (format.ts), json, sarif and github. */
export { jsonReportVersion, locatedFindings, reportToJson } from './report';
export type { LintedFile, LintReport, LocatedFinding } from './report';
export { artifactUri, reportToSarif } from './sarif';
export type { SarifOptions } from './sarif';
export {
  escapeCommandData,
  escapeCommandProperty,
  markdownCell,
  reportToGithubCommands,
  reportToMarkdownSummary,
} from './github';
