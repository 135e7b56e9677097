/**
 * npm run db:compare -- --source A --target B [--key COL[,COL]] [--columns c1,c2] [--chunk N]
 *   [--out FILE] [--source-url URL --target-url URL]
 *
 * Exit codes: 0 identical, 1 different (the count and the report's path are printed), 2 error.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../app/config';
import { createLogger } from '../app/logger';
import { openScriptDatabase, type ScriptDatabase } from '../app/db/script-database';
import { compareTables, isCompareError } from '../app/zero-downtime/compare';

const USAGE =
  'usage: npm run db:compare -- --source A --target B [--key COL[,COL]] [--columns c1,c2] ' +
  '[--chunk N] [--out FILE] [--source-url URL --target-url URL]';

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      source: { type: 'string' },
      target: { type: 'string' },
      key: { type: 'string' },
      columns: { type: 'string' },
      chunk: { type: 'string' },
      out: { type: 'string' },
      'source-url': { type: 'string' },
      'target-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (args.help || !args.source || !args.target) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  const config = loadConfig();
  const logger = createLogger({
    env: config.env,
    logLevel: config.logLevel === 'silent' ? 'info' : config.logLevel,
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const code = isCompareError(error) ? ` [${error.code}]` : '';
    console.error(`compare: ${(error as Error).message}${code}`);
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
    process.exit(2);
  },
);
