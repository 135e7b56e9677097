import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { createApp } from '../../app/app';
import { loadConfig } from '../../app/config';
import { createSequelize } from '../../app/db/connection';
import { createLogger } from '../../app/logger';

/**
 * No cluster runs here: the manifests are parsed and their invariants checked against the
 * app's own configuration and routes (ports, probe paths, shutdown timings).
 */

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'deploy', 'kubernetes');

type Manifest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(file: string): Manifest {
  const [document] = parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'));
  return document.toJS() as Manifest;
}

const deployment = load('deployment.yaml');
const service = load('service.yaml');
const pdb = load('pdb.yaml');
const job = load('migration-job.yaml');
const kustomization = load('kustomization.yaml');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];

function envOf(spec: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of spec.env ?? [])
    if ('value' in variable) env[variable.name] = variable.value;
  return env;
}

/** The config the pods run with: the manifest's variables through the app's own validation. */
const podConfig = loadConfig({ ...envOf(container), DATABASE_URL: 'postgres://u@db/app' });
const defaults = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db/app' });

function portNumber(port: string | number): number {
  if (typeof port === 'number') return port;
  return container.ports.find((p: Manifest) => p.name === port).containerPort;
}

/** Asks the app itself, with a database it cannot reach: liveness and readiness must differ. */
async function statusOf(pathname: string): Promise<number> {
  const sequelize = createSequelize('postgres://nobody:pw@127.0.0.1:1/none', { poolMax: 1 });
  const app = createApp({
    config: loadConfig({ NODE_ENV: 'test' }),
    logger: createLogger({ env: 'test', logLevel: 'silent' }),
    sequelize,
  });
  try {
    return (await request(app).get(pathname)).status;
  } finally {
    await sequelize.close();
  }
}

describe('Kubernetes Deployment (parsed, no cluster ran)', () => {
  it('rolls one pod at a time without ever dropping below full capacity', () => {
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.progressDeadlineSeconds).toBeGreaterThan(0);
  });

  it('listens where the app listens: the container port is the PORT the app is given', () => {
    expect(portNumber('http')).toBe(podConfig.port);
    expect(podConfig.port).toBe(defaults.port);
    expect(portNumber(container.readinessProbe.httpGet.port)).toBe(podConfig.port);
    expect(portNumber(container.livenessProbe.httpGet.port)).toBe(podConfig.port);
  });

  it('probes readiness on /health/ready and liveness on /health/live, routes the app serves', async () => {
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.startupProbe.httpGet.path).toBe('/health/live');
    // Without a database: liveness stays up (no restart storm), readiness takes the pod out.
    expect(await statusOf(container.livenessProbe.httpGet.path)).toBe(200);
    expect(await statusOf(container.readinessProbe.httpGet.path)).toBe(503);
  });

  it('gives the pod a grace period above preStop sleep plus drain delay plus in-flight deadline', () => {
    const [sleep, seconds] = container.lifecycle.preStop.exec.command;
    expect(sleep).toBe('sleep');
    const preStopMs = Number(seconds) * 1000;
    expect(preStopMs).toBeGreaterThan(0);
    expect(podConfig.shutdown.drainDelayMs).toBeGreaterThan(0);
    expect(podConfig.shutdown.drainDelayMs).toBe(defaults.shutdown.drainDelayMs);
    expect(podConfig.shutdown.timeoutMs).toBe(defaults.shutdown.timeoutMs);
    const graceMs = pod.terminationGracePeriodSeconds * 1000;
    expect(graceMs).toBeGreaterThan(
      preStopMs + podConfig.shutdown.drainDelayMs + podConfig.shutdown.timeoutMs,
    );
  });

  it('takes a terminating pod out of the endpoints by its readiness probe before it stops accepting', () => {
    const probe = container.readinessProbe;
    const noticedAfterMs = probe.periodSeconds * probe.failureThreshold * 1000;
    const preStopMs = Number(container.lifecycle.preStop.exec.command[1]) * 1000;
    expect(noticedAfterMs).toBeLessThanOrEqual(preStopMs + podConfig.shutdown.drainDelayMs);
  });

  it('keeps idle keep-alive sockets open longer than a typical 60 s load-balancer idle timeout', () => {
    expect(podConfig.shutdown.keepAliveTimeoutMs).toBeGreaterThan(60_000);
    expect(podConfig.shutdown.headersTimeoutMs).toBeGreaterThan(
      podConfig.shutdown.keepAliveTimeoutMs,
    );
  });

  it('runs node on the built server directly, in production, with DATABASE_URL from a Secret', () => {
    expect(container.command).toEqual(['node', 'dist/app/server.js']);
    expect(podConfig.env).toBe('production');
    const database = container.env.find((v: Manifest) => v.name === 'DATABASE_URL');
    expect(database.value).toBeUndefined();
    expect(database.valueFrom.secretKeyRef).toEqual({ name: 'app-database', key: 'DATABASE_URL' });
  });

  it('runs as a non-root user without privilege escalation, with resource requests and limits', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
  });
});

describe('Service, PodDisruptionBudget and kustomization (parsed, no cluster ran)', () => {
  const podLabels = deployment.spec.template.metadata.labels;

  it('routes the Service to the pods through the named http port', () => {
    expect(service.spec.selector).toEqual(podLabels);
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(deployment.spec.selector.matchLabels).toEqual(podLabels);
  });

  it('lets voluntary disruptions take at most one pod, fewer than the replicas', () => {
    expect(pdb.spec.selector.matchLabels).toEqual(podLabels);
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(deployment.spec.replicas).toBeGreaterThan(pdb.spec.maxUnavailable);
  });

  it('applies the Deployment, Service and PDB but never the migration Job template', () => {
    expect(kustomization.resources.sort()).toEqual(['deployment.yaml', 'pdb.yaml', 'service.yaml']);
  });
});

describe('migration Job template (parsed, no cluster ran)', () => {
  const spec = job.spec.template.spec;
  const migrate = spec.containers[0];

  it('runs the compiled runner for one phase, once, never restarted in place', () => {
    const cli = 'node_modules/zero-downtime-toolkit/dist/cli/index.js';
    expect([...migrate.command, ...migrate.args]).toEqual(['node', cli, 'migrate', 'PHASE']);
    expect(spec.restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBeLessThanOrEqual(1);
    // The toolkit's compiled command line, where the image's installed dependencies put it.
    expect(fs.existsSync(path.join(root, cli))).toBe(true);
  });

  it("is bounded by a deadline longer than the runner's time budget", () => {
    expect(job.spec.activeDeadlineSeconds * 1000).toBeGreaterThan(defaults.migrations.timeBudgetMs);
  });

  it('reaches the same database as the app, from the same Secret, as a non-root user', () => {
    const database = migrate.env.find((v: Manifest) => v.name === 'DATABASE_URL');
    expect(database.valueFrom.secretKeyRef).toEqual({ name: 'app-database', key: 'DATABASE_URL' });
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(migrate.securityContext.allowPrivilegeEscalation).toBe(false);
  });
});
