/** Public API of the zero-downtime migration linter. */
export { lintSql, lintStatements } from './lint';
export type { CapturedStatement, SqlLintOptions, StatementsLintOptions } from './lint';
export { formatFindings, summarize } from './format';
export * from './output';
export { parseSuppressions } from './suppressions';
export type { Suppression } from './suppressions';
export { rules, ruleIds, linterRuleIds } from './rules';
export type { Finding, Severity } from './types';
