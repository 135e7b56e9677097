/**
 * npm run compat -- --base <git ref> [--test-pattern REGEX] [--reports-dir DIR] [-- jest args]
 *
 * The base version's tests on the schema the head's pre-deploy migrations leave behind, then the
 * head's tests before and after its post-deploy migrations (docs/compat-gate.md).
 * Exit codes: 0 compatible, 1 something broke (the report names it) or the gate could not run,
 * 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { loadToolkitConfig } from '../core/config';
import { formatCompatReport, runCompatGate } from '../compat';
import { UsageError, type CliCommand, type CliOptions } from './run';

const USAGE = `usage: zdm compat (npm run compat --) --base <git ref> [options] [-- <jest arguments>]
  --base REF            the version serving before the deploy, e.g. origin/master or HEAD~1
  --test-pattern REGEX  run only the test files matching REGEX (jest --testPathPattern)
  --reports-dir DIR     where step logs and jest reports go (default reports/compat)
  --database-url URL    PostgreSQL server to use (default DATABASE_URL, else embedded)`;

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  base: { type: 'string' },
  'test-pattern': { type: 'string' },
  'reports-dir': { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
  return { ...values, jestArgs: positionals };
}

async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (!args.base) throw new UsageError('--base is required');
  const config = loadToolkitConfig();
  const serverUrl = args['database-url'] ?? config.databaseUrl;
  const pattern = args['test-pattern'];
  const report = await runCompatGate({
    repoDir: config.root,
    base: args.base,
    serverUrl,
    reportsDir: args['reports-dir'],
    jestArgs: [...(pattern ? [`--testPathPattern=${pattern}`] : []), ...args.jestArgs],
    onProgress: (line) => console.log(line),
  });
  console.log(`\n${formatCompatReport(report)}`);
  return report.ok ? 0 : 1;
}

export const command: CliCommand = {
  name: 'compat',
  summary: 'the compat gate: old tests on the new schema, new tests on both',
  usage: USAGE,
  options: OPTIONS,
  run,
};
