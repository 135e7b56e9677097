/**
 * npm run db:backfill -- --name N --table T --set "<col = expr>" [--where COND]
 *   [--batch-size K] [--pause MS] [--max-lag 16MB|5s] [--target-batch-ms MS] [--dry-run] [--restart]
 *
 * Exit codes: 0 finished (or already finished, or dry run), 1 error, 130 stopped by Ctrl-C /
 * SIGTERM after finishing the batch in flight (run the same command to resume).
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../app/config';
import { createLogger } from '../app/logger';
import {
  backfill,
  createProgressReporter,
  formatPlan,
  isBackfillError,
} from '../app/zero-downtime/backfill';
import { openScriptDatabase } from '../app/db/script-database';

const USAGE =
  'usage: npm run db:backfill -- --name N --table T --set "<col = expr>" [--where COND] ' +
  '[--batch-size K] [--pause MS] [--max-lag 16MB|5s] [--target-batch-ms MS] [--dry-run] [--restart]';

function parse() {
  const { values } = parseArgs({
    options: {
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
    },
  });
  return values;
}

const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

async function main(): Promise<number> {
  const args = parse();
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const reporter = createProgressReporter(process.stdout);
  // Log lines clear the progress bar first instead of being appended to it.
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      reporter.interrupt();
      process.stdout.write(chunk, done);
    },
  });
  const logger = createLogger(
    { env: config.env, logLevel: config.logLevel === 'silent' ? 'info' : config.logLevel },
    output,
  );
  const database = await openScriptDatabase(config, logger);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    logger.info(`${signal}: finishing the batch in flight, then stopping (again to quit now)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
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
      lockTimeoutMs: config.migrations.lockTimeoutMs,
      statementTimeoutMs: config.migrations.statementTimeoutMs,
      maxRetries: config.migrations.maxRetries,
      databaseUrl: database.url,
      logger,
      onProgress: reporter.onProgress,
      signal: stop.signal,
    });
    reporter.done();
    if (result.plan) console.log(formatPlan(result.plan));
    return result.status === 'stopped' ? 130 : 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = isBackfillError(error);
    console.error(`backfill: ${(error as Error).message}${known ? ` [${error.code}]` : ''}`);
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
    process.exit(1);
  },
);
