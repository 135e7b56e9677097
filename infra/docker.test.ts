import { appEnvironment, appStopGraceMs, readComposeFile } from './support/compose-file';
import { createThrowAwayDatabase, type ThrowAwayDatabase } from './support/database';
import { startDockerd, TEST_LABEL, type Docker } from './support/docker';
import { buildProjectImage, imageSizeBytes } from './support/image';
import { judgeDrain, parseJsonLines } from './support/drain';
import { getJson, startLoad } from './support/load';
import { exportHead, freePort, type RepoExport } from './support/repo';
import { progress, waitFor } from './support/run';
import { ensureStandIns } from './support/stand-ins';

/** The toolkit's command line as the image installs it. */
const ZDM = 'node_modules/zero-downtime-toolkit/dist/cli/index.js';

/**
 * The image: the project's Dockerfile built on a private Docker engine, then run the way the
 * deploy pipeline runs it (migrations from the image, the server as PID 1, SIGTERM on stop),
 * against a throw-away database on this machine's PostgreSQL. Containers use the host's
 * network and the test talks to them on 127.0.0.1 only.
 */

const compose = readComposeFile();
const graceMs = appStopGraceMs(compose);
// The app's shutdown settings as compose runs it (drain delay, in-flight deadline).
const shutdownEnv = appEnvironment(compose, ['DATABASE_URL', 'PORT']);
const drainDelayMs = Number(shutdownEnv.SHUTDOWN_DRAIN_DELAY_MS ?? 5000);
const LOAD_CLIENTS = 6;

let docker: Docker | undefined;
let context: RepoExport | undefined;
let database: ThrowAwayDatabase | undefined;
let image = '';

beforeAll(async () => {
  docker = await startDockerd();
  await ensureStandIns(docker, ['node']);
  context = await exportHead();
  database = await createThrowAwayDatabase();
  // One tag, rebuilt every run: an earlier build's image is left untagged and pruned later.
  image = 'zdm-infra/app:test';
}, 45 * 60_000);

afterAll(async () => {
  const problems: unknown[] = [];
  const attempt = async (step: () => Promise<void> | void) => {
    try {
      await step();
    } catch (error) {
      problems.push(error);
    }
  };
  await attempt(() => docker?.removeTestContainers());
  await attempt(() => database?.drop());
  await attempt(() => context?.remove());
  await attempt(() => docker?.stop());
  if (problems.length > 0) throw problems[0];
}, 120_000);

function engine(): Docker {
  if (!docker) throw new Error('the Docker engine did not start (see beforeAll)');
  return docker;
}

function runArgs(name: string, env: Record<string, string>): string[] {
  return [
    '--name',
    name,
    '--label',
    `${TEST_LABEL}=docker`,
    '--network',
    'host',
    ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
  ];
}

