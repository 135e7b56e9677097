import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { onPath, progress, run, sleep, tail, waitFor, type RunOptions } from './run';

/**
 * A private Docker engine for the infrastructure tests: Debian's docker.io, started by the
 * test with its own data root, exec root, pid file and socket, so it never touches (or needs)
 * a system-wide engine. Its data root lives in a stable cache folder, so images built once
 * (the stand-in base images, the project's layers) are reused by later test files and runs.
 *
 * The engine runs with --bridge=none and --iptables=false: containers use `--network host`,
 * and the only traffic the tests send goes to 127.0.0.1.
 */

/** Label on every container the tests start, so a crashed run's leftovers can be removed. */
export const TEST_LABEL = 'org.zdm-infra.test';
/** Compose projects of the tests are named `<prefix>-<pid>`. */
export const COMPOSE_PROJECT_PREFIX = 'zdm-infra';

const DEBIAN_PACKAGES = ['docker.io', 'debootstrap', 'docker-compose'];
const REQUIRED_COMMANDS = ['dockerd', 'docker', 'containerd', 'runc', 'debootstrap'];

export function cacheRoot(): string {
  return path.resolve(process.env.ZDM_INFRA_CACHE ?? '/var/cache/zdm-infra');
}

export function logDir(): string {
  const dir = path.join(cacheRoot(), 'logs');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

let aptUpdated = false;

/**
 * Installs Debian's docker.io, debootstrap and docker-compose when any of their commands is
 * missing. Needs root (CI runs as root, with no standard input).
 */
export async function ensureHostPackages(): Promise<void> {
  const missing: string[] = [];
  for (const command of [...REQUIRED_COMMANDS, 'docker-compose']) {
    if (!(await onPath(command))) missing.push(command);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(', ')}; the infrastructure tests install them as root`);
  }
  progress(`installing ${DEBIAN_PACKAGES.join(' ')} (missing: ${missing.join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const logFile = path.join(logDir(), 'apt.log');
  if (!aptUpdated) {
    await run('apt-get', ['update'], { env, logFile, timeoutMs: 300_000 });
    aptUpdated = true;
  }
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...DEBIAN_PACKAGES], {
    env,
    logFile,
    timeoutMs: 900_000,
  });
  for (const command of REQUIRED_COMMANDS) {
    if (!(await onPath(command))) throw new Error(`${command} is still missing after apt-get`);
  }
}

interface DaemonPaths {
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  socket: string;
  ownerFile: string;
  logFile: string;
}

function daemonPaths(): DaemonPaths {
  const root = cacheRoot();
  return {
    dataRoot: path.join(root, 'data'),
    execRoot: path.join(root, 'exec'),
    pidFile: path.join(root, 'dockerd.pid'),
    socket: path.join(root, 'docker.sock'),
    ownerFile: path.join(root, 'dockerd.owner'),
    logFile: path.join(logDir(), 'dockerd.log'),
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process's command line, when it is alive and contains `marker`. */
function commandLineContains(pid: number, marker: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}

async function terminate(pid: number, graceMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < until) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

/**
 * A daemon left by an earlier run on the same cache: if the run that started it is still
 * alive, wait for it to finish (the cache is one engine's data root); if not, stop it.
 */
async function takeOverCache(paths: DaemonPaths): Promise<void> {
  const waitUntil = Date.now() + 30 * 60_000;
  for (;;) {
    const owner = readPid(paths.ownerFile);
    const daemon = readPid(paths.pidFile);
    const daemonAlive = daemon !== undefined && commandLineContains(daemon, paths.dataRoot);
    const ownerAlive = owner !== undefined && owner !== process.pid && isAlive(owner);
    if (!daemonAlive) break;
    if (!ownerAlive) {
      progress(`stopping a dockerd (pid ${daemon}) left behind by an earlier run`);
      await terminate(daemon, 30_000);
      break;
    }
    if (Date.now() > waitUntil) {
      throw new Error(`the cache ${cacheRoot()} is in use by the run with pid ${owner}`);
    }
    progress(`the run with pid ${owner} is using the cache; waiting for it`);
    await sleep(5_000);
  }
  const containerd = readPid(path.join(paths.execRoot, 'containerd', 'containerd.pid'));
  if (containerd !== undefined && commandLineContains(containerd, paths.execRoot)) {
    await terminate(containerd, 10_000);
  }
}

/** Unmounts whatever is mounted below these folders, deepest first. */
async function unmountUnder(roots: string[]): Promise<void> {
  const mountPoints = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter(Boolean)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => roots.some((root) => point.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) {
    await run('umount', [point], { allowFailure: true, timeoutMs: 30_000 });
  }
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export class Docker {
  /** The environment of every docker and docker-compose command: this engine, no BuildKit. */
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly socket: string,
    private readonly child: ChildProcess,
    private readonly paths: DaemonPaths,
  ) {
    this.env = {
      ...process.env,
      DOCKER_HOST: `unix://${socket}`,
      // BuildKit would fetch the `# syntax=` frontend image from a registry, which this
      // network does not reach; the classic builder ignores the directive.
      DOCKER_BUILDKIT: '0',
      COMPOSE_DOCKER_CLI_BUILD: '0',
      // A private engine needs no credentials helper or user config.
      DOCKER_CONFIG: path.join(cacheRoot(), 'docker-config'),
    };
    fs.mkdirSync(this.env.DOCKER_CONFIG as string, { recursive: true });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** `docker ...` on this engine; `options.env` adds to (and wins over) the engine's env. */
  docker(args: string[], options: RunOptions = {}) {
    const env = { ...this.env, ...options.env };
    return run('docker', args, { timeoutMs: 120_000, ...options, env });
  }

  /** `docker-compose ...` on this engine, like `docker()`. */
  compose(args: string[], options: RunOptions = {}) {
    const env = { ...this.env, ...options.env };
    return run('docker-compose', args, { timeoutMs: 300_000, ...options, env });
  }

  async imageExists(ref: string): Promise<boolean> {
    const result = await this.docker(['image', 'inspect', ref], { allowFailure: true });
    return result.code === 0;
  }

  async imageLabel(ref: string, label: string): Promise<string | undefined> {
    const result = await this.docker(
      ['image', 'inspect', '--format', `{{ index .Config.Labels "${label}" }}`, ref],
      { allowFailure: true },
    );
    const value = result.stdout.trim();
    return result.code === 0 && value !== '' && value !== '<no value>' ? value : undefined;
  }

  async inspect<T = Record<string, unknown>>(ref: string): Promise<T> {
    const result = await this.docker(['inspect', ref]);
    return (JSON.parse(result.stdout) as T[])[0];
  }

  /** Removes every container with the test label (and their anonymous volumes). */
  async removeTestContainers(): Promise<void> {
    const ids = await this.docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}`]);
    const list = ids.stdout.split('\n').filter(Boolean);
    if (list.length > 0) await this.docker(['rm', '-f', '-v', ...list]);
  }

  /** Removes the volumes of compose projects named `<prefix>...` (a crashed run's). */
  async removeProjectVolumes(prefix: string): Promise<void> {
    const names = await this.docker(['volume', 'ls', '--format', '{{.Name}}']);
    const list = names.stdout.split('\n').filter((name) => name.startsWith(prefix));
    if (list.length > 0) await this.docker(['volume', 'rm', '-f', ...list]);
  }

  /** Stops the engine by its pid (SIGTERM, SIGKILL after 30 s); safe to call twice. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await terminate(this.pid, 30_000);
    }
    const containerd = readPid(path.join(this.paths.execRoot, 'containerd', 'containerd.pid'));
    if (containerd !== undefined && commandLineContains(containerd, this.paths.execRoot)) {
      await terminate(containerd, 10_000);
    }
    // dockerd leaves its bind mount of the host's network namespace (exec-root/netns/default)
    // behind; leave no mount of ours on the machine.
    await unmountUnder([this.paths.execRoot, this.paths.dataRoot]);
    if (readPid(this.paths.ownerFile) === process.pid) fs.rmSync(this.paths.ownerFile);
  }
}

/**
 * Starts the private engine and waits until it answers. The caller stops it with `stop()`
 * (in afterAll, whatever happened).
 */
export async function startDockerd(): Promise<Docker> {
  await ensureHostPackages();
  const paths = daemonPaths();
  for (const dir of [paths.dataRoot, paths.execRoot]) fs.mkdirSync(dir, { recursive: true });
  await takeOverCache(paths);
  fs.writeFileSync(paths.ownerFile, `${process.pid}\n`);

  const args = [
    '--data-root',
    paths.dataRoot,
    '--exec-root',
    paths.execRoot,
    '-p',
    paths.pidFile,
    '--host',
    `unix://${paths.socket}`,
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
  ];
  // dockerd picks overlay2 where the backing file system supports it (ext4 and xfs do);
  // ZDM_INFRA_STORAGE_DRIVER=vfs is the way out where it does not.
  if (process.env.ZDM_INFRA_STORAGE_DRIVER) {
    args.push(`--storage-driver=${process.env.ZDM_INFRA_STORAGE_DRIVER}`);
  }
  const log = fs.openSync(paths.logFile, 'a');
  fs.writeSync(log, `\n--- dockerd ${args.join(' ')} (${new Date().toISOString()})\n`);
  const child = spawn('dockerd', args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const docker = new Docker(paths.socket, child, paths);
  try {
    await waitFor(
      'dockerd answers on its socket',
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`dockerd exited (${child.exitCode ?? child.signalCode})`);
        }
        return (await ping(paths.socket)) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await docker.removeTestContainers();
    await docker.removeProjectVolumes(`${COMPOSE_PROJECT_PREFIX}-`);
    // Keep the cache bounded: untagged images (earlier builds' layers) unused for a week go.
    await docker.docker(['image', 'prune', '--force', '--filter', 'until=168h']);
  } catch (error) {
    await docker.stop();
    const logText = fs.readFileSync(paths.logFile, 'utf8');
    throw new Error(`${(error as Error).message}\n${tail(logText, 3000)}`, { cause: error });
  }
  progress(`dockerd pid ${docker.pid}, data root ${paths.dataRoot}`);
  return docker;
}
