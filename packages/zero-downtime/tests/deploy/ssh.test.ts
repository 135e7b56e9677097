import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { freePort } from '../support/project';
import {
  commitsByPid,
  createSourceRepo,
  killPm2,
  pm2Workers,
  runDeployCommand,
  seedDependencies,
  tempDir,
  type SourceRepo,
} from './support/fixture';

jest.setTimeout(420_000);

/**
 * `npm run deploy -- --target ssh` with a fake `ssh` first on PATH: NO REMOTE HOST RUNS.
 * The fake runs each command on this machine, in a home folder of its own per host name and
 * with an empty environment (PATH, HOME, PM2_HOME only), as a non-interactive ssh session
 * would; each "host" keeps its settings in <home>/app/shared/.env, its own PM2 daemon and port.
 * rsync goes through the same fake (`rsync -e ssh`), so the copies are real too. The fake can
 * fail the final verification on one host (FAKE_SSH_FAIL_VERIFY_ON).
 */
const FAKE_SSH = `#!/bin/sh
host="$1"; shift
printf '%s\\t%s\\n' "$host" "$*" >> "$FAKE_SSH_LOG"
case "$host:$*" in "$FAKE_SSH_FAIL_VERIFY_ON:"*"--only verify"*) echo "verify made to fail" >&2; exit 1;; esac
home="$FAKE_SSH_HOMES/$host"
mkdir -p "$home" && cd "$home" || exit 255
exec env -i PATH="$PATH" HOME="$home" PM2_HOME="$home/.pm2" FAKE_SSH_HOST="$host" sh -c "$*"
`;

