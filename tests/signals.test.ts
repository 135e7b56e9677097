import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, projectRoot, stopLeftoverPostgres, waitForStatus } from './support/process';

/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group (npm, the app,
 * and anything else started in that group). Each run starts in its own group, like a
 * terminal's job, and the signal goes to the group.
 */

jest.setTimeout(240_000);

const dataDir = path.join(os.tmpdir(), `zdm-signals-${process.pid}-${Date.now()}`, 'postgres');

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const runs: Run[] = [];

async function start(command: string, args: string[], port: number): Promise<Run> {
  const child = spawn(command, args, {
    cwd: projectRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: '',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
      PORT: String(port),
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      // Room for a loaded machine; the in-flight request ends well before it.
      SHUTDOWN_TIMEOUT_MS: '4000',
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const run = { child, output: () => output, exited };
  runs.push(run);
  await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 200_000).catch(
    (error: Error) => {
      throw new Error(`${error.message}; it printed:\n${output}`);
    },
  );
  return run;
}

/**
 * A POST whose body is only half sent: the request is in flight on the server until the rest
 * arrives. Its answer needs the database, so a 201 proves the database was still up.
 */
function halfSentPost(port: number) {
  const body = JSON.stringify({ email: `signal-${Date.now()}@example.com`, name: 'Signal' });
  let finish!: () => void;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/users',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let data = '';
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    finish = () => req.end(body.slice(10));
  });
  return { answer, finish };
}

async function waitForOutput(run: Run, text: string): Promise<void> {
  for (let waited = 0; !run.output().includes(text); waited += 50) {
    if (waited > 60_000) throw new Error(`"${text}" never appeared; it printed:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const postgresRuns = () => fs.existsSync(path.join(dataDir, 'postmaster.pid'));

beforeAll(() => {
  // What `npm start` runs first; done once here so each start below only checks it.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot, stdio: 'inherit' });
});

afterEach(async () => {
  for (const run of runs.splice(0)) {
    try {
      if (run.child.pid) process.kill(-run.child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  await stopLeftoverPostgres(dataDir);
});

afterAll(() => {
  fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

async function ctrlCDuringARequest(run: Run, port: number): Promise<void> {
  const request = halfSentPost(port);
  // Give the server the headers before the signal, so the request is in flight.
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(-run.child.pid!, 'SIGINT');
  await waitForOutput(run, 'shutdown: SIGINT received');
  // The whole group got SIGINT; the database must still serve the request's INSERT.
  expect(postgresRuns()).toBe(true);
  request.finish();
  const answer = await request.answer;
  expect(answer.status).toBe(201);
  expect(JSON.parse(answer.body)).toMatchObject({ name: 'Signal' });
}

describe('Ctrl-C and SIGTERM (a real npm start, npm run dev and an embedded PostgreSQL)', () => {
  it('npm start: Ctrl-C during a request answers it with the database still up, stops the database after the drain, and exits 130', async () => {
    const port = await freePort();
    const run = await start('npm', ['start'], port);
    await ctrlCDuringARequest(run, port);
    const { code, signal } = await run.exited;
    // npm passes the app's 130 on, or ends by the same SIGINT: a shell shows 130 either way.
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    await waitForOutput(run, 'shutdown: complete');
    expect(postgresRuns()).toBe(false);
    expect(run.output()).not.toContain('LOG:  received fast shutdown request');
  });

  it('the app (as PM2 or Docker run it) exits 0 after SIGTERM, having answered its in-flight request', async () => {
    const port = await freePort();
    const run = await start(process.execPath, ['dist/app/server.js'], port);
    const request = halfSentPost(port);
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.child.kill('SIGTERM');
    await waitForOutput(run, 'shutdown: SIGTERM received');
    request.finish();
    expect((await request.answer).status).toBe(201);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(postgresRuns()).toBe(false);
  });

  it('npm run dev: Ctrl-C completes the shutdown before tsx watch would kill the app, and exits 130', async () => {
    const port = await freePort();
    const run = await start('npm', ['run', 'dev'], port);
    await ctrlCDuringARequest(run, port);
    const { code, signal } = await run.exited;
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(run.output()).toContain('shutdown: complete');
    expect(run.output()).not.toMatch(/Force killing|Killing process/);
    expect(postgresRuns()).toBe(false);
  });
});
