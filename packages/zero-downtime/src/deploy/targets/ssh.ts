import path from 'node:path';
import { buildRelease } from '../build';
import { runChecked, runCommand } from '../../core/processes';
import { installProductionDependencies, lockHash } from '../dependencies';
import { DeployError, NOTHING_SERVES } from '../errors';
import type { DeployOptions } from '../options';
import { releaseCliPath } from '../release-cli';
import { readRelease, releaseDir, type Release } from '../releases';
import type { Reporter } from '../reporter';
import type { Step } from '../steps';
import type { RollbackOutcome, Target, TargetContext } from './index';

/**
 * The local target on a list of hosts, one host at a time. The release is built once here
 * (the migrations run once, from here), copied to every host with rsync over ssh (files and
 * the production dependency set, made once per lock file here; the node_modules link is
 * relative), then on each host in turn the
 * release's own compiled deploy command runs the local target's rollout and verification:
 *
 *   cd <remote root> && node releases/<id>/node_modules/zero-downtime-toolkit/dist/cli/index.js
 *     deploy --target local --deploy-root . --release <id> --only rollout,verify --no-database-lock
 *
 * A host that fails rolls itself back (that is what the local target does); the hosts before
 * it are then rolled back too, last first. The database lock is held here for the whole
 * deploy, hence --no-database-lock on the hosts.
 */
type HostStatus = 'pending' | 'rolled-out' | 'failed' | 'rolled-back';

interface SshData {
  hosts?: Record<string, { previous: string | null; status: HostStatus }>;
}

export function createSshTarget(options: DeployOptions): Target {
  if (options.ssh.hosts.length === 0) {
    throw new DeployError('DEPLOY_USAGE', '--target ssh needs --hosts, e.g. --hosts web1,web2');
  }
  return new SshTarget(options);
}

class SshTarget implements Target {
  readonly name = 'ssh';

  constructor(private readonly options: DeployOptions) {}

  /**
   * Every host answers over the ssh command, without a prompt, and has rsync and the node the
   * release runs with; rsync is here too. Hosts are asked in parallel, each within 20 s.
   */
  async preflight(steps: readonly Step[], reporter: Reporter): Promise<void> {
    if (steps.every((step) => step.startsWith('migrate-'))) return;
    const local = await runCommand('rsync', ['--version'], { env: this.options.env });
    if (local.code !== 0) {
      throw new DeployError(
        'DEPLOY_PREFLIGHT',
        'rsync is not installed on this machine: the ssh target copies releases with it ' +
          '(apt-get install rsync, or brew install rsync). Nothing was built or changed.',
      );
    }
    const node = shellQuote(this.options.ssh.node);
    const probe = `command -v rsync >/dev/null || { echo 'rsync is not installed'; exit 3; }; ${node} --version`;
    const failures = await Promise.all(
      this.options.ssh.hosts.map(async (host) => {
        const [program, ...args] = this.sshArgv(host, probe);
        const result = await runCommand(program, args, {
          env: this.options.env,
          timeoutMs: 20_000,
        });
        if (result.code === 0) {
          reporter.info(`${host}: reachable, node ${result.stdout.trim()}`);
          return undefined;
        }
        const said = result.output.trim().split('\n').slice(-2).join(' ') || 'no output';
        const why = result.timedOut ? 'no answer within 20 s' : said;
        return `${host}: ${why}`;
      }),
    );
    const unreachable = failures.filter((failure) => failure !== undefined);
    if (unreachable.length > 0) {
      throw new DeployError(
        'DEPLOY_PREFLIGHT',
        `${unreachable.length} of ${this.options.ssh.hosts.length} host(s) not ready for a ` +
          `deploy:\n  ${unreachable.join('\n  ')}\nCheck that \`${this.options.ssh.command} <host> ` +
          `${this.options.ssh.node} --version\` works without a prompt (a key without a ` +
          'passphrase prompt, the host key in known_hosts, rsync and node installed there). ' +
          'Nothing was built or changed.',
      );
    }
  }

