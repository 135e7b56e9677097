import type { Phase } from '../core/phase';

export type { Phase };
export type Severity = 'error' | 'warning';

/** One problem found in a migration. Plain data: serialise it with JSON.stringify as is. */
export interface Finding {
  /** Stable rule id, e.g. 'create-index-non-concurrent' (see docs/migration-linter.md). */
  rule: string;
  severity: Severity;
  file: string;
  /** 1-based line of the statement in the file; 0 when unknown (captured SQL without lines). */
  line: number;
  statement: string;
  /** What is dangerous and why: which lock, what happens to live traffic or to version N. */
  message: string;
  /** The safe way, as ready-to-paste SQL with the migration's own names filled in. */
  recipe: string;
}

/** What a rule reports for one statement; the linter adds rule, file, line and statement. */
export interface RuleHit {
  severity: Severity;
  message: string;
  recipe: string;
}
