import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { acquireDeployLock } from '../../src/deploy/lock';
import { silentReporter } from '../../src/deploy';
import { failureKind, formatSummary, startLoad, summarize } from '../../src/load';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { freePort } from '../support/project';
import {
  commitsByPid,
  createSourceRepo,
  killPm2,
  pm2Workers,
  runDeployCommand,
  tempDir,
  type SourceRepo,
} from './support/fixture';

jest.setTimeout(300_000);

/**
 * `npm run deploy -- --target local` for real: releases built from a git repository, PM2 in
 * cluster mode with two workers (its own PM2_HOME), a fresh database. The tests run in order
 * on one deploy root, as successive deploys of one project would.
 */
describe('npm run deploy -- --target local', () => {
  let repo: SourceRepo;
  let database: TestDatabase;
  let root: string;
  let pm2Home: string;
  let port: number;
  const appName = `zdm-deploy-test-${randomBytes(3).toString('hex')}`;
  let env: Record<string, string | undefined>;

  const deploy = (...extra: string[]) =>
    runDeployCommand(
      [
        '--target',
        'local',
        '--source',
        repo.dir,
        '--deploy-root',
        root,
        '--app-name',
        appName,
        ...extra,
      ],
      env,
    );
  const servedCommits = async () => {
    const pids = pm2Workers(pm2Home, appName).map((worker) => worker.pid);
    return { pids, commits: await commitsByPid(port, pids) };
  };
  const query = async (sql: string) => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  const readDeployState = () =>
    JSON.parse(fs.readFileSync(path.join(root, 'deploy-state.json'), 'utf8'));

  beforeAll(async () => {
    repo = createSourceRepo();
    database = await createEmptyDatabase();
    root = tempDir('zdm-deploy-root-');
    pm2Home = tempDir('zdm-deploy-pm2-');
    port = await freePort();
    env = {
      DATABASE_URL: database.url,
      PORT: String(port),
      PM2_HOME: pm2Home,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      APP_INSTANCES: '2',
      SHUTDOWN_DRAIN_DELAY_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '5000',
      DEPLOY_ROOT: undefined,
    };
  });

  afterAll(async () => {
    killPm2(pm2Home);
    await database.drop();
    for (const dir of [repo.dir, root, pm2Home]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts the cluster on a first deploy, then rolls out a new commit onto every instance, verified through /health/ready', async () => {
    const first = await deploy('--ready-timeout', '30000');
    expect(first.output).toContain('first deploy on this host');
    expect(first.code).toBe(0);
    const before = await servedCommits();
    expect(before.pids).toHaveLength(2);
    expect([...before.commits.values()]).toEqual([repo.head(), repo.head()]);
    expect(await query("SELECT to_regclass('users') AS users")).toEqual([{ users: 'users' }]);

    const second = repo.commit('second release');
    const rolled = await deploy('--ready-timeout', '30000');
    expect(rolled.code).toBe(0);
    expect(rolled.output).toContain('reloading 2 instance(s) one at a time');
    const after = await servedCommits();
    expect(after.pids).toHaveLength(2);
    expect(after.pids.filter((pid) => before.pids.includes(pid))).toEqual([]);
    expect([...after.commits.values()]).toEqual([second, second]);
    expect(fs.readlinkSync(path.join(root, 'current'))).toBe(`releases/${second.slice(0, 12)}`);
  });

  it('rolls back a release that never becomes ready: the old version serves under keep-alive load with zero failed requests, and post-deploy migrations do not run', async () => {
    const serving = repo.head();
    const ecosystem = repo.read('deploy/ecosystem.config.js');
    const broken = ecosystem.replace(
      'env: { NODE_ENV: config.env },',
      "env: { NODE_ENV: config.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/unreachable' },",
    );
    expect(broken).not.toBe(ecosystem);
    repo.commit('release whose instances never become ready', {
      'deploy/ecosystem.config.js': broken,
      'migrations/pre-deploy/20300101000000-add-users-nickname.sql':
        'ALTER TABLE users ADD COLUMN nickname text;\n',
      'migrations/post-deploy/20300101000001-create-should-not-exist.sql':
        'CREATE TABLE should_not_exist (id bigint);\n',
    });

    const load = startLoad({
      baseUrl: `http://127.0.0.1:${port}`,
      connections: 16,
      ratePerSecond: 200,
    });
    const failed = await deploy('--ready-timeout', '15000');
    const records = await load.stop();

    expect(failed.code).toBe(1);
    expect(failed.output).toMatch(/did not become ready within 15000 ms/);
    expect(failed.output).toContain('rolled back: every instance serves');
    expect(failed.output).toContain('--from rollout');
    const summary = summarize(records);
    expect({
      summary: formatSummary('load during the failed deploy', summary),
      failures: records
        .filter((record) => record.outcome !== 'ok')
        .slice(0, 5)
        .map(failureKind),
    }).toEqual({ summary: expect.stringContaining(' 0 failed'), failures: [] });
    expect(summary.requests).toBeGreaterThan(1000);

    const after = await servedCommits();
    expect(after.pids).toHaveLength(2);
    expect([...after.commits.values()]).toEqual([serving, serving]);
    expect(await query("SELECT to_regclass('should_not_exist') AS missing")).toEqual([
      { missing: null },
    ]);
    expect(
      await query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'",
      ),
    ).toHaveLength(1);
    const state = readDeployState();
    expect(state).toMatchObject({
      status: 'rolled-back',
      failedStep: 'rollout',
      steps: {
        'migrate-pre': 'done',
        rollout: 'failed',
        verify: 'pending',
        'migrate-post': 'pending',
      },
    });
  });

  it('resumes with --from migrate-pre after a failed pre-deploy migration is fixed, without building again', async () => {
    const serving = new Set((await servedCommits()).commits.values());
    const ecosystem = repo
      .read('deploy/ecosystem.config.js')
      .replace(", DATABASE_URL: 'postgres://nobody@127.0.0.1:1/unreachable'", '');
    const third = repo.commit('third release', {
      'deploy/ecosystem.config.js': ecosystem,
      'migrations/post-deploy/20300101000001-create-should-not-exist.sql': null,
      'migrations/pre-deploy/20300102000000-create-deploy-notes.sql':
        'CREATE TABLE deploy_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);\n',
    });
    // Someone created the table by hand: the migration fails until it is dropped.
    await query('CREATE TABLE deploy_notes (id int)');

    const failed = await deploy('--ready-timeout', '30000');
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('FAILED at migrate-pre');
    expect(failed.output).toContain('--from migrate-pre');
    const unchanged = await servedCommits();
    expect(new Set(unchanged.commits.values())).toEqual(serving);

    await query('DROP TABLE deploy_notes');
    const resumed = await deploy('--from', 'migrate-pre', '--ready-timeout', '30000');
    expect(resumed.code).toBe(0);
    expect(resumed.output).toContain(`resuming the deploy of ${third.slice(0, 12)} at migrate-pre`);
    expect(resumed.output).not.toContain('deploy [build]');
    const after = await servedCommits();
    expect([...after.commits.values()]).toEqual([third, third]);
    expect(await query("SELECT to_regclass('deploy_notes') AS notes")).toEqual([
      { notes: 'deploy_notes' },
    ]);
  });

  it('refuses a second deploy while one holds the deploy root lock or the database lock, and with --lock-wait waits for it', async () => {
    const held = await acquireDeployLock({
      root,
      databaseUrl: database.url,
      waitMs: 0,
      reporter: silentReporter,
      description: 'a deploy held by the test',
    });
    const refused = await deploy('--ready-timeout', '30000');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('another deploy is running');
    expect(refused.output).toContain('a deploy held by the test');

    // Released only once the second deploy says it waits, however slowly it starts.
    let sawWaiting: () => void = () => undefined;
    const isWaiting = new Promise<void>((resolve) => (sawWaiting = resolve));
    const waiting = runDeployCommand(
      [
        ...['--target', 'local', '--source', repo.dir, '--deploy-root', root],
        ...['--app-name', appName, '--ready-timeout', '30000', '--lock-wait', '120000'],
      ],
      env,
      undefined,
      (output) => output.includes('waiting for deploy pid') && sawWaiting(),
    );
    await Promise.race([isWaiting, waiting]);
    await held.release();
    const waited = await waiting;
    expect(waited.output).toContain('waiting for deploy pid');
    expect(waited.code).toBe(0);

    // Another machine deploying to the same database holds only the advisory lock.
    const otherRoot = tempDir('zdm-deploy-other-root-');
    const otherMachine = await acquireDeployLock({
      root: otherRoot,
      databaseUrl: database.url,
      waitMs: 0,
      reporter: silentReporter,
      description: 'a deploy on another machine',
    });
    try {
      const refusedByDatabase = await deploy('--ready-timeout', '30000');
      expect(refusedByDatabase.code).toBe(1);
      expect(refusedByDatabase.output).toContain('another deploy holds the deploy lock of');
    } finally {
      await otherMachine.release();
      fs.rmSync(otherRoot, { recursive: true, force: true });
    }
  });

  it('refuses before migrate-pre when a pending migration would fail on the rows already there, and migrates nothing', async () => {
    const serving = new Set((await servedCommits()).commits.values());
    await query("INSERT INTO deploy_notes (note) VALUES ('same'), ('same'), ('other')");
    repo.commit('release whose unique index meets duplicates', {
      'migrations/pre-deploy/20300103000000-unique-deploy-notes.sql':
        'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS deploy_notes_note_key ON deploy_notes (note);\n',
    });
    const refused = await deploy('--ready-timeout', '30000');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('error  data-duplicate-keys');
    expect(refused.output).toContain('1 key(s) appear more than once, in 2 rows');
    expect(refused.output).toContain('FAILED at migrate-pre');
    expect(refused.output).toMatch(
      /FAILED at migrate-pre: The data checks refused: .*It found: \S+20300103000000-unique-deploy-notes\.sql:1 data-duplicate-keys: The unique index on deploy_notes \(note\) would fail: 1 key\(s\) appear more than once, in 2 rows\./,
    );
    expect(refused.output).not.toContain('zdm migrate pre in');
    expect(
      await query(
        "SELECT to_regclass('deploy_notes_note_key') AS index, count(*)::int AS n FROM zdm_migrations WHERE name = '20300103000000-unique-deploy-notes'",
      ),
    ).toEqual([{ index: null, n: 0 }]);
    const unchanged = await servedCommits();
    expect(new Set(unchanged.commits.values())).toEqual(serving);
    expect(readDeployState()).toMatchObject({
      status: 'failed',
      failedStep: 'migrate-pre',
      errorCode: 'DATA_CHECK_FAILED',
      steps: { 'migrate-pre': 'failed', rollout: 'pending' },
    });
  });

  it('checks again on --from migrate-pre once the duplicates are gone, and deploys: the unique index built and recorded, the release serves', async () => {
    await query(
      "DELETE FROM deploy_notes WHERE note = 'same' AND id <> (SELECT min(id) FROM deploy_notes WHERE note = 'same')",
    );

    const resumed = await deploy('--from', 'migrate-pre', '--ready-timeout', '30000');

    expect(resumed.code).toBe(0);
    expect(resumed.output).toContain('zdm migrate check in');
    expect(resumed.output).not.toContain('data-duplicate-keys');
    expect(
      await query(
        "SELECT to_regclass('deploy_notes_note_key')::text AS index, count(*)::int AS n FROM zdm_migrations WHERE name = '20300103000000-unique-deploy-notes'",
      ),
    ).toEqual([{ index: 'deploy_notes_note_key', n: 1 }]);
    const after = await servedCommits();
    expect([...after.commits.values()]).toEqual([repo.head(), repo.head()]);
  });

  it('deploys a release whose own toolkit has no `zdm migrate check` (exit 2, unknown command) with the warning "data checks skipped"', async () => {
    const migrateCli = repo.read('packages/zero-downtime/src/cli/migrate.ts');
    const withoutCheck = migrateCli.replace(
      "    case 'check':\n",
      "    case 'not-in-this-toolkit':\n",
    );
    expect(withoutCheck).not.toBe(migrateCli);
    const old = repo.commit('release built with a toolkit that predates migrate check', {
      'packages/zero-downtime/src/cli/migrate.ts': withoutCheck,
      'migrations/pre-deploy/20300104000000-create-old-toolkit-notes.sql':
        'CREATE TABLE old_toolkit_notes (id bigint);\n',
    });

    const deployed = await deploy('--ready-timeout', '30000');

    expect(deployed.code).toBe(0);
    expect(deployed.output).toContain('unknown command "check"');
    expect(deployed.output).toContain(
      "this release's toolkit has no `zdm migrate check`: data checks skipped",
    );
    expect(await query("SELECT to_regclass('old_toolkit_notes')::text AS notes")).toEqual([
      { notes: 'old_toolkit_notes' },
    ]);
    const after = await servedCommits();
    expect([...after.commits.values()]).toEqual([old, old]);
  });
});
