import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export { freePort } from '../../src/db/free-port';

/**
 * Where the toolkit's tests find things. The toolkit is tested on the starter of this
 * repository: its migrations seed the test databases, and deploy and rehearsal tests build
 * releases of it. The toolkit's code itself never imports the starter.
 */
export const toolkitRoot = path.resolve(__dirname, '..', '..');
export const starterRoot = path.resolve(toolkitRoot, '..', '..');
/** Kept for the many tests that run commands in the starter's folder. */
export const projectRoot = starterRoot;
export const tsxCli = path.join(starterRoot, 'node_modules/tsx/dist/cli.mjs');
/** The `zdm` command line, from source. */
export const cliSource = path.join(toolkitRoot, 'src/cli/index.ts');

export interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry point with tsx in the starter's folder, collecting its output. */
export function spawnTs(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
): Child {
  const child = spawn(process.execPath, [tsxCli, script, ...args], {
    cwd: starterRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { process: child, output: () => output, exited };
}
