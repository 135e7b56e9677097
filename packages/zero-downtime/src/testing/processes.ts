import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Project entry points run as an operator runs them, each in a process group of its own so a
 * SIGKILL reaches everything it started. `node --import tsx`, not the tsx CLI: the CLI runs the
 * script in a grandchild a SIGKILL of the parent would leave running. Every process started
 * here is remembered, and `killAll()` (called from afterAll) leaves none behind.
 */
export interface ScriptProcess {
  pid: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  running(): boolean;
  signal(name: NodeJS.Signals): void;
}

const started = new Set<ScriptProcess>();
const outputs: (() => string)[] = [];

/** Everything every process started by this test file printed, for the secrets check. */
export function allOutput(): string {
  return outputs.map((output) => output()).join('\n');
}

/** Runs `script` (TypeScript, through the project's tsx) in `cwd`, default the current folder. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  cwd: string = process.cwd(),
): ScriptProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code, signal) => {
      exitCode = code ?? (signal ? null : code);
      started.delete(handle);
      resolve(code);
    }),
  );
  const handle: ScriptProcess = {
    pid: child.pid as number,
    child,
    exited,
    output: () => output,
    running: () => exitCode === undefined,
    signal: (name) => {
      try {
        process.kill(-(child.pid as number), name);
      } catch {
        // already gone
      }
    },
  };
  started.add(handle);
  outputs.push(handle.output);
  return handle;
}

/** Runs a script to the end; resolves with its exit code and output. */
export async function runToEnd(
  script: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<{ code: number | null; output: string }> {
  const proc = runScript(script, args, env, cwd);
  const code = await proc.exited;
  return { code, output: proc.output() };
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopProcess(
  proc: ScriptProcess | undefined,
  graceMs = 10_000,
): Promise<void> {
  if (!proc?.running()) return;
  proc.signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([proc.exited, late]);
  clearTimeout(timer);
  proc.signal('SIGKILL');
  await proc.exited;
}

export async function killAll(): Promise<void> {
  const left = [...started];
  for (const proc of left) proc.signal('SIGKILL');
  await Promise.all(left.map((proc) => proc.exited));
}

/** What a crashed Node process leaves in its output. */
export const CRASH_MARKERS = [
  /unhandledRejection/i,
  /UnhandledPromiseRejection/i,
  /uncaughtException/i,
  /FATAL ERROR/,
  /^\s+at .+\(node:internal/m,
];

export function crashesIn(output: string): string[] {
  return CRASH_MARKERS.filter((marker) => marker.test(output)).map(String);
}
