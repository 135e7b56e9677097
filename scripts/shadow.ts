/**
 * npm run db:shadow -- <table> <step> [options]
 *
 * Steps: plan | status | create | triggers | backfill | indexes | verify | swap | swap-back | cleanup
 * Exit codes: 0 done (or nothing to do), 1 refused or failed (the message says why and what next).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { loadConfig } from '../app/config';
import { createLogger } from '../app/logger';
import { openScriptDatabase } from '../app/db/script-database';
import { isShadowError, runShadowStep, SHADOW_STEPS } from '../app/zero-downtime/shadow';

const USAGE = `usage: npm run db:shadow -- <table> <step> [options]
  steps: ${SHADOW_STEPS.join(' | ')}
  create   --alter "<ALTER TABLE actions>"  or  --file <new-table.sql>
  backfill [--batch-size N] [--pause MS] [--max-batches N]
  verify   [--out FILE]
  swap | swap-back [--lock-timeout MS] [--retries N]
  cleanup  [--abandon]   (after the swap: post-deploy; before it, --abandon gives the rebuild up)`;

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
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
    },
  });
}

const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

async function main(): Promise<number> {
  const { values, positionals } = parse();
  const [table, step] = positionals;
  if (values.help || !table || !step) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const config = loadConfig();
  const logger = createLogger({
    env: config.env,
    logLevel: config.logLevel === 'silent' ? 'info' : config.logLevel,
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
  } catch (error) {
    if (!isShadowError(error)) throw error;
    console.error(`db:shadow ${step}: ${error.message}`);
    return 1;
  } finally {
    await client.end();
    await database.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`db:shadow: ${error.message}`);
    process.exitCode = 1;
  },
);
