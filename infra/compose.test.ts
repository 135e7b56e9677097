import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appStopGraceMs, readComposeFile } from './support/compose-file';
import {
  acceptsTcp,
  adaptComposeFile,
  ComposeStack,
  composeVersion,
  databaseUrl,
  writeOverride,
  type StackPorts,
} from './support/compose-stack';
import { withClient } from './support/database';
import { COMPOSE_PROJECT_PREFIX, logDir, startDockerd, type Docker } from './support/docker';
import { imageSizeBytes } from './support/image';
import { getJson } from './support/load';
import { exportHead, freePort, type RepoExport } from './support/repo';
import { progress, waitFor } from './support/run';
import { ensureStandIns, POSTGRES_IMAGE, RECIPE_LABEL } from './support/stand-ins';

/**
 * The compose stack: the project's docker-compose.yml brought up with Debian's docker-compose
 * on a private Docker engine, on the stand-in postgres:15. Every service is on the host's
 * network (the engine has no bridge) at free ports on 127.0.0.1, through an override file the
 * test writes; `down -v` afterwards, whatever happened.
 */

const compose = readComposeFile();
const graceMs = appStopGraceMs(compose);
const project = `${COMPOSE_PROJECT_PREFIX}-${process.pid}`;

let docker: Docker | undefined;
let context: RepoExport | undefined;
let workDir: string | undefined;
let stack: ComposeStack | undefined;
let initStack: ComposeStack | undefined;
let ports: StackPorts = { app: 0, db: 0 };
let composeFile = '';

beforeAll(async () => {
  docker = await startDockerd();
  await ensureStandIns(docker, ['node', 'postgres']);
  context = await exportHead();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-infra-compose-'));
  const version = await composeVersion();
  // The adapted copy lives beside the override, not in the build context, which stays the
  // exact export (and so shares its build cache with the image test).
  composeFile = path.join(workDir, 'docker-compose.yml');
  fs.copyFileSync(path.join(context.dir, 'docker-compose.yml'), composeFile);
  const dropped = adaptComposeFile(composeFile, version);
  progress(`docker-compose ${version.text}; dropped from the file's copy: ${dropped.join(', ')}`);
  ports = { app: await freePort(), db: await freePort() };
  const override = path.join(workDir, 'docker-compose.infra.yml');
  await writeOverride(override, ports);
  stack = new ComposeStack(
    docker,
    project,
    context.dir,
    [composeFile, override],
    {
      GIT_COMMIT: context.commit,
      // The file's own port variables, in case a compose version still maps them.
      APP_PORT: String(ports.app),
      DB_PORT: String(ports.db),
    },
    path.join(logDir(), 'compose.log'),
  );
}, 45 * 60_000);

afterAll(async () => {
  const problems: unknown[] = [];
  const attempt = async (step: () => Promise<unknown> | void) => {
    try {
      await step();
    } catch (error) {
      problems.push(error);
    }
  };
  for (const each of [stack, initStack]) {
    await attempt(() => each?.run(['down', '-v', '--remove-orphans', '--timeout', '30'], 180_000));
  }
  await attempt(() => docker?.removeTestContainers());
  await attempt(() => context?.remove());
  await attempt(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });
  await attempt(() => docker?.stop());
  if (problems.length > 0) throw problems[0];
}, 240_000);

function theStack(): ComposeStack {
  if (!stack) throw new Error('the compose stack was not set up (see beforeAll)');
  return stack;
}

function engine(): Docker {
  if (!docker) throw new Error('the Docker engine did not start (see beforeAll)');
  return docker;
}

interface ContainerState {
  Id: string;
  Config: { Image: string };
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
}

