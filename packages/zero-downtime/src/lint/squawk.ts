/**
 * Squawk (squawk-cli, a Rust migration linter shipped inside its npm package) as a second
 * opinion on .sql files. Each of its rules is decided in squawkRules: dropped when our own
 * rules or the runner cover it (lock and statement timeouts, retries), otherwise merged as a
 * `squawk:<rule>` error or warning by what it means for version N. Optional: without the binary (production installs omit dev
 * dependencies) the linter runs on its own rules.
 */
import { spawn } from 'node:child_process';
import type { SqlStatement } from '../sql/split';
import { statementLock } from './locks';
import type { Finding, Severity } from './types';

interface SquawkViolation {
  line: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

/** What a squawk rule's finding means in the phase model: how it counts, and why. */
export interface SquawkRuleMeaning {
  /** 'ignored': dropped, because a rule of ours (or the runner) covers it. */
  severity: Severity | 'ignored';
  /** Why, for docs/migration-linter.md; for ignored rules, which of our rules covers it. */
  reason: string;
}

const coveredBy = (rule: string): SquawkRuleMeaning => ({
  severity: 'ignored',
  reason: `covered by ${rule}`,
});

/**
 * Every rule of squawk-cli 2.61.0 (names accepted by its --exclude), decided one by one.
 * A rule squawk adds later and this table lacks counts as a warning until it is decided here.
 */
export const squawkRules: Readonly<Record<string, SquawkRuleMeaning>> = {
  'adding-field-with-default': coveredBy('add-column-volatile-default'),
  'adding-foreign-key-constraint': coveredBy('add-foreign-key-validated'),
  'adding-not-nullable-field': coveredBy('set-not-null'),
  'adding-required-field': coveredBy('add-column-not-null-without-default'),
  'adding-serial-primary-key-field': coveredBy('add-primary-key and add-column-serial-or-identity'),
  'ban-alter-domain-with-add-constraint': coveredBy('domain-constraint-scan'),
  'ban-char-field': coveredBy('prefer-text'),
  'ban-concurrent-index-creation-in-transaction': coveredBy('concurrently-in-transaction'),
  'ban-create-domain-with-constraint': {
    severity: 'warning',
    reason:
      'a new domain blocks no one, but changing its CHECK later scans every table using it (domain-constraint-scan): prefer a CHECK on each column',
  },
  'ban-drop-column': coveredBy('drop-column'),
  'ban-drop-database': {
    severity: 'error',
    reason: 'no version survives it, in either phase',
  },
  'ban-drop-not-null': coveredBy('drop-not-null'),
  'ban-drop-table': coveredBy('drop-table'),
  'ban-truncate-cascade': {
    severity: 'error',
    reason: 'empties every table with a foreign key to it, which the statement does not name',
  },
  'ban-uncommitted-transaction': {
    severity: 'error',
    reason: 'a BEGIN without COMMIT: the runner cannot tell what commits, and the migration fails',
  },
  'changing-column-type': coveredBy('alter-column-type'),
  'constraint-missing-not-valid': coveredBy(
    'add-check-validated, add-foreign-key-validated and validate-in-same-transaction',
  ),
  'disallowed-unique-constraint': coveredBy('add-unique-constraint'),
  'identifier-too-long': {
    severity: 'warning',
    reason: 'PostgreSQL truncates names to 63 bytes: the object gets another name than written',
  },
  'prefer-bigint-over-int': coveredBy('prefer-bigint-key'),
  'prefer-bigint-over-smallint': coveredBy('prefer-bigint-key'),
  'prefer-identity': {
    severity: 'warning',
    reason:
      'schema hygiene, like our prefer-* rules: serial columns complicate ownership and grants',
  },
  'prefer-repack': coveredBy('exclusive-table-operation'),
  'prefer-robust-stmts': coveredBy(
    'concurrent-index-without-if-exists (the runner retries the rest in one transaction)',
  ),
  'prefer-text-field': coveredBy('prefer-text'),
  'prefer-timestamp-tz': coveredBy('prefer-timestamptz'),
  'prefer-timestamptz': coveredBy('prefer-timestamptz'),
  'renaming-column': coveredBy('rename-column'),
  'renaming-table': coveredBy('rename-table'),
  'require-concurrent-index-creation': coveredBy('create-index-non-concurrent'),
  'require-concurrent-index-deletion': coveredBy('drop-index-non-concurrent'),
  'require-concurrent-partition-detach': coveredBy('detach-partition-non-concurrent'),
  'require-concurrent-reindex': coveredBy('exclusive-table-operation'),
  'require-enum-value-ordering': {
    severity: 'ignored',
    reason:
      'where a new enum value sorts changes neither version N nor N+1 (enum-value-used-in-transaction covers its use)',
  },
  'require-lock-timeout': coveredBy('the runner, which sets lock_timeout and retries'),
  'require-statement-timeout': coveredBy('the runner, which sets statement_timeout'),
  'require-table-schema': {
    severity: 'ignored',
    reason: 'a naming style (opt-in in squawk): the app uses the search_path',
  },
  'require-timeout-settings': coveredBy(
    'the runner, which sets lock_timeout and statement_timeout',
  ),
  'syntax-error': coveredBy('sql-parse-error'),
  'transaction-nesting': {
    severity: 'error',
    reason:
      'a BEGIN inside a transaction: PostgreSQL ignores it, and the COMMIT after it commits early',
  },
};

/** How a squawk rule counts: its decided meaning, or a warning for a rule not decided yet. */
export function squawkSeverity(rule: string): Severity | 'ignored' {
  return squawkRules[rule]?.severity ?? 'warning';
}

export const squawkRulePrefix = 'squawk:';

/** The native binary of squawk-cli's platform package (its node wrapper costs ~200 ms a run). */
export function squawkBinary(): string | undefined {
  const name = process.platform === 'win32' ? 'squawk.exe' : 'squawk';
  try {
    return require.resolve(`@squawk-cli/${process.platform}-${process.arch}/bin/${name}`);
  } catch {
    return undefined;
  }
}

function runSquawk(binary: string, sql: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', () => resolve(undefined));
    // Exit code 1 means "found violations"; anything else is a failure to run.
    child.on('close', (code) => resolve(code === 0 || code === 1 ? output : undefined));
    child.stdin.end(sql);
  });
}

