import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';

/**
 * Runs commands without a shell: arguments are passed as they are, output is collected (and
 * optionally appended to a log file), and a command that fails or outlives its timeout throws
 * an error that carries the end of what it printed.
 */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the command is killed (SIGKILL) and the call fails. */
  timeoutMs?: number;
  /** Appends everything the command prints to this file. */
  logFile?: string;
  /** Written to the command's standard input, which is otherwise closed. */
  input?: string | Buffer;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
    reason: string,
  ) {
    super(`${command}: ${reason}\n${tail(result.output, 4000)}`);
  }
}

export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`)).join(' ');
}

export function tail(text: string, chars: number): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

export function run(file: string, args: readonly string[], options: RunOptions = {}) {
  const command = describeCommand(file, args);
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  };
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, args, spawnOptions);
    const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : null;
    log?.write(`\n$ ${command}\n`);
    const result: RunResult = { code: null, signal: null, stdout: '', stderr: '', output: '' };
    child.stdout?.on('data', (chunk: Buffer) => {
      result.stdout += chunk.toString();
      result.output += chunk.toString();
      log?.write(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      result.stderr += chunk.toString();
      result.output += chunk.toString();
      log?.write(chunk);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      log?.end();
      reject(new CommandError(command, result, error.message));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      result.code = code;
      result.signal = signal;
      log?.end();
      if (timedOut) {
        reject(new CommandError(command, result, `killed after ${options.timeoutMs} ms`));
      } else if (code !== 0 && !options.allowFailure) {
        reject(new CommandError(command, result, `exited with ${code ?? signal}`));
      } else {
        resolve(result);
      }
    });
  });
}

/** Runs `producer | consumer`, failing when either side fails. */
export async function pipe(
  producer: { file: string; args: string[]; cwd?: string },
  consumer: { file: string; args: string[]; env?: NodeJS.ProcessEnv },
  options: { timeoutMs: number; logFile?: string },
): Promise<RunResult> {
  const command = `${describeCommand(producer.file, producer.args)} | ${describeCommand(consumer.file, consumer.args)}`;
  const left = spawn(producer.file, producer.args, {
    cwd: producer.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const right = spawn(consumer.file, consumer.args, {
    env: consumer.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  left.stdout.pipe(right.stdin);
  const result: RunResult = { code: null, signal: null, stdout: '', stderr: '', output: '' };
  const collect = (stream: NodeJS.ReadableStream, into: 'stdout' | 'stderr') =>
    stream.on('data', (chunk: Buffer) => {
      result[into] += chunk.toString();
      result.output += chunk.toString();
    });
  collect(left.stderr, 'stderr');
  collect(right.stdout, 'stdout');
  collect(right.stderr, 'stderr');
  const exit = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
  const timer = setTimeout(() => {
    left.kill('SIGKILL');
    right.kill('SIGKILL');
  }, options.timeoutMs);
  try {
    const [leftCode, rightCode] = await Promise.all([exit(left), exit(right)]);
    result.code = rightCode;
    if (options.logFile) fs.appendFileSync(options.logFile, `\n$ ${command}\n${result.output}`);
    if (leftCode !== 0 || rightCode !== 0) {
      throw new CommandError(command, result, `exited with ${leftCode} | ${rightCode}`);
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a command is on PATH. */
export async function onPath(name: string): Promise<boolean> {
  const found = await run('sh', ['-c', 'command -v "$1"', 'sh', name], { allowFailure: true });
  return found.code === 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const until = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= until) {
      throw new Error(
        `${what}: not within ${options.timeoutMs} ms${last ? ` (last: ${last})` : ''}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** Progress lines that show up while a long beforeAll runs (jest holds console.log back). */
export function progress(message: string): void {
  process.stderr.write(`[infra ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