describe('the image', () => {
  test('builds from a clean export of HEAD with GIT_COMMIT set to that commit', async () => {
    const { commit, dir } = context as RepoExport;
    await buildProjectImage(engine(), { context: dir, commit, tag: image });
    const inspected = await engine().inspect<{
      Config: { User: string; Env: string[]; Cmd: string[] };
    }>(image);
    expect(inspected.Config.Env).toContain(`GIT_COMMIT=${commit}`);
    expect(inspected.Config.Env).toContain('NODE_ENV=production');
    expect(inspected.Config.Cmd).toEqual(['node', 'dist/app/server.js']);
  });

  test('runs as the unprivileged node user (uid and gid 1000)', async () => {
    const result = await engine().docker([
      'run',
      '--rm',
      '--label',
      `${TEST_LABEL}=docker`,
      '--network',
      'none',
      image,
      'sh',
      '-c',
      'id -u; id -g; id -un',
    ]);
    expect(result.stdout.trim().split('\n')).toEqual(['1000', '1000', 'node']);
  });

  test('runs both migration phases from the image (pre, then post)', async () => {
    const db = database as ThrowAwayDatabase;
    for (const phase of ['pre', 'post']) {
      const result = await engine().docker(
        [
          'run',
          '--rm',
          ...runArgs(`zdm-infra-migrate-${phase}-${process.pid}`, { DATABASE_URL: db.url }),
          image,
          'node',
          ZDM,
          'migrate',
          phase,
        ],
        { timeoutMs: 180_000 },
      );
      expect(result.code).toBe(0);
    }
    const [users] = await db.query<{ users: string | null }>(
      `SELECT to_regclass('public.users')::text AS users`,
    );
    expect(users.users).toBe('users');
    const applied = await db.query<{ name: string; phase: string }>(
      'SELECT name, phase FROM zdm_migrations ORDER BY name',
    );
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.map((row) => row.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/create-users/)]),
    );
    // A second run of a phase finds nothing pending and still exits 0.
    const again = await engine().docker([
      'run',
      '--rm',
      ...runArgs(`zdm-infra-migrate-again-${process.pid}`, { DATABASE_URL: db.url }),
      image,
      'node',
      ZDM,
      'migrate',
      'pre',
    ]);
    expect(again.code).toBe(0);
    expect(await db.query('SELECT name FROM zdm_migrations')).toHaveLength(applied.length);
  });

  describe('serving', () => {
    const name = `zdm-infra-app-${process.pid}`;
    let port = 0;

    beforeAll(async () => {
      port = await freePort();
      await engine().docker([
        'run',
        '-d',
        ...runArgs(name, {
          ...shutdownEnv,
          DATABASE_URL: (database as ThrowAwayDatabase).url,
          PORT: String(port),
          HOST: '127.0.0.1',
          // One JSON line per request, with its X-Request-Id: the drain test's server side.
          LOG_LEVEL: 'http',
        }),
        image,
      ]);
    }, 60_000);

    test('serves /health/ready reporting the commit it was built from', async () => {
      const ready = await waitFor(
        '/health/ready answers 200',
        async () => {
          const res = await getJson(port, '/health/ready');
          return res.status === 200 ? res : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(ready.body).toMatchObject({
        status: 'ready',
        commit: (context as RepoExport).commit,
        checks: { database: 'ok', shuttingDown: false },
      });
      const live = await getJson(port, '/health/live');
      expect(live.status).toBe(200);
      expect(live.body.commit).toBe((context as RepoExport).commit);
      // The node process is PID 1 in the container: docker stop's SIGTERM reaches it.
      expect(live.body.pid).toBe(1);
      const users = await getJson(port, '/users?limit=1');
      expect(users.status).toBe(200);
      // The image's own HEALTHCHECK (node's fetch to /health/live on PORT) passes.
      const health = await waitFor(
        "docker's HEALTHCHECK reports healthy",
        async () => {
          const state = await engine().inspect<{ State: { Health?: { Status: string } } }>(name);
          return state.State.Health?.Status === 'healthy' ? state.State.Health : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(health.Status).toBe('healthy');
    });

    test(`drains on docker stop with zero failed requests under keep-alive load, exiting 0 within stop_grace_period (${graceMs / 1000} s)`, async () => {
      const requestIdPrefix = `drain${process.pid}`;
      const load = startLoad({
        port,
        paths: ['/health/live', '/users?limit=1'],
        clients: LOAD_CLIENTS,
        maxRequests: 200_000,
        maxDurationMs: graceMs + 30_000,
        requestTimeoutMs: 10_000,
        requestIdPrefix,
      });
      // Steady keep-alive traffic first.
      await waitFor('the load is flowing', async () => (load.okCount() >= 300 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      const okBeforeStop = load.okCount();
      const stopSentAt = Date.now();
      const stopped = engine().docker(['stop', '-t', String(Math.round(graceMs / 1000)), name], {
        timeoutMs: graceMs + 30_000,
      });
      const [report] = await Promise.all([load.done, stopped]);
      const stopSeconds = (Date.now() - stopSentAt) / 1000;
      const state = await engine().inspect<{
        State: { ExitCode: number; OOMKilled: boolean; Running: boolean };
      }>(name);
      const logs = await engine().docker(['logs', name]);
      const verdict = judgeDrain(report, parseJsonLines(logs.stdout), requestIdPrefix);
      const okDuringDrain = report.okAt.filter((at) => at >= stopSentAt).length;
      const since = (at: number | undefined) => (at ? `${at - stopSentAt} ms` : '?');
      progress(
        `drain: ${report.requests} requests, ${report.okAt.length} answered 200 ` +
          `(${okDuringDrain} after SIGTERM), ${verdict.failed.length} failed, ` +
          `${report.refused} refused and ${verdict.resetInAcceptQueue.length} reset in the accept ` +
          `queue when the listener closed (${since(verdict.stoppedAcceptingAt)} after SIGTERM); ` +
          `docker stop took ${stopSeconds.toFixed(1)} s, exit code ${state.State.ExitCode}`,
      );

      // Zero failed requests: every request the server accepted was answered in full with 200.
      expect(verdict.failed).toEqual([]);
      // The server's request log and the clients agree, request for request.
      expect(verdict.seenByServer).toBe(report.okAt.length);
      expect(okBeforeStop).toBeGreaterThan(0);
      // Requests went on being served for the whole drain delay, on kept-alive connections and
      // new ones, until the listener closed; then every client was refused.
      expect(okDuringDrain).toBeGreaterThan(0);
      expect(report.stoppedBy.every((reason) => reason === 'refused')).toBe(true);
      expect(verdict.stoppedAcceptingAt).toBeDefined();
      expect((verdict.stoppedAcceptingAt as number) - stopSentAt).toBeGreaterThanOrEqual(
        drainDelayMs - 500,
      );
      // At most the one connection each client had open at that moment.
      expect(verdict.resetInAcceptQueue.length).toBeLessThanOrEqual(LOAD_CLIENTS);
      // Exited by itself, with 0, before docker would have sent SIGKILL.
      expect(state.State.Running).toBe(false);
      expect(state.State.OOMKilled).toBe(false);
      expect(state.State.ExitCode).toBe(0);
      expect(stopSeconds * 1000).toBeLessThan(graceMs);
      expect(logs.output).toMatch(/shutdown: complete/);
    });
  });

  test('has a recorded size', async () => {
    const bytes = await imageSizeBytes(engine(), image);
    const base = await imageSizeBytes(engine(), 'node:20-slim');
    progress(
      `image ${image}: ${(bytes / 1e6).toFixed(1)} MB (stand-in node:20-slim ${(base / 1e6).toFixed(1)} MB, ` +
        `the project's layers ${((bytes - base) / 1e6).toFixed(1)} MB)`,
    );
    expect(bytes).toBeGreaterThan(base);
  });
});
