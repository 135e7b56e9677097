import { spawn } from 'node:child_process';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import fs from 'node:fs';
import { ToolkitError } from './errors';

/** Where a command's output lines go as they come (the deploy's reporter has this shape). */
export interface OutputSink {
  output(label: string, line: string): void;
}

/**
 * Every external command the toolkit runs (git, npm, pm2, ssh, rsync, jest) goes through here,
 * so its output reaches the caller line by line and a failure names the command and its exit
 * code. `runCommand` returns whatever the exit code (the caller decides what a failure means);
 * `runChecked` turns a non-zero exit into a CommandError.
 */
export class CommandError extends ToolkitError<'COMMAND_FAILED'> {}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Shown before each output line; defaults to the program name. */
  label?: string;
  reporter?: OutputSink;
  /** Also write the whole output here, to read a failure in full afterwards. */
  logFile?: string;
  /** Kill the command (SIGKILL) once it runs this long. */
  timeoutMs?: number;
  stdin?: Readable;
  /** Keep stdout out of the reporter (it is still captured). */
  quietStdout?: boolean;
  /** Stdout is data for another command (`stdout` of the RunningCommand): not read here. */
  rawStdout?: boolean;
}

export interface RunningCommand {
  readonly exited: Promise<CommandResult>;
  stdout: Readable;
  kill(signal?: NodeJS.Signals): void;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  output: string;
  timedOut: boolean;
}

export function startCommand(
  program: string,
  args: string[],
  options: CommandOptions = {},
): RunningCommand {
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (options.stdin && child.stdin) options.stdin.pipe(child.stdin);
  // Both are pipes (stdio above), never null.
  const childStdout = child.stdout as Readable;
  const childStderr = child.stderr as Readable;
  const label = options.label ?? program.split('/').pop() ?? program;
  let stdout = '';
  let output = '';
  const forward = (stream: Readable, shown: boolean) => {
    readline.createInterface({ input: stream }).on('line', (line) => {
      output += `${line}\n`;
      if (shown) options.reporter?.output(label, line);
    });
  };
  if (!options.rawStdout) {
    childStdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    forward(childStdout, !options.quietStdout);
  }
  forward(childStderr, true);
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs)
    : undefined;
  const exited = new Promise<CommandResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new CommandError('COMMAND_FAILED', `could not run ${program}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (options.logFile) fs.writeFileSync(options.logFile, output);
      resolve({ code, signal, stdout, output, timedOut });
    });
  });
  return { exited, stdout: childStdout, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

/** Runs a command to completion and returns how it ended, whatever the exit code. */
export function runCommand(
  program: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  return startCommand(program, args, options).exited;
}

/** Runs a command to completion; a non-zero exit becomes a CommandError naming it. */
export async function runChecked(
  program: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const result = await runCommand(program, args, options);
  if (result.code !== 0) throw commandFailure(program, args, result, options.timeoutMs);
  return result;
}

/** "`node cli.js migrate check` exited with code 1": the command and how it ended. */
export function describeEnding(
  program: string,
  args: string[],
  result: CommandResult,
  timeoutMs?: number,
): string {
  const shown = [program, ...args].join(' ');
  const why = result.timedOut
    ? `did not finish within ${timeoutMs} ms`
    : result.signal
      ? `was killed by ${result.signal}`
      : `exited with code ${result.code}`;
  return `\`${shown}\` ${why}`;
}

export function commandFailure(
  program: string,
  args: string[],
  result: CommandResult,
  timeoutMs?: number,
): CommandError {
  const tail = result.output.trim().split('\n').slice(-5).join('\n    ');
  return new CommandError(
    'COMMAND_FAILED',
    `${describeEnding(program, args, result, timeoutMs)}${tail ? `; last output:\n    ${tail}` : ''}`,
  );
}
