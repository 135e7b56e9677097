import type { Phase } from '../core/phase';

export type { Phase };
export type Severity = 'error' | 'warning';

/** PostgreSQL's table-level lock modes, weakest first (docs: "Explicit Locking", table 13.2). */
export const lockModes = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;
export type LockMode = (typeof lockModes)[number];

/** One relation a statement locks, and what live traffic that lock stops. */
export interface RelationLock {
  /** The relation as written in the statement, e.g. 'users' or 'app.orders'. */
  relation: string;
  mode: LockMode;
  /** In words: 'reads and writes', 'writes', 'other schema changes', or 'nothing'. */
  blocks: string;
  /** Set when the relation is an index: the mode taken on the index's table as well. */
  tableOfIndex?: LockMode;
}

/**
 * What a statement does to the relations it touches: the lock it holds on each until its
 * transaction ends, and whether it rewrites a table, scans one, or only touches the catalog.
 */
export interface LockReport {
  locks: RelationLock[];
  /** rewrite: copies every row; scan: reads every row; rows: reads or changes rows; none: no lock. */
  work: 'rewrite' | 'scan' | 'rows' | 'catalog' | 'none';
  /** One line for people, e.g. 'ACCESS EXCLUSIVE on users (blocks reads and writes); catalog only'. */
  summary: string;
}

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
  /** The lock the statement takes (absent for findings about the file, e.g. a parse error). */
  lock?: LockReport;
}

/** What a rule reports for one statement; the linter adds rule, file, line and statement. */
export interface RuleHit {
  severity: Severity;
  message: string;
  recipe: string;
}
