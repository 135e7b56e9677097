/**
 * npm run db:backfill -- --name N --table T --set "<col = expr>" [--where COND]
 *   [--batch-size K] [--pause MS] [--max-lag 16MB|5s] [--target-batch-ms MS] [--dry-run] [--restart]
 *
 * Exit codes: 0 finished (or already finished, or dry run), 1 error, 130 stopped by Ctrl-C /
 * SIGTERM after finishing the batch in flight (run the same command to resume).
 */
import { parseArgs } from 'node:util';
import { loadToolkitConfig } from '../core/config';
import { loggerAbove } from './progress';
import type { CliCommand, CliOptions } from './run';
import { backfill, createProgressReporter, formatPlan } from '../backfill';
import { openScriptDatabase } from '../db/script-database';

const USAGE =
  'usage: zdm backfill (npm run db:backfill --) --name N --table T --set "<col = expr>" [--where COND] ' +
  '[--batch-size K] [--pause MS] [--max-lag 16MB|5s] [--target-batch-ms MS] [--dry-run] [--restart]';

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  name: { type: 'string' },
  table: { type: 'string' },
  set: { type: 'string' },
  where: { type: 'string' },
  'batch-size': { type: 'string' },
  pause: { type: 'string' },
  'max-lag': { type: 'string' },
  'target-batch-ms': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  restart: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  return values;
}

const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  const config = loadToolkitConfig();
  const reporter = createProgressReporter(process.stdout);
  const logger = loggerAbove(reporter, config);
  reporter.status('backfill: opening the database');
  const database = await openScriptDatabase(config, logger).catch((error: unknown) => {
    reporter.done();
    throw error;
  });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    logger.info(`${signal}: finishing the batch in flight, then stopping (again to quit now)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    reporter.status(
      `backfill: checking ${args.table ?? 'the table'} and counting the rows to update`,
    );
    const result = await backfill({
      name: args.name ?? '',
      table: args.table ?? '',
      set: args.set ?? '',
      where: args.where,
      batchSize: number(args['batch-size']),
      pauseMs: number(args.pause),
      maxLag: args['max-lag'],
      targetBatchMs: number(args['target-batch-ms']),
      dryRun: args['dry-run'],
      restart: args.restart,
      lockTimeoutMs: config.runner.lockTimeoutMs,
      statementTimeoutMs: config.runner.statementTimeoutMs,
      maxRetries: config.runner.maxRetries,
      databaseUrl: database.url,
      logger,
      onProgress: reporter.onProgress,
      signal: stop.signal,
    });
    reporter.done();
    if (result.plan) console.log(formatPlan(result.plan));
    return result.status === 'stopped' ? 130 : 0;
  } finally {
    reporter.done();
    await database.close();
  }
}

export const command: CliCommand = {
  name: 'backfill',
  summary: 'resumable chunked backfill of one table',
  usage: USAGE,
  options: OPTIONS,
  run,
};