describe('npm run deploy -- --target ssh (fake ssh running every command on this machine; no remote host ran)', () => {
  let repo: SourceRepo;
  let database: TestDatabase;
  let localRoot: string;
  let homes: string;
  let bin: string;
  let log: string;
  const hosts = ['web-a', 'web-b'];
  const ports: Record<string, number> = {};
  const appName = `zdm-ssh-test-${randomBytes(3).toString('hex')}`;

  let failVerifyOn = '';
  let firstEcosystem: string;
  const deploy = (...extra: string[]) =>
    runDeployCommand(
      [
        '--target',
        'ssh',
        '--hosts',
        hosts.join(','),
        '--source',
        repo.dir,
        '--deploy-root',
        localRoot,
        '--app-name',
        appName,
        '--instances',
        '1',
        ...extra,
      ],
      {
        DATABASE_URL: database.url,
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_SSH_LOG: log,
        FAKE_SSH_HOMES: homes,
        FAKE_SSH_FAIL_VERIFY_ON: failVerifyOn,
        NODE_ENV: 'production',
        DEPLOY_ROOT: undefined,
        PM2_HOME: undefined,
      },
    );
  /** A commit with the first release's ecosystem file and no migration of the broken one. */
  const goodRelease = (message: string) =>
    repo.commit(message, {
      'deploy/ecosystem.config.js': firstEcosystem,
      'migrations/post-deploy/20300101000001-create-should-not-exist.sql': null,
    });
  const hostHome = (host: string) => path.join(homes, host);
  const served = async (host: string) => {
    const pids = pm2Workers(path.join(hostHome(host), '.pm2'), appName).map((w) => w.pid);
    return [...(await commitsByPid(ports[host], pids)).values()];
  };
  const calls = (since: number) =>
    fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .slice(since)
      .filter(Boolean)
      .map((line) => {
        const [host, command] = line.split('\t');
        return `${host}: ${describeCall(command)}`;
      });
  const logLength = () =>
    fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').length - 1 : 0;

  beforeAll(async () => {
    repo = createSourceRepo();
    firstEcosystem = repo.read('deploy/ecosystem.config.js');
    database = await createEmptyDatabase();
    localRoot = tempDir('zdm-ssh-local-');
    homes = tempDir('zdm-ssh-homes-');
    bin = tempDir('zdm-ssh-bin-');
    log = path.join(bin, 'calls.log');
    fs.writeFileSync(path.join(bin, 'ssh'), FAKE_SSH, { mode: 0o755 });
    await seedDependencies(localRoot);
    for (const host of hosts) {
      ports[host] = await freePort();
      const root = path.join(hostHome(host), 'app');
      await seedDependencies(root);
      fs.writeFileSync(
        path.join(root, 'shared', '.env'),
        [
          `DATABASE_URL=${database.url}`,
          `PORT=${ports[host]}`,
          'NODE_ENV=production',
          'LOG_LEVEL=warn',
          'SHUTDOWN_DRAIN_DELAY_MS=200',
          'SHUTDOWN_TIMEOUT_MS=5000',
        ].join('\n'),
      );
    }
  });

  afterAll(async () => {
    for (const host of hosts) killPm2(path.join(hostHome(host), '.pm2'));
    await database.drop();
    for (const dir of [repo.dir, localRoot, homes, bin])
      fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies the release to every host, migrates once from here, and rolls out host by host', async () => {
    const first = await deploy('--ready-timeout', '30000');
    expect(first.code).toBe(0);
    for (const host of hosts) expect(await served(host)).toEqual([repo.head()]);
    // Both hosts are checked before anything is built; in parallel, so in either order.
    expect(calls(0).slice(0, 2).sort()).toEqual(['web-a: preflight', 'web-b: preflight']);
    expect(calls(0).slice(2)).toEqual([
      'web-a: mkdir',
      'web-a: rsync',
      'web-a: rsync',
      'web-a: link shared .env',
      'web-b: mkdir',
      'web-b: rsync',
      'web-b: rsync',
      'web-b: link shared .env',
      'web-a: read current',
      'web-a: deploy rollout,verify',
      'web-b: read current',
      'web-b: deploy rollout,verify',
      'web-a: deploy verify',
      'web-b: deploy verify',
    ]);
    // The migrations ran once, from the machine running the deploy, not on the hosts.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('users') AS users");
    await client.end();
    expect(rows).toEqual([{ users: 'users' }]);
  });

  it('when the second host fails to become ready it rolls itself back, the first host is rolled back after it, and post-deploy does not run', async () => {
    const serving = repo.head();
    const ecosystem = repo.read('deploy/ecosystem.config.js');
    const brokenOnB = ecosystem.replace(
      'env: { NODE_ENV: config.env },',
      "env: { NODE_ENV: config.env, ...(process.env.FAKE_SSH_HOST === 'web-b' ? { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' } : {}) },",
    );
    expect(brokenOnB).not.toBe(ecosystem);
    repo.commit('release that never becomes ready on web-b', {
      'deploy/ecosystem.config.js': brokenOnB,
      'migrations/post-deploy/20300101000001-create-should-not-exist.sql':
        'CREATE TABLE should_not_exist (id bigint);\n',
    });
    const since = logLength();

    const failed = await deploy('--ready-timeout', '15000');
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('web-b: the rollout failed and the host rolled itself back');
    expect(failed.output).toContain('rolled back 1 host(s) (web-a)');
    expect(
      calls(since).filter((call) => call.includes('deploy') || call.includes('current')),
    ).toEqual([
      'web-a: read current',
      'web-a: deploy rollout,verify',
      'web-b: read current',
      'web-b: deploy rollout,verify',
      'web-a: deploy --rollback',
    ]);
    for (const host of hosts) expect(await served(host)).toEqual([serving]);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('should_not_exist') AS missing");
    await client.end();
    expect(rows).toEqual([{ missing: null }]);
  });

  it('a failure at the final verify step puts the previous release back on every host', async () => {
    const serving = goodRelease('a good release');
    expect((await deploy('--ready-timeout', '30000')).code).toBe(0);
    repo.commit('a release whose final verification fails on web-b');
    failVerifyOn = 'web-b';
    const failed = await deploy('--ready-timeout', '30000').finally(() => (failVerifyOn = ''));
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('FAILED at verify');
    expect(failed.output).toContain('rolled back 2 host(s) (web-a, web-b)');
    expect(failed.output).toContain('The previous version serves again');
    for (const host of hosts) expect(await served(host)).toEqual([serving]);
  });

  it('--rollback after two good deploys puts the first of them back on every host', async () => {
    const first = goodRelease('good release one');
    expect((await deploy('--ready-timeout', '30000')).code).toBe(0);
    const second = goodRelease('good release two');
    expect((await deploy('--ready-timeout', '30000')).code).toBe(0);
    for (const host of hosts) expect(await served(host)).toEqual([second]);

    const rolledBack = await deploy('--rollback');
    expect(rolledBack.output).toContain('rolled back 2 host(s) (web-a, web-b)');
    expect(rolledBack.code).toBe(0);
    for (const host of hosts) expect(await served(host)).toEqual([first]);
  });
});

function describeCall(command: string): string {
  if (command.startsWith('command -v rsync')) return 'preflight';
  if (command.startsWith('rsync --server')) return 'rsync';
  if (command.startsWith('mkdir')) return 'mkdir';
  if (command.includes('shared/.env')) return 'link shared .env';
  if (command.startsWith('readlink')) return 'read current';
  if (command.includes('--rollback')) return 'deploy --rollback';
  const only = /--only (\S+)/.exec(command);
  if (only) return `deploy ${only[1]}`;
  return command;
}
