import type { ParseArgsConfig } from 'node:util';
import { ToolkitError, isToolkitError } from '../core/errors';
import { styleFor } from '../core/terminal';

/**
 * The one way every `zdm` command parses, helps, fails and exits:
 *
 *   0 done (lint: nothing unsafe; compare: identical)
 *   1 failed or unsafe (the message says what, why, and what to do)
 *   2 bad usage (the message, then the command's usage)
 *
 * A known failure (a ToolkitError) prints its sentence and code; anything else is a bug and
 * prints "unexpected failure", with the stack only under --verbose.
 */
/** The options a command gives `parseArgs`. */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export interface CliCommand {
  name: string;
  /** One line for `zdm --help`. */
  summary: string;
  /** `zdm <command> --help`: names every one of `options`. */
  usage: string;
  /** The options the command parses (none: the command's arguments are its subcommand's). */
  options?: CliOptions;
  /**
   * `zdm <command> <subcommand> ... --help`: the usage of that subcommand, given the arguments
   * before `--help`; undefined falls back to `usage`.
   */
  subcommandUsage?(argv: string[]): string | undefined;
  run(argv: string[], io: CliIo): Promise<number> | number;
}

export interface CliIo {
  verbose: boolean;
}

export class UsageError extends ToolkitError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export async function runCli(argv: string[], commands: CliCommand[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [name, ...rest] = argv.filter((arg) => arg !== '--verbose' || isRehearsal(argv));
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const wanted =
      name === 'help' ? commands.find((command) => command.name === rest[0]) : undefined;
    process.stdout.write(`${wanted ? wanted.usage : overview(commands)}\n`);
    return name ? 0 : 2;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`zdm: unknown command "${name}"\n\n${overview(commands)}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.subcommandUsage?.(rest) ?? command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, { verbose });
  } catch (error) {
    return reportFailure(command, error, verbose);
  }
}

/** The rehearsal has a --verbose of its own (it shows the deploy's command output). */
function isRehearsal(argv: string[]): boolean {
  return argv[0] === 'rehearse';
}

function overview(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'usage: zdm <command> [options]   (zdm <command> --help for its options)',
    '',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Every command: --verbose shows the stack of an unexpected failure.',
    'Exit codes: 0 done, 1 failed or unsafe, 2 bad usage.',
  ].join('\n');
}

function reportFailure(command: CliCommand, error: unknown, verbose: boolean): number {
  const prefix = styleFor(process.stderr).error(`zdm ${command.name}`);
  if (isUsageError(error)) {
    process.stderr.write(`${prefix}: ${(error as Error).message}\n\n${command.usage}\n`);
    return 2;
  }
  if (isToolkitError(error)) {
    process.stderr.write(`${prefix}: ${error.message} [${error.code}]\n`);
    if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(
    `${prefix}: unexpected failure: ${failure.message}\n` +
      (verbose ? `${failure.stack}\n` : '(run again with --verbose for the stack)\n'),
  );
  return 1;
}

function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
