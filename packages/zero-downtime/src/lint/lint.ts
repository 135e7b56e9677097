/**
 * Lints migrations for operations that are unsafe while version N serves traffic
 * (docs/zero-downtime.md, "Dangerous operations"): `.sql` files directly, `.ts` migrations through the SQL the
 * runner captured while executing them.
 */
import {
  loadSqlParser,
  SqlParseError,
  splitParsedStatementsSync,
  splitSqlStatementsSync,
  type SqlStatement,
} from '../sql/split';
import {
  buildMigration,
  runsInOneTransaction,
  type Migration,
  type MigrationInput,
} from './migration';
import { statementLock } from './locks';
import { rules } from './rules';
import {
  isSuppressed,
  parseSqlSuppressions,
  suppressionProblems,
  type Suppression,
} from './suppressions';
import { squawkFindings } from './squawk';
import type { Finding, LockReport, Phase } from './types';

export interface SqlLintOptions {
  file: string;
  phase: Phase;
  /**
   * Whether the runner wraps the file in one transaction. Default: yes, unless the file
   * contains a statement that cannot run in one (CONCURRENTLY, VACUUM) or its own BEGIN/COMMIT.
   */
  transactional?: boolean;
  /** Merge squawk's findings that our rules do not cover (default: yes, when installed). */
  squawk?: boolean;
}

export interface CapturedStatement {
  text: string;
  line?: number;
}

export interface StatementsLintOptions {
  file: string;
  phase: Phase;
  /** Whether the runner ran the migration inside one transaction. */
  transactional: boolean;
  suppressions?: Suppression[];
}

function parseErrorFinding(file: string, error: SqlParseError, statement: string): Finding {
  return {
    rule: 'sql-parse-error',
    severity: 'error',
    file,
    line: error.line,
    statement,
    message:
      `PostgreSQL cannot parse this SQL (${error.parserMessage}, line ${error.line}): the ` +
      'migration would fail, and the linter cannot check what it does.',
    recipe: `-- fix the syntax near line ${error.line}, then run npm run migrate:lint again`,
  };
}

function byPosition(a: Finding, b: Finding): number {
  return a.line - b.line || a.rule.localeCompare(b.rule);
}

/** The lock line of one statement, for `migrate:lint --explain`. */
export interface ExplainedStatement {
  file: string;
  line: number;
  statement: string;
  /** Undefined when the linter does not know what the statement locks (e.g. a DO block). */
  lock: LockReport | undefined;
}

function withLock<T extends object>(
  value: T,
  lock: LockReport | undefined,
): T & { lock?: LockReport } {
  return lock ? { ...value, lock } : value;
}

function runRules(migration: Migration): Finding[] {
  return migration.statements.flatMap((statement) => {
    const lock = statementLock(statement.node);
    return rules.flatMap((rule) =>
      rule.check(statement, migration).map((found) =>
        withLock(
          {
            rule: rule.id,
            severity: found.severity,
            file: migration.file,
            line: statement.line,
            statement: statement.text,
            message: found.message,
            recipe: found.recipe,
          },
          lock,
        ),
      ),
    );
  });
}

function explain(file: string, statements: { text: string; line: number; node: unknown }[]) {
  return statements.map(({ text, line, node }): ExplainedStatement => ({
    file,
    line,
    statement: text,
    lock: statementLock(node),
  }));
}

/** Every statement of a .sql migration with the lock it takes (none when it does not parse). */
export async function explainSql(sql: string, file: string): Promise<ExplainedStatement[]> {
  await loadSqlParser();
  return explain(file, splitParsedStatementsSync(sql));
}

/** Every statement a .ts migration sent, with the lock it takes. */
export async function explainStatements(
  captured: CapturedStatement[],
  file: string,
): Promise<ExplainedStatement[]> {
  await loadSqlParser();
  return captured.flatMap(({ text, line = 0 }) =>
    explain(
      file,
      splitParsedStatementsSync(text).map((statement) => ({ ...statement, line })),
    ),
  );
}

function applySuppressions(findings: Finding[], suppressions: Suppression[], file: string) {
  const kept = findings.filter((finding) => !isSuppressed(finding, suppressions));
  return [...kept, ...suppressionProblems(suppressions, file)].sort(byPosition);
}

/** Lints the text of a .sql migration. */
export async function lintSql(sql: string, options: SqlLintOptions): Promise<Finding[]> {
  await loadSqlParser();
  let statements: SqlStatement[];
  try {
    statements = splitSqlStatementsSync(sql);
  } catch (error) {
    if (!(error instanceof SqlParseError)) throw error;
    const line = sql.split('\n')[error.line - 1]?.trim() ?? '';
    return [parseErrorFinding(options.file, error, line)];
  }
  const transactional = options.transactional ?? runsInOneTransaction(statements);
  const migration = buildMigration(
    statements.map((statement) => ({ statement, line: statement.line })),
    { file: options.file, phase: options.phase, transactional },
  );
  const second =
    options.squawk === false
      ? []
      : await squawkFindings(sql, { file: options.file, statements, transactional });
  const suppressions = parseSqlSuppressions(sql, statements);
  return applySuppressions([...runRules(migration), ...second], suppressions, options.file);
}

/**
 * Lints the SQL a .ts migration sent, in order. A captured text holding several statements
 * was one query: PostgreSQL runs it as one implicit transaction.
 */
export async function lintStatements(
  captured: CapturedStatement[],
  options: StatementsLintOptions,
): Promise<Finding[]> {
  await loadSqlParser();
  const inputs: MigrationInput[] = [];
  const parseErrors: Finding[] = [];
  captured.forEach(({ text, line = 0 }, queryGroup) => {
    try {
      for (const statement of splitSqlStatementsSync(text)) {
        inputs.push({ statement, line, queryGroup });
      }
    } catch (error) {
      if (!(error instanceof SqlParseError)) throw error;
      parseErrors.push({ ...parseErrorFinding(options.file, error, text), line });
    }
  });
  const migration = buildMigration(inputs, options);
  const suppressions = options.suppressions ?? [];
  return applySuppressions([...parseErrors, ...runRules(migration)], suppressions, options.file);
}