function statementAt(statements: SqlStatement[], line: number): SqlStatement | undefined {
  return [...statements].reverse().find((statement) => statement.line <= line);
}

function toFinding(
  violation: SquawkViolation,
  severity: Severity,
  file: string,
  statements: SqlStatement[],
): Finding {
  const line = violation.line + 1;
  const statement = statementAt(statements, line);
  const lock = statementLock(statement?.node);
  return {
    ...(lock ? { lock } : {}),
    rule: `${squawkRulePrefix}${violation.rule_name}`,
    severity,
    file,
    line: statement?.line ?? line,
    statement: statement?.text ?? '',
    message: violation.message,
    recipe: violation.help ? `-- ${violation.help}` : '-- see https://squawkhq.com/docs/rules',
  };
}

export async function squawkFindings(
  sql: string,
  options: { file: string; statements: SqlStatement[]; transactional: boolean },
): Promise<Finding[]> {
  const binary = squawkBinary();
  if (!binary || options.statements.length === 0) return [];
  const args = ['--reporter', 'json', '--stdin-filepath', options.file];
  if (options.transactional) args.push('--assume-in-transaction');
  const output = await runSquawk(binary, sql, args);
  let violations: SquawkViolation[];
  try {
    violations = JSON.parse(output ?? '[]') as SquawkViolation[];
  } catch {
    return [];
  }
  return violations.flatMap((violation) => {
    const severity = squawkSeverity(violation.rule_name);
    return severity === 'ignored'
      ? []
      : [toFinding(violation, severity, options.file, options.statements)];
  });
}
