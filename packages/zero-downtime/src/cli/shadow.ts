/**
 * npm run db:shadow -- <table> <step> [options]
 *
 * Steps: plan | status | create | triggers | backfill | indexes | verify | swap | swap-back | cleanup
 * Exit codes: 0 done (or nothing to do), 1 refused or failed (the message says why and what next).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { loadToolkitConfig } from '../core/config';
import { createCliLogger } from '../core/logger';
import { UsageError, type CliCommand, type CliOptions } from './run';
import { openScriptDatabase } from '../db/script-database';
import { runShadowStep, SHADOW_STEPS } from '../shadow';

const USAGE = `usage: zdm shadow (npm run db:shadow --) <table> <step> [options]
  steps: ${SHADOW_STEPS.join(' | ')}
  create   --alter "<ALTER TABLE actions>"  or  --file <new-table.sql>
  backfill [--batch-size N] [--pause MS] [--max-batches N]
  verify   [--out FILE]
  swap | swap-back [--lock-timeout MS] [--retries N]
  cleanup  [--abandon]   (after the swap: post-deploy; before it, --abandon gives the rebuild up)`;

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  alter: { type: 'string' },
  file: { type: 'string' },
  'batch-size': { type: 'string' },
  pause: { type: 'string' },
  'max-batches': { type: 'string' },
  out: { type: 'string' },
  'lock-timeout': { type: 'string' },
  retries: { type: 'string' },
  abandon: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
}

const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [table, step] = positionals;
  if (!table || !step) throw new UsageError('say the table and the step');
  const config = loadToolkitConfig();
  const logger = createCliLogger({
    level: config.logLevel === 'silent' ? 'info' : config.logLevel,
    json: config.env === 'production',
  });
  const database = await openScriptDatabase(config, logger);
  const client = new Client({
    connectionString: database.url,
    application_name: `zdm-shadow ${table}`,
  });
  await client.connect();
  try {
    const lines = await runShadowStep({ client, log: (line) => logger.info(line) }, table, step, {
      alter: values.alter,
      sql: values.file === undefined ? undefined : fs.readFileSync(values.file, 'utf8'),
      batchSize: number(values['batch-size']),
      pauseMs: number(values.pause),
      maxBatches: number(values['max-batches']),
      out: values.out,
      lockTimeoutMs: number(values['lock-timeout']),
      retries: number(values.retries),
      abandon: values.abandon,
    });
    console.log(lines.join('\n'));
    return 0;
  } finally {
    await client.end();
    await database.close();
  }
}

export const command: CliCommand = {
  name: 'shadow',
  summary: 'rebuild a table through a shadow copy, step by step',
  usage: USAGE,
  options: OPTIONS,
  run,
};
