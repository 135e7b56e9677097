/**
 * Squawk (squawk-cli, a Rust migration linter shipped inside its npm package) as a second
 * opinion on .sql files. Its findings that our own rules already cover, or that the runner
 * handles (lock and statement timeouts, retries), are dropped; the rest are merged as
 * `squawk:<rule>` warnings. Optional: without the binary (production installs omit dev
 * dependencies) the linter runs on its own rules.
 */
import { spawn } from 'node:child_process';
import type { SqlStatement } from '../sql/split';
import { statementLock } from './locks';
import type { Finding } from './types';

interface SquawkViolation {
  line: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

/** Squawk rules that duplicate a rule of ours, or that the runner makes moot. */
const alreadyCovered = new Set([
  'adding-field-with-default',
  'adding-foreign-key-constraint',
  'adding-not-nullable-field',
  'adding-primary-key-constraint',
  'adding-required-field',
  'adding-serial-primary-key-field',
  'ban-char-field',
  'ban-concurrent-index-creation-in-transaction',
  'ban-drop-column',
  'ban-drop-not-null',
  'ban-drop-table',
  'changing-column-type',
  'constraint-missing-not-valid',
  'disallowed-unique-constraint',
  'prefer-big-int',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-robust-stmts',
  'prefer-text-field',
  'prefer-timestamp-tz',
  'renaming-column',
  'renaming-table',
  'require-concurrent-index-creation',
  'require-concurrent-index-deletion',
  'require-lock-timeout',
  'require-statement-timeout',
  'require-timeout-settings',
  'syntax-error',
]);

export const squawkRulePrefix = 'squawk:';

/** The native binary of squawk-cli's platform package (its node wrapper costs ~200 ms a run). */
function squawkBinary(): string | undefined {
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

function toFinding(violation: SquawkViolation, file: string, statements: SqlStatement[]) {
  const line = violation.line + 1;
  const lock = statementLock(statementAt(statements, line)?.node);
  return {
    ...(lock ? { lock } : {}),
    rule: `${squawkRulePrefix}${violation.rule_name}`,
    severity: 'warning' as const,
    file,
    line: statementAt(statements, line)?.line ?? line,
    statement: statementAt(statements, line)?.text ?? '',
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
  return violations
    .filter((violation) => !alreadyCovered.has(violation.rule_name))
    .map((violation) => toFinding(violation, options.file, options.statements));
}
