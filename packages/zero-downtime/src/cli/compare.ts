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
import { UsageError, type CliCommand, type CliOptions } from './run';
import { openScriptDatabase, type ScriptDatabase } from '../db/script-database';
import { compareTables } from '../compare';
import { createCompareProgress } from '../compare/progress';
import { loggerAbove } from './progress';

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
  const display = createCompareProgress(process.stdout, {
    source: args.source,
    target: args.target,
  });
  const logger = loggerAbove(display, config);
  const twoUrls = args['source-url'] && args['target-url'];
  let database: ScriptDatabase | undefined;
  try {
    if (!twoUrls) {
      display.status('compare: opening the database');
      database = await openScriptDatabase(config, logger);
    }
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
      onProgress: display.onProgress,
      onStatus: display.status,
    });
    display.done();
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
    display.done();
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
