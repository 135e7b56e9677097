/**
 * npm run compat -- --base <git ref> [--test-pattern REGEX] [--reports-dir DIR] [-- jest args]
 *
 * The base version's tests on the schema the head's pre-deploy migrations leave behind, then the
 * head's tests before and after its post-deploy migrations (docs/compat-gate.md).
 * Exit codes: 0 compatible, 1 something broke (the report names it), 2 bad usage or the gate
 * could not run.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../app/config';
import { formatCompatReport, isCompatError, runCompatGate } from '../app/zero-downtime/compat';

const USAGE = `usage: npm run compat -- --base <git ref> [options] [-- <jest arguments>]
  --base REF            the version serving before the deploy, e.g. origin/master or HEAD~1
  --test-pattern REGEX  run only the test files matching REGEX (jest --testPathPattern)
  --reports-dir DIR     where step logs and jest reports go (default reports/compat)
  --database-url URL    PostgreSQL server to use (default DATABASE_URL, else embedded)`;

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      'test-pattern': { type: 'string' },
      'reports-dir': { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  return { ...values, jestArgs: positionals };
}

async function main(): Promise<number> {
  const args = parse();
  if (args.help || !args.base) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  const serverUrl = args['database-url'] ?? loadConfig().databaseUrl;
  const pattern = args['test-pattern'];
  const report = await runCompatGate({
    repoDir: process.cwd(),
    base: args.base,
    serverUrl,
    reportsDir: args['reports-dir'],
    jestArgs: [...(pattern ? [`--testPathPattern=${pattern}`] : []), ...args.jestArgs],
    onProgress: (line) => console.log(line),
  });
  console.log(`\n${formatCompatReport(report)}`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      isCompatError(error) ||
      error instanceof ConfigError ||
      String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    const message = (error as Error).message ?? String(error);
    console.error(`compat: ${message}`);
    if (!known) console.error((error as Error).stack);
    process.exit(2);
  },
);
