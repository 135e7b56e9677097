import type { Logger } from '../core/logger';
import { describeBlocker, type BlockerMonitor, type BlockingSession } from './blockers';
import { databaseErrorOf, excerpt, isLockTimeout, messageOf, MigrationRunnerError } from './errors';
import type { MigrationFile } from './files';
import type { HelpersFactory } from './helpers';
import { dropNewInvalidIndexes, listInvalidIndexes } from './invalid-indexes';
import { PinnedSession, type SentStatement } from './pinned-session';
import { displayPath, planMigration, type Direction, type MigrationPlan } from './plan';
import type { RunnerSettings } from './settings';
import { canonicalChecksumOf } from './canonical';
import { FORGET_MIGRATION_SQL, RECORD_MIGRATION_SQL } from './storage';

/**
 * Runs one migration to completion or to a clean failure: one pinned connection per attempt,
 * a transaction unless the migration cannot have one, a retry from the start after a lock
 * timeout (exponential backoff with jitter), and an error that names the migration, the
 * statement, the reason and the blocking session.
 */
export interface ExecutionOptions {
  databaseUrl: string;
  settings: RunnerSettings;
  logger: Logger;
  monitor: BlockerMonitor;
  /** Record (up) or forget (down) the migration in zdm_migrations. */
  record: boolean;
  helpers?: HelpersFactory;
  serverVersion?: string;
}

export interface ExecutionResult {
  durationMs: number;
  attempts: number;
  transactional: boolean;
  /** Every statement the migration sent, in order, from its successful attempt. */
  statements: SentStatement[];
}

