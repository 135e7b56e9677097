/**
 * npm run migrate:pre | migrate:post | migrate:status
 * npm run migrate:lint [-- files...] [--format text|json|sarif|github] [--sarif FILE] [--database URL] [--explain]
 * zdm migrate check [--format ...]     (the data checks of pending .sql migrations, read-only)
 * npm run migrate:create -- <pre|post> <name> [--sql]
 * npm run migrate:down -- <pre|post> [--to NAME]          (development only)
 * npm run migrate:accept -- <name>                        (development only)
 * Every command accepts --migrations-dir DIR (default: <project>/migrations).
 *
 * Exit codes: 0 done (lint: no error finding), 1 failed (lint: unsafe), 2 bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliOptions } from './run';
import { inProject, loadToolkitConfig, type ToolkitConfig as Config } from '../core/config';
import { createCliLogger, type Logger } from '../core/logger';
import { toolkitRoot } from '../core/project';
import { styleFor } from '../core/terminal';
import { openScriptDatabase } from '../db/script-database';
import {
  formatExplained,
  formatFindings,
  reportToGithubCommands,
  reportToJson,
  reportToMarkdownSummary,
  reportToSarif,
  summarize,
  type LintReport,
} from '../lint';
import {
  acceptMigrationChange,
  blocksMigrate,
  createMigrationFile,
  formatStatusTable,
  isPhase,
  migrateDatabase,
  readMigrationStatus,
  revertMigrations,
  type Phase,
} from '../runner';
// Only this command needs the linter; the app imports the runner without it.
import {
  checkPendingData,
  lintMigrations,
  type LintMigrationsReport,
} from '../runner/lint-migrations';
import { displayPath } from '../runner/plan';

/** Each subcommand: its arguments and options, then what it does. */
const SUBCOMMANDS: Record<string, { synopsis: string; does: string }> = {
  pre: { synopsis: 'pre', does: 'apply the pending pre-deploy migrations' },
  post: {
    synopsis: 'post',
    does: 'apply the pending post-deploy migrations (refused while pre-deploy is pending)',
  },
  status: {
    synopsis: 'status',
    does: 'list every migration of both phases; exit 1 when migrate would refuse',
  },
  lint: {
    synopsis:
      'lint [files...] [--format text|json|sarif|github] [--json] [--sarif FILE] [--database URL] [--explain]',
    does:
      'lint the pending migrations (or the files given); --json is --format json; --sarif also ' +
      'writes SARIF to FILE; --database also judges against that database, read-only (table ' +
      'sizes, and the rows that would make a statement fail); --explain first lists every ' +
      'statement with the lock it takes',
  },
  check: {
    synopsis: 'check [--format text|json|sarif|github] [--sarif FILE]',
    does:
      'the data checks of the pending .sql migrations against DATABASE_URL, read-only (the ' +
      'deploy runs it before pre-deploy)',
  },
  create: {
    synopsis: 'create <pre|post> <name> [--sql]',
    does: 'write a new migration from a template (.ts; --sql for a .sql one)',
  },
  down: {
    synopsis: 'down <pre|post> [--to NAME]',
    does: 'revert the last applied migration of the phase, or down to NAME (development only)',
  },
  accept: {
    synopsis: 'accept <name>',
    does:
      "record an applied migration's edited file as it is now, running nothing (development " +
      'only: refused with NODE_ENV=production or CI set)',
  },
};

const COMMON_OPTIONS =
  "options: --migrations-dir DIR (default: the app contract's migrations folder)";

const USAGE = `usage: zdm migrate <command>   (npm run migrate:<command>)
${Object.values(SUBCOMMANDS)
  .map(({ synopsis, does }) => `  ${synopsis.padEnd(36)}${does}`)
  .join('\n')}
${COMMON_OPTIONS}`;

