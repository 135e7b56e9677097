import fs from 'node:fs';
import { runChecked, startCommand, type RunningCommand } from '../core/processes';
import { DeployError } from './errors';
import type { Reporter } from './reporter';

/**
 * The PM2 command line, as the deploy uses it. PM2_HOME in `env` picks the daemon (PM2 starts
 * one on first use). Facts about PM2 7 this relies on, checked against its source:
 * - `reload <name>` replaces cluster workers one at a time (two at a time past two instances,
 *   unless PM2_CONCURRENT_ACTIONS=1) and, with `wait_ready`, keeps the old worker until the new
 *   one sends `ready`. `reload <id>` does not recognise `ready` (the id arrives as a string)
 *   and waits the whole `listen_timeout`: never reload by id.
 * - After `listen_timeout` without `ready`, PM2 stops the old worker anyway. The ecosystem file
 *   sets it far above the deploy's ready timeout, so the deploy decides, not that timer.
 * - A worker PM2 waits on shows status `launching`; `online` once it sent `ready`.
 * - The script path is resolved when the app starts; through the `current` symlink every
 *   reload runs whatever release `current` points to at that moment.
 */
export interface Pm2Process {
  pmId: number;
  name: string;
  pid: number;
  status: string;
  listenTimeoutMs?: number;
}

export interface Pm2Options {
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  /** The pm2 executable; defaults to the pm2 package installed beside this code. */
  bin?: string;
}

const PM2_BIN_MODULE = 'pm2/bin/pm2';

/** Whether the pm2 executable is there: the one given, or the package beside this code. */
export function pm2Exists(bin?: string): boolean {
  if (bin) return fs.existsSync(bin);
  try {
    require.resolve(PM2_BIN_MODULE);
    return true;
  } catch {
    return false;
  }
}

export class Pm2 {
  private readonly bin: string;

  constructor(private readonly options: Pm2Options) {
    this.bin = options.bin ?? require.resolve(PM2_BIN_MODULE);
  }

  /** Workers of `name` (the parked old worker of a reload in progress is not listed). */
  async list(name: string): Promise<Pm2Process[]> {
    const result = await this.run(['jlist'], { quietStdout: true });
    const json = result.stdout
      .split('\n')
      .reverse()
      .find((line) => line.startsWith('['));
    if (!json) throw new DeployError('COMMAND_FAILED', `pm2 jlist printed no process list`);
    const processes = JSON.parse(json) as {
      pm_id: number | string;
      name: string;
      pid: number;
      pm2_env: { status: string; listen_timeout?: number };
    }[];
    return processes
      .filter((entry) => entry.name === name && typeof entry.pm_id === 'number')
      .map((entry) => ({
        pmId: entry.pm_id as number,
        name: entry.name,
        pid: entry.pid,
        status: entry.pm2_env.status,
        listenTimeoutMs: entry.pm2_env.listen_timeout,
      }))
      .sort((a, b) => a.pmId - b.pmId);
  }

  /** Starts the app of the ecosystem file, or reloads it worker by worker; runs in background. */
  startOrReload(ecosystem: string, name: string, extraEnv: NodeJS.ProcessEnv): RunningCommand {
    return startCommand(process.execPath, [this.bin, 'startOrReload', ecosystem, '--only', name], {
      env: { ...this.options.env, ...extraEnv, PM2_CONCURRENT_ACTIONS: '1' },
      reporter: this.options.reporter,
      label: 'pm2',
      // Its process table; what matters is reported by the deploy itself.
      quietStdout: true,
    });
  }

  /** Replaces one worker now, with the current environment (`--update-env`). */
  async restart(pmId: number): Promise<void> {
    await this.run(['restart', String(pmId), '--update-env']);
  }

  async scale(name: string, instances: number): Promise<void> {
    await this.run(['scale', name, String(instances)]);
  }

  async delete(name: string): Promise<void> {
    await this.run(['delete', name]);
  }

  private run(args: string[], options: { quietStdout?: boolean } = {}) {
    return runChecked(process.execPath, [this.bin, ...args], {
      env: this.options.env,
      reporter: this.options.reporter,
      label: 'pm2',
      timeoutMs: 120_000,
      ...options,
    });
  }
}
