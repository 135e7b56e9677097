/** Public API of the zero-downtime migration linter. */
export { lintSql, lintStatements } from './lint';
export type { CapturedStatement, SqlLintOptions, StatementsLintOptions } from './lint';
export { formatFindings, findingsToJson, summarize } from './format';
export { parseSuppressions } from './suppressions';
export type { Suppression } from './suppressions';
export { rules, ruleIds, linterRuleIds } from './rules';
export { lockModes } from './types';
export type { Finding, LockMode, LockReport, RelationLock, Severity } from './types';
