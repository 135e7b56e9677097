import type { AnalyzedStatement, Migration } from '../migration';
import type { RuleHit, Severity } from '../types';

export type { RuleHit } from '../types';

export interface Rule {
  /** Stable id: used in findings, suppressions and docs/migration-linter.md. */
  id: string;
  /** One line for the docs and for `migrate:lint --rules`. */
  summary: string;
  check(statement: AnalyzedStatement, migration: Migration): RuleHit[];
}

export function hit(severity: Severity, message: string, recipe: string): RuleHit {
  return { severity, message, recipe };
}