interface AttemptFailure {
  error: unknown;
  statement?: string;
  line?: number;
  blockers: BlockingSession[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function retryDelayMs(attempt: number, settings: RunnerSettings): number {
  const ceiling = Math.min(
    settings.retryMaxDelayMs,
    settings.retryBaseDelayMs * 2 ** (attempt - 1),
  );
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export async function executeMigration(
  file: MigrationFile,
  direction: Direction,
  options: ExecutionOptions,
): Promise<ExecutionResult> {
  const { settings, logger } = options;
  const plan = await planMigration(file, direction, options);
  // Computed before any lock is taken: the record is written inside the migration's transaction.
  const canonical = direction === 'up' ? await canonicalChecksumOf(file) : undefined;
  const startedAt = new Date();
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await attemptMigration(file, direction, plan, options, {
      startedAt,
      canonical,
    });
    if (!('error' in outcome)) {
      const durationMs = Date.now() - startedAt.getTime();
      return { durationMs, attempts: attempt, transactional: plan.transactional, ...outcome };
    }
    if (!isLockTimeout(outcome.error) || attempt > settings.maxRetries) {
      throw failureError(file, plan, outcome, attempt, settings);
    }
    const delay = retryDelayMs(attempt, settings);
    logger.warn(
      `migrate: ${file.name}: lock_timeout (${settings.lockTimeoutMs} ms) on ` +
        `\`${excerpt(outcome.statement ?? '')}\`, blocked by ${blockersText(outcome.blockers)}; ` +
        `${plan.transactional ? 'rolled back, ' : ''}retry ${attempt} of ${settings.maxRetries} in ${delay} ms`,
    );
    await sleep(delay);
  }
}

async function attemptMigration(
  file: MigrationFile,
  direction: Direction,
  plan: MigrationPlan,
  options: ExecutionOptions,
  record: RecordFields,
): Promise<{ statements: SentStatement[] } | AttemptFailure> {
  const session = await PinnedSession.open({
    ...options,
    migrationName: file.name,
    migrationPath: file.kind === 'ts' ? file.path : undefined,
  });
  options.monitor.watch(session.pid);
  try {
    const invalidBefore = plan.transactional ? [] : await listInvalidIndexes(session);
    try {
      if (plan.transactional) await session.begin();
      await plan.run(session);
      if (options.record) await recordOutcome(session, file, direction, record);
      if (plan.transactional) await session.commit();
      await options.monitor.stop();
      return { statements: session.statements };
    } catch (error) {
      const failed = databaseErrorOf(error) ? session.current : undefined;
      if (session.inTransaction) await session.rollback().catch(() => undefined);
      const blockers = await options.monitor.stop();
      if (!plan.transactional) {
        // The migration may have opened a transaction of its own (toolkit helpers do).
        await session.internal('ROLLBACK').catch(() => undefined);
        await cleanUpInvalidIndexes(session, invalidBefore, options.logger);
      }
      return { error, statement: failed?.text, line: failed?.line, blockers };
    }
  } finally {
    await options.monitor.stop();
    await session.close();
  }
}

/** What the record of an applied migration needs beyond the file itself. */
interface RecordFields {
  startedAt: Date;
  canonical?: string;
}

async function recordOutcome(
  session: PinnedSession,
  file: MigrationFile,
  direction: Direction,
  { startedAt, canonical }: RecordFields,
): Promise<void> {
  if (direction === 'down') {
    await session.internal(FORGET_MIGRATION_SQL, [file.name]);
    return;
  }
  const durationMs = Date.now() - startedAt.getTime();
  await session.internal(RECORD_MIGRATION_SQL, [
    file.name,
    file.phase,
    file.checksum,
    canonical ?? null,
    startedAt,
    durationMs,
  ]);
}

async function cleanUpInvalidIndexes(
  session: PinnedSession,
  before: string[],
  logger: Logger,
): Promise<void> {
  try {
    await dropNewInvalidIndexes(session, before, logger);
  } catch (error) {
    logger.error(
      `migrate: could not drop the INVALID indexes left by the failed attempt (${messageOf(error)}); ` +
        'find them with `SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid` and ' +
        'drop them with DROP INDEX CONCURRENTLY before rerunning.',
    );
  }
}

function blockersText(blockers: BlockingSession[]): string {
  if (blockers.length === 0) return 'a session that ended before it could be identified';
  return blockers.map(describeBlocker).join('; ');
}

function where(file: MigrationFile, failure: AttemptFailure): string {
  if (!failure.statement) return '';
  const line = failure.line ? ` (${displayPath(file.path)}:${failure.line})` : '';
  return ` at statement \`${excerpt(failure.statement)}\`${line}`;
}

function aftermath(file: MigrationFile, plan: MigrationPlan): string {
  if (plan.transactional) {
    return 'It ran in one transaction, which was rolled back: the database is unchanged and the migration is not recorded.';
  }
  return (
    'It runs outside a transaction (it contains statements such as CREATE INDEX CONCURRENTLY), ' +
    'so its earlier statements stay applied; INVALID indexes it left were dropped; it is not ' +
    `recorded and will run again from its start, so keep ${file.name} idempotent (IF NOT EXISTS).`
  );
}

function failureError(
  file: MigrationFile,
  plan: MigrationPlan,
  failure: AttemptFailure,
  attempts: number,
  settings: RunnerSettings,
): MigrationRunnerError {
  const database = databaseErrorOf(failure.error);
  const details = {
    migration: file.name,
    statement: failure.statement,
    line: failure.line,
    blockers: failure.blockers,
    sqlState: database?.code,
  };
  if (isLockTimeout(failure.error)) {
    const first = failure.blockers[0];
    const rerun = `\`npm run migrate:${file.phase}\``;
    const advice = first
      ? `End that session (SELECT pg_terminate_backend(${first.pid});) or wait for it to finish, then rerun ${rerun}.`
      : `Find long transactions in pg_stat_activity, end or wait for them, then rerun ${rerun}.`;
    return new MigrationRunnerError(
      'MIGRATION_LOCK_TIMEOUT',
      `Migration ${file.name} (${file.phase}-deploy) gave up after ${attempts} attempt(s)${where(file, failure)}: ` +
        `each waited more than ${settings.lockTimeoutMs} ms for a lock held by ${blockersText(failure.blockers)}. ` +
        `${aftermath(file, plan)} ${advice} If the blocker is short-lived traffic, raise ` +
        'MIGRATION_MAX_RETRIES or MIGRATION_LOCK_TIMEOUT_MS a little.',
      details,
      { cause: failure.error },
    );
  }
  if (failure.error instanceof MigrationRunnerError) return failure.error;
  return new MigrationRunnerError(
    'MIGRATION_FAILED',
    `Migration ${file.name} (${file.phase}-deploy) failed${where(file, failure)}: ` +
      `${messageOf(failure.error)}${hintFor(database?.code)}. ${aftermath(file, plan)}`,
    details,
    { cause: failure.error },
  );
}

function hintFor(sqlState: string | undefined): string {
  if (sqlState === '25001') {
    return ' (a .ts migration with CONCURRENTLY must export `const transaction = false`)';
  }
  if (sqlState === '57014') {
    return ' (statement_timeout: long scans belong in `withoutStatementTimeout`, backfills in db:backfill)';
  }
  return '';
}
