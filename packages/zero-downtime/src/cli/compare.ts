/**
 * npm run db:compare -- --source A --target B [--key COL[,COL]] [--columns c1,c2] [--chunk N]
 *   [--out FILE] [--source-url URL --target-url URL]
 *
 * Exit codes: 0 identical, 1 different (the count and the report's path are printed) or failed,
 * 2 bad usage.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadToolkitConfig } from '../core/config';
import { createCliLogger } from '../core/logger';
import { UsageError, type CliCommand, type CliOptions } from './run';
import { openScriptDatabase, type ScriptDatabase } from '../db/script-database';
import { compareTables } from '../compare';

const USAGE =
  'usage: zdm compare (npm run db:compare --) --source A --target B [--key COL[,COL]] [--columns c1,c2] ' +
  '[--chunk N] [--out FILE] [--source-url URL --target-url URL]';

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  source: { type: 'string' },
  target: { type: 'string' },
  key: { type: 'string' },
  columns: { type: 'string' },
  chunk: { type: 'string' },
  out: { type: 'string' },
  'source-url': { type: 'string' },
  'target-url': { type: 'string' },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

async function run(argv: string[]): Promise<number> {
  const { values: args } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  if (!args.source || !args.target) throw new UsageError('--source and --target are required');
  const config = loadToolkitConfig();
  const logger = createCliLogger({
    level: config.logLevel === 'silent' ? 'info' : config.logLevel,
    json: config.env === 'production',
  });
  const twoUrls = args['source-url'] && args['target-url'];
  const database: ScriptDatabase | undefined = twoUrls
    ? undefined
    : await openScriptDatabase(config, logger);
  try {
    const result = await compareTables({
      source: args.source,
      target: args.target,
      key: list(args.key),
      columns: list(args.columns),
      chunkSize: args.chunk === undefined ? undefined : Number(args.chunk),
      out: args.out && path.resolve(args.out),
      databaseUrl: database?.url,
      sourceUrl: args['source-url'],
      targetUrl: args['target-url'],
      logger,
    });
    const rows = `${result.sourceRows} source rows, ${result.targetRows} target rows in ${result.chunks} chunks`;
    if (result.identical) {
      console.log(`identical: ${args.source} and ${args.target} (${rows})`);
      return 0;
    }
    console.log(
      `${result.differences} differences (${result.missing} missing, ${result.extra} extra, ` +
        `${result.changed} changed) between ${args.source} and ${args.target} (${rows}); ` +
        `report: ${result.out}`,
    );
    return 1;
  } finally {
    await database?.close();
  }
}

export const command: CliCommand = {
  name: 'compare',
  summary: 'chunked comparison of two tables (exit 0 identical, 1 different)',
  usage: USAGE,
  options: OPTIONS,
  run,
};
