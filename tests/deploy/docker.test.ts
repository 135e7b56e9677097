import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { parse } from 'yaml';
import { createApp } from '../../app/app';
import { loadConfig } from '../../app/config';
import { createSequelize } from '../../app/db/connection';
import { createLogger } from '../../app/logger';

/**
 * No Docker engine runs here: these tests read the Dockerfile and docker-compose.yml and check
 * them against the app's own configuration defaults and routes. Nothing is built or started.
 */

const root = path.resolve(__dirname, '..', '..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

/** Joins continuation lines, drops comments and parser directives, splits into FROM stages. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const whole = (pending + line).trim();
    pending = '';
    const [keyword, ...rest] = whole.split(/\s+/);
    const instruction = {
      keyword: keyword.toUpperCase(),
      args: whole.slice(keyword.length).trim(),
      line: startLine,
    };
    if (instruction.keyword === 'FROM') {
      const [base, as, name] = rest;
      stages.push({
        base,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [instruction],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  });
  return stages;
}

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

function last(stage: Stage, keyword: string): Instruction {
  const found = all(stage, keyword);
  if (found.length === 0) throw new Error(`the stage has no ${keyword} instruction`);
  return found[found.length - 1];
}

/** The variables set by ENV instructions, in the `KEY=value KEY2=value` form. */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all(stage, 'ENV')) {
    for (const [, key, value] of args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[key] = value.replace(/^"|"$/g, '');
    }
  }
  return env;
}

const stages = parseDockerfile(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const runtime = stages[stages.length - 1];
const defaults = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/d' });

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  ports?: string[];
  stop_grace_period?: string;
}
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };

/** The app with a database that cannot be reached: enough for routes that never query it. */
async function withApp<T>(work: (app: ReturnType<typeof createApp>) => Promise<T>): Promise<T> {
  const sequelize = createSequelize('postgres://nobody:pw@127.0.0.1:1/none', { poolMax: 1 });
  const app = createApp({
    config: loadConfig({ NODE_ENV: 'test' }),
    logger: createLogger({ env: 'test', logLevel: 'silent' }),
    sequelize,
  });
  try {
    return await work(app);
  } finally {
    await sequelize.close();
  }
}

/** Runs the HEALTHCHECK command as Docker would, with PORT set; resolves to its exit code. */
async function runHealthCheck(command: string[], port: number): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, command.slice(1), {
      env: { ...process.env, PORT: String(port) },
    });
    return 0;
  } catch (error) {
    return (error as { code: number }).code;
  }
}