  async build(context: TargetContext): Promise<Release> {
    const release = this.options.release
      ? readRelease(this.options.root, this.options.release)
      : await buildRelease({
          source: this.options.source,
          ref: this.options.ref,
          root: this.options.root,
          reporter: context.reporter,
          env: this.options.env,
        });
    if (!release) {
      throw new DeployError(
        'BUILD_FAILED',
        `--release ${this.options.release}: no complete build in ${releaseDir(this.options.root, this.options.release ?? '')}`,
      );
    }
    const dependencies = await installProductionDependencies({
      root: this.options.root,
      packageDir: release.dir,
      seedFrom: this.options.source,
      reporter: context.reporter,
      env: this.options.env,
    });
    for (const host of this.options.ssh.hosts) {
      context.reporter.info(`${host}: copying release ${release.id}`);
      const started = Date.now();
      try {
        const sent = await this.ship(host, release, dependencies, context);
        context.reporter.info(
          `${host}: copied release ${release.id} (${(sent / 1e6).toFixed(1)} MB sent) in ${seconds(started)} s`,
        );
      } catch (error) {
        throw new DeployError(
          'SHIP_FAILED',
          `${host}: copying release ${release.id} failed: ${(error as Error).message}\n` +
            `The build itself succeeded. Check that \`${this.options.ssh.command} ${host} true\` ` +
            'works without a prompt (a key that loads without a passphrase prompt, the host key ' +
            'in known_hosts, rsync installed on the host).',
          { cause: error },
        );
      }
    }
    return release;
  }

