/**
 * npm run rehearse [-- --base <ref>] [--rows N] [--rate R] [--instances K] [--out DIR] ...
 *
 * The deploy of this change, rehearsed on this machine under load (docs/rehearsal.md).
 * Exit codes: 0 no request failed and p99 stayed within budget; 1 requests failed, the budget
 * was exceeded, the deploy failed (see the report) or the rehearsal could not run; 2 bad usage.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findProjectRoot } from '../core/project';
import { styleFor } from '../core/terminal';
import { UsageError, type CliCommand, type CliOptions } from './run';
import { REHEARSAL_DEFAULTS as D, runRehearsal, type RehearsalOptions } from '../rehearse';

const USAGE = `usage: zdm rehearse (npm run rehearse --) [options]
  --base REF            what serves before the deploy (default: merge base with
                        origin/master, origin/main, master or main; else HEAD~1)
  --head REF            the commit deployed (default HEAD; uncommitted changes are not deployed)
  --source DIR          a folder inside the git checkout to rehearse (default: this project)
  --rows N              rows seeded per table of the base's models (default ${D.rows})
  --rate R              requests per second (default ${D.rate})
  --connections C       keep-alive connections (default ${D.connections})
  --instances K         PM2 cluster workers (default ${D.instances})
  --before S            seconds of load before the deploy (default ${D.beforeSeconds})
  --after S             seconds of load after the deploy (default ${D.afterSeconds})
  --budget-factor F     p99 during the deploy may be F x p99 before it (default ${D.budgetFactor})
  --budget-floor-ms MS  ... and the budget is never below MS (default ${D.budgetFloorMs})
  --ready-timeout MS    how long a new instance may take to become ready (default ${D.readyTimeoutMs})
  --out DIR             report.md, report.json, chart.svg (default ${D.outDir})
  --keep                keep the temporary deploy root, PM2 home and instance logs
  --verbose             show the output of the commands the deploys run
Environment: DATABASE_URL names the server where a fresh database is created (dropped after);
unset, an embedded PostgreSQL runs in a temporary folder.`;

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  base: { type: 'string' },
  head: { type: 'string' },
  rows: { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  instances: { type: 'string' },
  before: { type: 'string' },
  after: { type: 'string' },
  'budget-factor': { type: 'string' },
  'budget-floor-ms': { type: 'string' },
  'ready-timeout': { type: 'string' },
  out: { type: 'string' },
  source: { type: 'string' },
  keep: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: OPTIONS,
  }).values;
}

function number(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) {
    throw new UsageError(`--${name} must be a number of at least ${min}, got "${value}"`);
  }
  return parsed;
}

function toOptions(args: ReturnType<typeof parse>, signal: AbortSignal): RehearsalOptions {
  const whole = (name: keyof typeof args, fallback: number, min: number) =>
    Math.round(number(name, args[name] as string | undefined, fallback, min));
  return {
    source: path.resolve(args.source ?? findProjectRoot()),
    base: args.base,
    head: args.head ?? D.head,
    rows: whole('rows', D.rows, 1),
    rate: number('rate', args.rate, D.rate, 1),
    connections: whole('connections', D.connections, 1),
    instances: whole('instances', D.instances, 1),
    beforeSeconds: number('before', args.before, D.beforeSeconds, 1),
    afterSeconds: number('after', args.after, D.afterSeconds, 0),
    warmupSeconds: D.warmupSeconds,
    budgetFactor: number('budget-factor', args['budget-factor'], D.budgetFactor, 1),
    budgetFloorMs: number('budget-floor-ms', args['budget-floor-ms'], D.budgetFloorMs, 0),
    readyTimeoutMs: whole('ready-timeout', D.readyTimeoutMs, 1000),
    outDir: path.resolve(args.out ?? path.join(findProjectRoot(), D.outDir)),
    keep: args.keep,
    verbose: args.verbose,
    env: process.env,
    log: (line) => process.stdout.write(`${line}\n`),
    signal,
  };
}

async function run(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const options: RehearsalOptions = toOptions(parse(argv), controller.signal);
  // First Ctrl-C: stop at the next step and clean up (PM2, database); a second one: now.
  process.once('SIGINT', () => {
    process.stderr.write('rehearse: interrupted, cleaning up (Ctrl-C again to quit at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const { report, files } = await runRehearsal(options);
  const style = styleFor(process.stdout);
  process.stdout.write(
    `\nrehearsal ${report.verdict.ok ? style.ok('PASSED') : style.error('FAILED')}` +
      (report.verdict.ok ? '' : `:\n  - ${report.verdict.reasons.join('\n  - ')}`) +
      `\n${report.phases
        .map(
          (phase) =>
            `  ${phase.label.padEnd(24)} ${String(phase.requests).padStart(6)} requests, ` +
            `${phase.failed} failed, p99 ${phase.p99Ms} ms`,
        )
        .join('\n')}\nreport: ${files.markdown}\n        ${files.json}\n        ${files.chart}\n`,
  );
  return report.verdict.ok ? 0 : 1;
}

export const command: CliCommand = {
  name: 'rehearse',
  summary: 'the whole deploy of this change on this machine, under load, with a report',
  usage: USAGE,
  options: OPTIONS,
  run,
};