describe('Dockerfile (read statically, no image built)', () => {
  it('has a build stage that compiles with development dependencies and a runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((stage) => stage.name === 'build');
    expect(build).toBeDefined();
    const runs = all(build as Stage, 'RUN').map((run) => run.args);
    expect(runs).toContain('npm ci --ignore-scripts --no-audit --no-fund');
    // The toolkit workspace is compiled before the app that imports it.
    expect(runs).toContain('npm run build --workspace zero-downtime-toolkit && npm run build');
    expect(runtime.base).toMatch(/^node:/);
  });

  it('installs only production dependencies in the runtime stage and copies the compiled output', () => {
    const installs = all(runtime, 'RUN')
      .map((run) => run.args)
      .filter((args) => /\bnpm (ci|install|i)\b/.test(args));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/npm ci --omit=dev\b/);
    expect(all(runtime, 'RUN').some((run) => /npm run build|tsc/.test(run.args))).toBe(false);
    const copies = all(runtime, 'COPY').map((copy) => copy.args);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies).toContain(
      '--from=build /app/packages/zero-downtime/dist ./packages/zero-downtime/dist',
    );
  });

  it('runs the final stage as the non-root node user with NODE_ENV=production', () => {
    expect(last(runtime, 'USER').args).toBe('node');
    expect(envOf(runtime).NODE_ENV).toBe('production');
  });

  it('starts node on dist/app/server.js in exec form, so node receives SIGTERM (not npm)', () => {
    const command = JSON.parse(last(runtime, 'CMD').args) as string[];
    expect(command).toEqual(['node', 'dist/app/server.js']);
    expect(all(runtime, 'ENTRYPOINT')).toHaveLength(0);
    expect(last(runtime, 'STOPSIGNAL').args).toBe('SIGTERM');
  });

  it('exposes the port the app listens on by default', () => {
    expect(Number(envOf(runtime).PORT)).toBe(defaults.port);
    expect(last(runtime, 'EXPOSE').args).toBe(String(defaults.port));
  });

  const check = last(runtime, 'HEALTHCHECK').args;
  const healthCommand = JSON.parse(check.slice(check.indexOf('CMD') + 3).trim()) as string[];

  it('health-checks /health/live on the configured port with node, a route the app serves', async () => {
    expect(healthCommand.slice(0, 2)).toEqual(['node', '-e']);
    expect(healthCommand[2]).toContain('/health/live');
    expect(healthCommand[2]).toContain(`process.env.PORT || ${defaults.port}`);
    expect(await withApp(async (app) => (await request(app).get('/health/live')).status)).toBe(200);
  });

  it('has a health-check command that exits 0 against the live app and 1 when nothing listens', async () => {
    await withApp(async (app) => {
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        expect(await runHealthCheck(healthCommand, port)).toBe(0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      expect(await runHealthCheck(healthCommand, port)).toBe(1);
    });
  });

  it('keeps dependencies, build output, history, local data and secrets out of the context', () => {
    const ignored = fs
      .readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.data', 'reports', '.env']) {
      expect(ignored).toContain(entry);
    }
  });
});

describe('docker-compose.yml (parsed, not started)', () => {
  const { db, app, migrate } = compose.services;

  it('runs PostgreSQL 15 with a pg_isready health check', () => {
    expect(db.image).toBe('postgres:15');
    expect(JSON.stringify(db.healthcheck?.test)).toContain('pg_isready');
  });

  it('starts the app only once the database is healthy and the migrations completed', () => {
    expect(app.depends_on?.db).toEqual({ condition: 'service_healthy' });
    expect(app.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(migrate.depends_on?.db).toEqual({ condition: 'service_healthy' });
  });

  it('runs pre-deploy then post-deploy migrations from the same image, once', () => {
    const command = Array.isArray(migrate.command) ? migrate.command.join(' ') : migrate.command;
    const zdm = 'node node_modules/zero-downtime-toolkit/dist/cli/index.js';
    expect(command).toContain(`${zdm} migrate pre && ${zdm} migrate post`);
    expect(migrate.image).toBe(app.image);
  });

  it('points DATABASE_URL of the app and the migrations at the db service and its credentials', () => {
    const env = db.environment as Record<string, string>;
    for (const service of [app, migrate]) {
      const url = new URL(String(service.environment?.DATABASE_URL));
      expect(url.hostname).toBe('db');
      expect(url.port).toBe('5432');
      expect(url.username).toBe(env.POSTGRES_USER);
      expect(url.password).toBe(env.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${env.POSTGRES_DB}`);
    }
  });

  it('publishes the app port and stops it with a grace period above drain delay plus deadline', () => {
    const port = Number(app.environment?.PORT);
    expect(port).toBe(defaults.port);
    expect(app.ports?.some((mapping) => mapping.endsWith(`:${port}`))).toBe(true);
    const graceMs = Number.parseInt(String(app.stop_grace_period), 10) * 1000;
    const drainMs = Number(app.environment?.SHUTDOWN_DRAIN_DELAY_MS);
    const deadlineMs = Number(app.environment?.SHUTDOWN_TIMEOUT_MS);
    expect(drainMs).toBe(defaults.shutdown.drainDelayMs);
    expect(deadlineMs).toBe(defaults.shutdown.timeoutMs);
    expect(graceMs).toBeGreaterThan(drainMs + deadlineMs);
  });
});