  async rollout(context: TargetContext): Promise<void> {
    const release = requireRelease(context);
    const data = context.state.targetData as SshData;
    data.hosts ??= {};
    for (const host of this.options.ssh.hosts) {
      const entry = (data.hosts[host] ??= {
        previous: await this.remoteCurrent(host, context),
        status: 'pending',
      });
      context.saveState();
      context.reporter.info(`${host}: rolling out ${release.id}`);
      const started = Date.now();
      try {
        await this.remoteDeploy(
          host,
          release,
          ['--release', release.id, '--only', 'rollout,verify', ...previousArgs(entry.previous)],
          context,
        );
        entry.status = 'rolled-out';
        context.saveState();
        context.reporter.info(`${host}: rolled out ${release.id} in ${seconds(started)} s`);
      } catch (error) {
        entry.status = 'failed';
        context.saveState();
        throw new DeployError(
          'ROLLOUT_FAILED',
          `${host}: the rollout failed and the host rolled itself back: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }

  async verify(context: TargetContext): Promise<void> {
    const release = requireRelease(context);
    for (const host of this.options.ssh.hosts) {
      await this.remoteDeploy(
        host,
        release,
        ['--release', release.id, '--only', 'verify'],
        context,
      );
    }
  }

  /**
   * Each host that took the release goes back to the release this machine recorded for it
   * before the rollout (passed as --previous, so the host's own state file cannot mislead
   * it); only a host known to have had nothing is emptied.
   */
  async rollback(context: TargetContext): Promise<RollbackOutcome> {
    const release = requireRelease(context);
    const hosts = (context.state.targetData as SshData).hosts ?? {};
    const done = this.options.ssh.hosts.filter((host) => hosts[host]?.status === 'rolled-out');
    for (const host of [...done].reverse()) {
      const { previous } = hosts[host];
      const to = previous ?? 'nothing (first deploy)';
      context.reporter.info(`${host}: rolling back to ${to}`);
      const started = Date.now();
      await this.remoteRollback(host, release, previous, context);
      hosts[host].status = 'rolled-back';
      context.saveState();
      context.reporter.info(`${host}: rolled back to ${to} in ${seconds(started)} s`);
    }
    const failed = this.options.ssh.hosts.filter((host) => hosts[host]?.status === 'failed');
    const empty = [...done, ...failed].filter((host) => hosts[host].previous === null);
    return {
      summary:
        `rolled back ${done.length} host(s)${done.length ? ` (${done.join(', ')})` : ''}` +
        (failed.length ? `; ${failed.join(', ')} rolled itself back` : '') +
        (empty.length ? `; nothing serves on ${empty.join(', ')} (no release before)` : ''),
      serving: empty.length === 0,
    };
  }

  /** A host emptied by its rollback exits non-zero by design: that is success here. */
  private async remoteRollback(
    host: string,
    release: Release,
    previous: string | null,
    context: TargetContext,
  ): Promise<void> {
    try {
      await this.remoteDeploy(host, release, ['--rollback', ...previousArgs(previous)], context);
    } catch (error) {
      const emptied = previous === null && (error as Error).message.includes(NOTHING_SERVES);
      if (!emptied) throw error;
    }
  }

  /**
   * The production dependency set goes where the release's node_modules link expects the set
   * of its lock file (`shared/node_modules/<hash>`). Returns the bytes rsync sent.
   */
  private async ship(
    host: string,
    release: Release,
    dependencies: string,
    context: TargetContext,
  ): Promise<number> {
    const root = this.options.ssh.remoteRoot;
    const hash = lockHash(release.dir);
    await this.remote(
      host,
      `mkdir -p ${shellQuote(`${root}/releases`)} ${shellQuote(`${root}/shared/node_modules`)}`,
      context,
    );
    let sent = await this.rsync(
      `${dependencies}/`,
      `${host}:${root}/shared/node_modules/${hash}/`,
      context,
    );
    sent += await this.rsync(`${release.dir}/`, `${host}:${root}/releases/${release.id}/`, context);
    // The host's own secrets, if it keeps them in shared/.env like a local deploy root.
    const env = `${root}/shared/.env`;
    const link = `${root}/releases/${release.id}/.env`;
    await this.remote(
      host,
      `if [ -f ${shellQuote(env)} ] && [ ! -e ${shellQuote(link)} ]; then ln -s ../../shared/.env ${shellQuote(link)}; fi`,
      context,
    );
    return sent;
  }

  private async remoteCurrent(host: string, context: TargetContext): Promise<string | null> {
    const link = `${this.options.ssh.remoteRoot}/current`;
    const result = await this.remote(host, `readlink ${shellQuote(link)} || true`, context);
    const target = result.trim();
    return target ? path.basename(target) : null;
  }

  private remoteDeploy(host: string, release: Release, args: string[], context: TargetContext) {
    const script = path.posix.join('releases', release.id, releaseCliPath());
    const command = [
      `cd ${shellQuote(this.options.ssh.remoteRoot)} &&`,
      shellQuote(this.options.ssh.node),
      script,
      'deploy --target local --deploy-root . --no-database-lock',
      `--app-name ${shellQuote(this.options.appName)}`,
      `--ready-timeout ${this.options.readyTimeoutMs}`,
      ...(this.options.instances ? [`--instances ${this.options.instances}`] : []),
      ...args.map(shellQuote),
    ].join(' ');
    return this.remote(host, command, context);
  }

  /** The ssh command line (`--ssh`, split on spaces) that runs `command` on `host`. */
  private sshArgv(host: string, command: string): string[] {
    return [...this.options.ssh.command.split(/\s+/).filter(Boolean), host, command];
  }

  private async remote(host: string, command: string, context: TargetContext): Promise<string> {
    const [program, ...args] = this.sshArgv(host, command);
    const result = await runChecked(program, args, {
      env: this.options.env,
      reporter: context.reporter,
      label: host,
    });
    return result.stdout;
  }

  /** `rsync -a --delete` over the ssh command; returns the bytes it sent (its --stats). */
  private async rsync(from: string, to: string, context: TargetContext): Promise<number> {
    const result = await runChecked(
      'rsync',
      ['-a', '--delete', '--stats', '-e', this.options.ssh.command, from, to],
      { env: this.options.env, reporter: context.reporter, label: 'rsync', quietStdout: true },
    );
    const sent = /Total bytes sent: ([\d,.]+)/.exec(result.stdout)?.[1] ?? '0';
    return Number(sent.replace(/[,.]/g, ''));
  }
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}

function previousArgs(previous: string | null): string[] {
  return ['--previous', previous ?? 'none'];
}

function requireRelease(context: TargetContext): Release {
  const release = context.state.release;
  if (!release)
    throw new DeployError('DEPLOY_NO_STATE', 'no release was built yet: run the build step first');
  return release;
}

/** Quotes a word for the remote POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
