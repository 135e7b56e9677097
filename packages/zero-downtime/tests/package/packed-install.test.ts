import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';
import { commitsByPid, killPm2, pm2Workers, tempDir } from '../deploy/support/fixture';
import { freePort, starterRoot, toolkitRoot } from '../support/project';

const execFile = promisify(execFileCallback);

jest.setTimeout(900_000);

/**
 * Upgrading is real: `npm pack` of the toolkit gives a tarball that installs into a copy of the
 * starter whose workspace folder (packages/) is gone, as in a project that takes the toolkit
 * as a released package. There the app's own suite passes, the migration commands work through
 * the installed `zdm`, and a local deploy (PM2, a release built from the copy's commit) serves.
 */
describe('the packed toolkit installed into a copy of the starter without the workspace folder', () => {
  let work: string;
  let copy: string;
  let database: TestDatabase;
  let pm2Home: string;
  const appName = `zdm-packed-${randomBytes(3).toString('hex')}`;

  const run = async (command: string, args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await execFile(command, args, {
        cwd: copy,
        env: { ...process.env, CI: 'true', ...env },
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, output: `${stdout}${stderr}` };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  };

  beforeAll(async () => {
    work = tempDir('zdm-packed-');
    // The embedded PostgreSQL's initdb runs as the postgres user when the tests run as root.
    fs.chmodSync(work, 0o755);
    copy = path.join(work, 'starter');
    pm2Home = path.join(work, 'pm2');
    database = await createEmptyDatabase();
    const { stdout } = await execFile('npm', ['pack', '--pack-destination', work], {
      cwd: toolkitRoot,
    });
    const tarball = path.join(work, stdout.trim().split('\n').pop() as string);
    expect(fs.existsSync(tarball)).toBe(true);

    fs.mkdirSync(copy);
    execFileSync('sh', ['-c', `git -C "${starterRoot}" archive HEAD | tar -x -C "${copy}"`]);
    fs.rmSync(path.join(copy, 'packages'), { recursive: true, force: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8'));
    delete manifest.workspaces;
    fs.writeFileSync(path.join(copy, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // The starter's installed dependencies, hard-linked, so the install only has to swap the
    // workspace link for the tarball's contents.
    execFileSync('cp', ['-al', path.join(starterRoot, 'node_modules'), copy]);
    fs.rmSync(path.join(copy, 'node_modules', 'zero-downtime-toolkit'), { force: true });
    const install = await run('npm', [
      'install',
      tarball,
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
    ]);
    expect(install).toMatchObject({ code: 0 });
    execFileSync('git', ['init', '-q'], { cwd: copy });
    execFileSync('git', ['add', '-A'], { cwd: copy });
    execFileSync(
      'git',
      [
        '-c',
        'user.email=t@t',
        '-c',
        'user.name=t',
        'commit',
        '-q',
        '-m',
        'starter on the packed toolkit',
      ],
      { cwd: copy },
    );
  });

  afterAll(async () => {
    killPm2(pm2Home);
    await database?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('installs as a real folder, not a link to the workspace', () => {
    const installed = path.join(copy, 'node_modules', 'zero-downtime-toolkit');
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(installed, 'dist', 'cli', 'index.js'))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8'));
    expect(manifest.dependencies['zero-downtime-toolkit']).toMatch(/^file:.*\.tgz$/);
  });

  it('runs migrate:pre and migrate:lint through the installed zdm', async () => {
    const env = { DATABASE_URL: database.url };
    const pre = await run('npm', ['run', 'migrate:pre'], env);
    expect(pre.output).toContain('pre-deploy: applied 1 migration(s)');
    expect(pre.code).toBe(0);
    const applied = 'migrations/pre-deploy/20260101000000-create-users.sql';
    const lint = await run('npm', ['run', 'migrate:lint', '--', applied], env);
    expect(lint.output).toContain('No unsafe operations found');
    fs.writeFileSync(
      path.join(copy, 'migrations', 'pre-deploy', '20990101000000-add-users-email-index.sql'),
      'CREATE INDEX users_email_idx ON users (email);\n',
    );
    const unsafe = await run('npm', ['run', 'migrate:lint'], env);
    expect(unsafe.output).toContain('CREATE INDEX CONCURRENTLY');
    expect(unsafe.code).not.toBe(0);
    fs.rmSync(
      path.join(copy, 'migrations', 'pre-deploy', '20990101000000-add-users-email-index.sql'),
    );
  });

  it("passes the app's own suite", async () => {
    const suite = await run(
      'npm',
      ['test', '--', '--testPathIgnorePatterns', 'generate/', 'docs-links'],
      {
        TEST_DATABASE_URL: database.url,
      },
    );
    expect(suite.output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(suite.code).toBe(0);
  });

  it('deploys locally with PM2 from a release built on the packed toolkit', async () => {
    const port = await freePort();
    const deployed = await run(
      process.execPath,
      [
        path.join('node_modules', 'zero-downtime-toolkit', 'dist', 'cli', 'index.js'),
        'deploy',
        '--target',
        'local',
        '--deploy-root',
        path.join(work, 'deploy'),
        '--app-name',
        appName,
        '--instances',
        '1',
        '--port',
        String(port),
      ],
      {
        DATABASE_URL: database.url,
        PM2_HOME: pm2Home,
        PORT: String(port),
        NODE_ENV: 'production',
      },
    );
    expect(deployed.output).toContain('succeeded');
    expect(deployed.code).toBe(0);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: copy, encoding: 'utf8' }).trim();
    const pids = pm2Workers(pm2Home, appName).map((worker) => worker.pid);
    expect([...(await commitsByPid(port, pids)).values()]).toEqual([head]);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS applied FROM zdm_migrations');
    await client.end();
    expect(rows).toEqual([{ applied: 1 }]);
  });
});
