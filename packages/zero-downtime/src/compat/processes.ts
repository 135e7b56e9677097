import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface CommandResult {
  /** The exit code; null when the command was killed (signal or timeout). */
  code: number | null;
  /** stdout and stderr interleaved, as a person would have seen them. */
  output: string;
  timedOut: boolean;
}

export interface CommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Also written here, so a failure can be read in full after the gate cleaned up. */
  logFile?: string;
  timeoutMs?: number;
}

export function runCommand(
  command: string,
  args: string[],
  options: CommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (options.logFile) fs.writeFileSync(options.logFile, output);
      resolve({ code, output, timedOut });
    });
  });
}

/** Runs a command that must succeed; its output is the error message otherwise. */
export async function runChecked(
  command: string,
  args: string[],
  options: CommandOptions,
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.output.trim()}`);
  }
  return result.output;
}

/** The last lines of a command's output: enough to see why it failed without the noise. */
export function tail(output: string, lines = 15): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * The environment of a child run: the caller's, without what belongs to an enclosing test run
 * (a gate started from jest must not hand its own test state to the suites it runs).
 */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'ZDM_TEST_STATE',
    'ZDM_TEST_TEMPLATE_URL',
    'JEST_WORKER_ID',
    'DATABASE_URL',
    'TEST_DATABASE_URL',
    'NODE_ENV',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}