function subcommandUsage([name]: string[]): string | undefined {
  const subcommand = SUBCOMMANDS[name];
  if (!subcommand) return undefined;
  return `usage: zdm migrate ${subcommand.synopsis}   (npm run migrate:${name})\n  ${subcommand.does}\n${COMMON_OPTIONS}`;
}

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  sql: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  explain: { type: 'boolean', default: false },
  format: { type: 'string' },
  sarif: { type: 'string' },
  database: { type: 'string' },
  to: { type: 'string' },
  'migrations-dir': { type: 'string' },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
  const [command, ...rest] = positionals;
  return { command, rest, ...values, migrationsDir: values['migrations-dir'] };
}

type Args = ReturnType<typeof parse>;

function migrationsDirOf(config: Config): string {
  return inProject(config, config.app.migrations);
}

function phaseArgument(value: string | undefined): Phase {
  if (!isPhase(value))
    throw new UsageError(`expected the phase, pre or post, got "${value ?? ''}"`);
  return value;
}

async function withDatabase<T>(
  config: Config,
  logger: Logger,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const database = await openScriptDatabase(config, logger);
  try {
    return await work(database.url);
  } finally {
    await database.close();
  }
}

async function migrate(phase: Phase, args: Args, config: Config, logger: Logger): Promise<number> {
  const { applied } = await withDatabase(config, logger, (databaseUrl) =>
    migrateDatabase({
      databaseUrl,
      phases: [phase],
      logger,
      settings: config.runner,
      migrationsDir: args.migrationsDir ?? migrationsDirOf(config),
    }),
  );
  if (applied.length === 0) {
    console.log(`${phase}-deploy: nothing pending`);
    return 0;
  }
  console.log(`${phase}-deploy: applied ${applied.length} migration(s)`);
  for (const migration of applied) {
    const retries = migration.attempts > 1 ? `, ${migration.attempts} attempts` : '';
    const budget = migration.overBudget ? '  (over the time budget)' : '';
    console.log(`  ${migration.name}  ${migration.durationMs} ms${retries}${budget}`);
  }
  return 0;
}

async function status(args: Args, config: Config, logger: Logger): Promise<number> {
  const rows = await withDatabase(config, logger, (databaseUrl) =>
    readMigrationStatus({ databaseUrl, migrationsDir: args.migrationsDir }),
  );
  console.log(formatStatusTable(rows));
  // A migration whose file changed or moved makes migrate refuse: status fails with it.
  return rows.some(blocksMigrate) ? 1 : 0;
}

function create(args: Args, config: Config): number {
  const [phase, ...words] = args.rest;
  if (words.length === 0) throw new UsageError('migrate:create -- <pre|post> <name> [--sql]');
  const file = createMigrationFile({
    migrationsDir: args.migrationsDir ?? migrationsDirOf(config),
    phase: phaseArgument(phase),
    name: words.join(' '),
    kind: args.sql ? 'sql' : 'ts',
  });
  console.log(`created ${file}`);
  return 0;
}

async function down(args: Args, config: Config, logger: Logger): Promise<number> {
  const phase = phaseArgument(args.rest[0]);
  const { reverted } = await withDatabase(config, logger, (databaseUrl) =>
    revertMigrations({
      databaseUrl,
      phase,
      to: args.to,
      logger,
      environment: config.env,
      settings: config.runner,
      migrationsDir: args.migrationsDir ?? migrationsDirOf(config),
    }),
  );
  console.log(
    reverted.length
      ? `${phase}-deploy: reverted ${reverted.join(', ')}`
      : `${phase}-deploy: nothing to revert`,
  );
  return 0;
}

async function accept(args: Args, config: Config, logger: Logger): Promise<number> {
  const [name, ...extra] = args.rest;
  if (!name || extra.length > 0) {
    throw new UsageError('migrate:accept -- <name> (one migration, as migrate:status lists it)');
  }
  const outcome = await withDatabase(config, logger, (databaseUrl) =>
    acceptMigrationChange({
      databaseUrl,
      name,
      logger,
      environment: config.env,
      ci: config.ci,
      migrationsDir: args.migrationsDir ?? migrationsDirOf(config),
    }),
  );
  console.log(
    outcome === 'accepted'
      ? `${name}: recorded the file as it is now; nothing was run`
      : `${name}: the file already matches what was applied; nothing to accept`,
  );
  return 0;
}

const lintFormats = ['text', 'json', 'sarif', 'github'] as const;
type LintFormat = (typeof lintFormats)[number];