describe('the compose stack', () => {
  test('docker-compose accepts the file, with db, migrate and app', async () => {
    const config = await theStack().run(['config', '--services']);
    expect(config.stdout.trim().split('\n').sort()).toEqual(['app', 'db', 'migrate']);
  });

  test('builds the app image from the file, with GIT_COMMIT from the environment', async () => {
    const started = Date.now();
    await theStack().run(['build'], 30 * 60_000);
    progress(`docker-compose build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const image = 'zero-downtime-express-starter:local';
    const inspected = await engine().inspect<{ Config: { Env: string[] } }>(image);
    expect(inspected.Config.Env).toContain(`GIT_COMMIT=${(context as RepoExport).commit}`);
    expect(await imageSizeBytes(engine(), image)).toBeGreaterThan(0);
  });

  test('up: db healthy on the stand-in postgres:15, migrate once with exit 0, app serves /health/ready', async () => {
    const started = Date.now();
    await theStack().run(['up', '-d', '--no-build'], 10 * 60_000);

    const db = await engine().inspect<ContainerState>(await theStack().only('db'));
    expect(db.Config.Image).toBe(POSTGRES_IMAGE);
    expect(await engine().imageLabel(POSTGRES_IMAGE, RECIPE_LABEL)).toBeDefined();
    expect(db.State.Health?.Status).toBe('healthy');
    // The server (PID 1 once the entrypoint has exec'd it) runs as postgres, not root.
    const owner = await engine().docker(['exec', db.Id, 'stat', '-c', '%U', '/proc/1']);
    expect(owner.stdout.trim()).toBe('postgres');

    const migrate = await engine().inspect<ContainerState>(await theStack().only('migrate'));
    expect(migrate.State.Status).toBe('exited');
    expect(migrate.State.ExitCode).toBe(0);

    const ready = await waitFor(
      'the app answers /health/ready with 200',
      async () => {
        const res = await getJson(ports.app, '/health/ready');
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 60_000 },
    );
    progress(`docker-compose up to ready: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(ready.body).toMatchObject({
      status: 'ready',
      commit: (context as RepoExport).commit,
      checks: { database: 'ok', shuttingDown: false },
    });
    expect((await getJson(ports.app, '/users?limit=1')).status).toBe(200);

    // The migrations landed in the stack's database, as the app's user, with its password.
    const applied = await withClient(databaseUrl(ports), async (client) => {
      const users = await client.query(`SELECT to_regclass('public.users')::text AS users`);
      expect(users.rows[0].users).toBe('users');
      return (await client.query('SELECT name, phase FROM zdm_migrations')).rows;
    });
    expect(applied.length).toBeGreaterThan(0);

    // migrate ran once: still one container, exited 0, after the app came up.
    expect(await theStack().containers('migrate')).toHaveLength(1);
  });

  test(`docker-compose stop app: exits 0 within stop_grace_period (${graceMs / 1000} s)`, async () => {
    const app = await theStack().only('app');
    const started = Date.now();
    await theStack().run(['stop', 'app'], graceMs + 60_000);
    const seconds = (Date.now() - started) / 1000;
    const state = await engine().inspect<ContainerState>(app);
    progress(`docker-compose stop app: ${seconds.toFixed(1)} s, exit code ${state.State.ExitCode}`);
    expect(state.State.Status).toBe('exited');
    expect(state.State.ExitCode).toBe(0);
    expect(seconds * 1000).toBeLessThan(graceMs);
    const logs = await engine().docker(['logs', app]);
    expect(logs.output).toMatch(/shutdown: complete/);
  });

  test('db healthcheck: healthy only once the real server accepts TCP, even on a first start with a slow init script', async () => {
    // A second project: the db alone, on a fresh volume, with an init script that takes 8 s.
    // During initialisation the official image (and the stand-in) runs a temporary server
    // on the Unix socket only; a check that passes then releases migrate too early.
    const dir = workDir as string;
    const initdb = path.join(dir, 'initdb');
    fs.mkdirSync(initdb, { mode: 0o755 });
    fs.chmodSync(initdb, 0o755);
    fs.writeFileSync(path.join(initdb, '10-slow.sh'), "echo 'slow init script: 8 s'; sleep 8\n");
    const initPorts = { app: await freePort(), db: await freePort() };
    const override = path.join(dir, 'docker-compose.init.yml');
    await writeOverride(override, initPorts, { initdb });
    initStack = new ComposeStack(
      engine(),
      `${project}-init`,
      (context as RepoExport).dir,
      [composeFile, override],
      { DB_PORT: String(initPorts.db), APP_PORT: String(initPorts.app) },
      path.join(logDir(), 'compose.log'),
    );
    await initStack.run(['up', '-d', 'db'], 120_000);
    const id = await initStack.only('db');
    const started = Date.now();
    const falseHealthy: number[] = [];
    let healthyAt = 0;
    let tcpAt = 0;
    while (Date.now() - started < 90_000) {
      const state = await engine().inspect<ContainerState>(id);
      const healthy = state.State.Health?.Status === 'healthy';
      const tcp = await acceptsTcp(initPorts.db);
      if (tcp && !tcpAt) tcpAt = Date.now() - started;
      if (healthy && !healthyAt) healthyAt = Date.now() - started;
      if (healthy && !tcp) falseHealthy.push(Date.now() - started);
      if (healthy && tcp) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    progress(
      `db first start with a slow init script: healthy after ${healthyAt} ms, TCP accepted after ` +
        `${tcpAt} ms; healthy while TCP was refused at ${falseHealthy.length} checks`,
    );
    const logs = await engine().docker(['logs', id]);
    expect(logs.output).toMatch(/slow init script/);
    expect(healthyAt).toBeGreaterThan(0);
    expect(falseHealthy).toEqual([]);
    await initStack.run(['down', '-v', '--timeout', '30'], 120_000);
  });
});
