import {
  execFileSync,
  spawn,
  spawnSync,
  type ChildProcess,
  type ExecFileSyncOptions,
} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/db/free-port';

/**
 * Real ssh hosts on this machine, for the infrastructure tests: a private OpenSSH server on
 * 127.0.0.1 and a free port, and one local user per "host" (zdmhost1@127.0.0.1, ...). Each user
 * has its own home (the deploy root is <home>/app, PM2_HOME is <home>/.pm2), reads nothing of
 * root's, and logs in with a key only. The machine must be Debian-like and this must run as
 * root (CI does): openssh-server and rsync are installed with apt-get when missing.
 *
 * `stop()` kills sshd by its pid and every host user's PM2 daemon and workers; call it in
 * afterAll, it runs whatever failed before.
 */
export interface SshHosts {
  users: string[];
  /** `user@127.0.0.1`, as --hosts takes them. */
  hosts: string[];
  port: number;
  /** For --ssh: key only, no prompt, the host key pinned in a known_hosts file. */
  sshCommand: string;
  /** `node` as a non-interactive ssh session on the hosts finds it (for --remote-node). */
  remoteNode: string;
  home(user: string): string;
  /** Runs a command on a host over the real ssh, as the deploy would. */
  ssh(user: string, command: string): string;
  /** Runs a shell script as the user on this machine (not through ssh), with its HOME. */
  runAs(user: string, script: string): string;
  /** Writes a file owned by the user (parent folders created, owned by the user too). */
  writeAs(user: string, file: string, content: string): void;
  /**
   * Makes every `--only verify` command the deploy sends to `user` fail at the ssh level, as
   * an unreachable host would (authorized_keys `command=` wrapper); null lifts it.
   */
  failVerifyOn(user: string | null): void;
  /** sshd's own log (stderr of `sshd -D -e`). */
  log(): string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';
const FAIL_FLAG = '.zdm-fail-verify';
const WRAPPER = '.ssh/zdm-command.sh';

export async function startSshHosts(users: string[] = ['zdmhost1', 'zdmhost2']): Promise<SshHosts> {
  if (process.getuid?.() !== 0) {
    throw new Error('the ssh infrastructure tests create users and run sshd: run them as root');
  }
  installPackages();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-sshd-'));
  const key = path.join(dir, 'client_key');
  const hostKey = path.join(dir, 'host_key');
  const knownHosts = path.join(dir, 'known_hosts');
  const pidFile = path.join(dir, 'sshd.pid');
  const config = path.join(dir, 'sshd_config');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'zdm-client', '-f', key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'zdm-host', '-f', hostKey]);
  const publicKey = fs.readFileSync(`${key}.pub`, 'utf8').trim();

  const homes: Record<string, string> = {};
  for (const user of users) homes[user] = prepareUser(user, publicKey);

  const port = await freePort();
  fs.writeFileSync(
    knownHosts,
    `[127.0.0.1]:${port} ${fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`,
  );
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      'AuthorizedKeysFile .ssh/authorized_keys',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin no',
      'StrictModes yes',
      `AllowUsers ${users.join(' ')}`,
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PrintMotd no',
      'MaxStartups 50',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd refuses to start without its privilege separation folder (Debian: /run/sshd).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  execFileSync(SSHD, ['-t', '-f', config]);
  const sshd = spawn(SSHD, ['-f', config, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let sshdLog = '';
  sshd.stderr?.on('data', (chunk: Buffer) => (sshdLog += chunk.toString()));
  const exited = new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
  // Should the test process end without afterAll (killed by a timeout), sshd goes with it.
  const onExit = () => sshd.pid && signal(sshd.pid, 'SIGKILL');
  process.once('exit', onExit);

  const sshArgs = [
    '-p',
    String(port),
    '-i',
    key,
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'ConnectTimeout=10',
  ];
  const ssh = (user: string, command: string) =>
    execFileSync('ssh', [...sshArgs, `${user}@127.0.0.1`, command], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  const stop = async () => {
    for (const user of users) killPm2Of(user, homes[user]);
    await stopSshd(sshd, exited, pidFile);
    process.removeListener('exit', onExit);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForLogin(
      () => ssh(users[0], 'true'),
      () => sshdLog,
    );
    const remoteNode = ssh(users[0], 'command -v node || true').trim() || shareableNode();
    return {
      users,
      hosts: users.map((user) => `${user}@127.0.0.1`),
      port,
      sshCommand: ['ssh', ...sshArgs].join(' '),
      remoteNode,
      home: (user) => homes[user],
      ssh,
      runAs: (user, script) => runAs(user, homes[user], script),
      writeAs: (user, file, content) => writeAs(user, homes[user], file, content),
      failVerifyOn: (failing) => {
        for (const user of users) {
          const flag = path.join(homes[user], FAIL_FLAG);
          if (user === failing) writeAs(user, homes[user], flag, 'fail --only verify\n');
          else fs.rmSync(flag, { force: true });
        }
      },
      log: () => sshdLog,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** openssh-server and rsync from Debian's packages, when either is missing. */
function installPackages(): void {
  const missing = [
    ...(fs.existsSync(SSHD) ? [] : ['openssh-server', 'openssh-client']),
    ...(hasCommand('rsync') ? [] : ['rsync']),
    ...(hasCommand('ssh') ? [] : ['openssh-client']),
  ];
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const options: ExecFileSyncOptions = {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  };
  // Installing openssh-server must not start the machine's own sshd on port 22.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update'], options);
    execFileSync(
      'apt-get',
      ['install', '-y', '--no-install-recommends', ...new Set(missing)],
      options,
    );
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * A user per host, reused when present: key-only login (password field `*`, not `!`: sshd
 * without PAM refuses a locked account), /bin/sh, its own home. What an earlier run left in
 * the home (deploy root, PM2 daemon) is removed, so every run starts from an empty host.
 */
function prepareUser(user: string, publicKey: string): string {
  const known = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  if (known.status !== 0) {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--password', '*', user]);
  } else {
    execFileSync('usermod', ['--shell', '/bin/sh', '--password', '*', user]);
  }
  const home = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5];
  fs.mkdirSync(home, { recursive: true });
  execFileSync('chown', [`${user}:`, home]);
  fs.chmodSync(home, 0o750);
  killPm2Of(user, home);
  for (const leftover of ['app', '.pm2', FAIL_FLAG, '.ssh']) {
    fs.rmSync(path.join(home, leftover), { recursive: true, force: true });
  }
  writeAs(user, home, path.join(home, '.ssh', 'authorized_keys'), authorizedKeys(home, publicKey));
  fs.chmodSync(path.join(home, '.ssh'), 0o700);
  fs.chmodSync(path.join(home, '.ssh', 'authorized_keys'), 0o600);
  writeAs(user, home, path.join(home, WRAPPER), commandWrapper(home));
  fs.chmodSync(path.join(home, WRAPPER), 0o700);
  return home;
}

/**
 * The key runs every session through a wrapper that fails `--only verify` while the flag file
 * exists (failVerifyOn) and otherwise runs what was asked, as sshd would have.
 */
function authorizedKeys(home: string, publicKey: string): string {
  return `command="${path.join(home, WRAPPER)}",no-port-forwarding,no-agent-forwarding,no-X11-forwarding ${publicKey}\n`;
}

function commandWrapper(home: string): string {
  return [
    '#!/bin/sh',
    `if [ -f ${path.join(home, FAIL_FLAG)} ]; then`,
    '  case "$SSH_ORIGINAL_COMMAND" in',
    '    *"--only verify"*) echo "zdm test: this host refuses --only verify" >&2; exit 1;;',
    '  esac',
    'fi',
    'if [ -z "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/sh -l; fi',
    'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"',
    '',
  ].join('\n');
}

function runAs(user: string, home: string, script: string): string {
  return execFileSync(
    'runuser',
    [
      '-u',
      user,
      '--',
      'env',
      '-i',
      `HOME=${home}`,
      `USER=${user}`,
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'sh',
      '-c',
      script,
    ],
    { cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

function writeAs(user: string, home: string, file: string, content: string): void {
  const parents: string[] = [];
  for (let dir = path.dirname(file); dir.startsWith(`${home}/`); dir = path.dirname(dir)) {
    if (!fs.existsSync(dir)) parents.unshift(dir);
  }
  for (const dir of parents) {
    fs.mkdirSync(dir);
    execFileSync('chown', [`${user}:`, dir]);
  }
  fs.writeFileSync(file, content);
  execFileSync('chown', [`${user}:`, file]);
}

/**
 * The user's PM2 daemon and its workers: `pm2 kill` as the user with the release's own PM2
 * when a release is there, then the daemon's pid from PM2_HOME/pm2.pid, then any process the
 * user still runs, each by pid (the users exist for these tests only).
 */
function killPm2Of(user: string, home: string): void {
  const pm2 = path.join(home, 'app', 'current', 'node_modules', 'pm2', 'bin', 'pm2');
  if (fs.existsSync(path.join(home, '.pm2', 'pm2.pid')) && fs.existsSync(pm2)) {
    try {
      runAs(user, home, `PM2_HOME="$HOME/.pm2" node ${pm2} kill`);
    } catch {
      // Fall through to the pids.
    }
  }
  const daemon = Number(readIfExists(path.join(home, '.pm2', 'pm2.pid')));
  if (daemon > 0) signal(daemon, 'SIGKILL');
  const ps = spawnSync('ps', ['-o', 'pid=', '-u', user], { encoding: 'utf8' });
  for (const pid of ps.stdout.split('\n').map(Number).filter(Boolean)) signal(pid, 'SIGKILL');
}

async function stopSshd(sshd: ChildProcess, exited: Promise<void>, pidFile: string) {
  const pid = sshd.pid ?? Number(readIfExists(pidFile));
  if (pid > 0 && sshd.exitCode === null && sshd.signalCode === null) {
    signal(pid, 'SIGTERM');
    const timer = setTimeout(() => signal(pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

async function waitForLogin(login: () => unknown, log: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      login();
      return;
    } catch (error) {
      if (Date.now() > until) {
        const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
        throw new Error(`no ssh login to the test sshd: ${stderr}\nsshd log:\n${log()}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** This node, when the host users may run it (it is not somewhere under /root). */
function shareableNode(): string {
  try {
    fs.accessSync(process.execPath, fs.constants.X_OK);
    const mode = fs.statSync(process.execPath).mode;
    if (mode & 0o001) return process.execPath;
  } catch {
    // Below.
  }
  throw new Error(`no node on the hosts' PATH, and ${process.execPath} is not for other users`);
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