function lintFormat(args: Args): LintFormat {
  const given = args.format ?? (args.json ? 'json' : 'text');
  if (!(lintFormats as readonly string[]).includes(given)) {
    throw new UsageError(`--format must be one of ${lintFormats.join(', ')}, got "${given}"`);
  }
  return given as LintFormat;
}

function toolkitVersion(): string {
  const manifest = path.join(toolkitRoot(), 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function textReport(lint: LintMigrationsReport, explain: boolean): string {
  if (lint.linted.length === 0) return 'Nothing to lint: no pending migrations.';
  const names = lint.linted.map((file) => file.name).join(', ');
  const explained = explain ? `${formatExplained(lint.explained)}\n\n` : '';
  return `Linted ${names}\n\n${explained}${formatFindings(lint.findings, styleFor(process.stdout))}`;
}

function formatReport(
  format: LintFormat,
  lint: LintMigrationsReport,
  config: Config,
  explain = false,
): string {
  const report: LintReport = {
    files: lint.linted.map((file) => ({ file: displayPath(file.path), phase: file.phase })),
    findings: lint.findings,
  };
  if (format === 'json') return reportToJson(report);
  if (format === 'sarif')
    return reportToSarif(report, { root: config.root, version: toolkitVersion() });
  if (format === 'text') return textReport(lint, explain);
  if (config.stepSummaryFile) {
    fs.appendFileSync(config.stepSummaryFile, `${reportToMarkdownSummary(report)}\n`);
  }
  return reportToGithubCommands(report);
}

function printReport(args: Args, report: LintMigrationsReport, config: Config): number {
  console.log(formatReport(lintFormat(args), report, config, args.explain));
  // CI prints annotations (--format github) and uploads SARIF from the same run.
  if (args.sarif) {
    fs.mkdirSync(path.dirname(path.resolve(args.sarif)), { recursive: true });
    fs.writeFileSync(args.sarif, `${formatReport('sarif', report, config)}\n`);
  }
  return summarize(report.findings).errors > 0 ? 1 : 0;
}

async function lint(args: Args, config: Config, logger: Logger): Promise<number> {
  lintFormat(args); // a bad --format is refused before any work
  const onlySql = args.rest.length > 0 && args.rest.every((file) => file.endsWith('.sql'));
  const database = args.database ? { url: args.database, thresholds: config.app.lint } : undefined;
  const run = (databaseUrl?: string) =>
    lintMigrations({
      logger,
      databaseUrl,
      database,
      files: args.rest,
      migrationsDir: args.migrationsDir ?? migrationsDirOf(config),
      settings: config.runner,
    });
  const report = onlySql ? await run() : await withDatabase(config, logger, run);
  return printReport(args, report, config);
}

async function check(args: Args, config: Config, logger: Logger): Promise<number> {
  lintFormat(args); // a bad --format is refused before any work
  const report = await withDatabase(config, logger, (url) =>
    checkPendingData({
      migrationsDir: args.migrationsDir ?? migrationsDirOf(config),
      database: { url, thresholds: config.app.lint },
    }),
  );
  return printReport(args, report, config);
}

async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (!args.command) throw new UsageError('say which migrate command to run');
  const config = loadToolkitConfig();
  if (args.command === 'create') return create(args, config);
  const logger = createCliLogger({
    level: config.logLevel === 'silent' ? 'warn' : config.logLevel,
    json: config.env === 'production',
  });
  switch (args.command) {
    case 'pre':
    case 'post':
      return migrate(args.command, args, config, logger);
    case 'status':
      return status(args, config, logger);
    case 'down':
      return down(args, config, logger);
    case 'lint':
      return lint(args, config, logger);
    case 'accept':
      return accept(args, config, logger);
    case 'check':
      return check(args, config, logger);
    default:
      throw new UsageError(`unknown command "${args.command}"`);
  }
}

export const command: CliCommand = {
  name: 'migrate',
  summary: 'migrations: pre | post | status | lint | check | create | down | accept',
  usage: USAGE,
  options: OPTIONS,
  subcommandUsage,
  run,
};
