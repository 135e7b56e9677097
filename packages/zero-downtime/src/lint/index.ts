/** Public API of the zero-downtime migration linter. */
export { explainSql, explainStatements, lintSql, lintStatements } from './lint';
export type {
  CapturedStatement,
  ExplainedStatement,
  SqlLintOptions,
  StatementsLintOptions,
} from './lint';
export { formatExplained, formatFindings, lockLine, summarize } from './format';
export { statementLock } from './locks';
export * from './output';
export { parseSuppressions } from './suppressions';
export type { Suppression } from './suppressions';
export { rules, ruleIds, linterRuleIds } from './rules';
export { lockModes } from './types';
export type { Finding, LockMode, LockReport, RelationLock, Severity } from './types';
