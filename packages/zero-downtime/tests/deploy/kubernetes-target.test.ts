import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { starterRoot } from '../support/project';
import { runDeploy, TARGETS, type DeployOptions, type Reporter } from '../../src/deploy';

/**
 * `npm run deploy -- --target kubernetes` through the real orchestrator and the real command
 * runner, with a fake `kubectl` executable (KUBECTL) that keeps a Deployment's state in a JSON
 * file, records every call, and fails where a scenario says. No cluster runs here.
 */

const projectRoot = starterRoot;
const OLD_IMAGE = 'ghcr.io/acme/app:old1234';
const NEW_IMAGE = 'ghcr.io/acme/app:new5678';

interface Scenario {
  /** `rollout status` fails while the Deployment runs this image. */
  rolloutFailsOn?: string;
  /** The Job of this phase (`check` is the data check) ends Failed. */
  failJobPhase?: JobPhase;
  /** What `kubectl logs` prints for the Job of a phase, instead of the default. */
  jobLogs?: Partial<Record<JobPhase, string>>;
}

type JobPhase = 'check' | 'pre' | 'post';

interface Call {
  args: string[];
  input?: string;
}

const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require('node:fs');
const file = process.env.FAKE_KUBECTL_STATE;
const state = JSON.parse(fs.readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
const input = args.includes('-') ? fs.readFileSync(0, 'utf8') : undefined;
state.calls.push(input === undefined ? { args } : { args, input });
const save = () => fs.writeFileSync(file, JSON.stringify(state));
const out = (value) => process.stdout.write(typeof value === 'string' ? value : JSON.stringify(value));
const fail = (message) => { save(); process.stderr.write(message + '\\n'); process.exit(1); };
const rest = args.filter((a, i) => !['--namespace', '--context'].includes(a) && !['--namespace', '--context'].includes(args[i - 1]));
const labels = { 'app.kubernetes.io/name': 'zero-downtime-express-starter' };
const d = state.deployment;
const deployment = () => ({
  metadata: { name: 'app', generation: d.revision, annotations: { 'deployment.kubernetes.io/revision': String(d.revision) } },
  spec: { replicas: 3, selector: { matchLabels: labels }, template: { spec: { containers: [{ name: 'app', image: d.image }] } } },
  status: { observedGeneration: d.revision, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 },
});
const [verb, kind, name] = rest;
if (verb === 'get' && kind === 'deployment') out(deployment());
else if (verb === 'set' && kind === 'image') {
  const image = rest[3].split('=')[1];
  if (image !== d.image) { d.revision += 1; d.history[d.revision] = image; d.image = image; }
} else if (verb === 'rollout' && kind === 'status') {
  if (state.scenario.rolloutFailsOn === d.image) fail('error: deployment "app" exceeded its progress deadline');
  out('deployment "app" successfully rolled out\\n');
} else if (verb === 'rollout' && kind === 'undo') {
  const to = Number(rest.find((a) => a.startsWith('--to-revision=')).split('=')[1]);
  d.revision += 1; d.image = d.history[to]; d.history[d.revision] = d.image;
  out('deployment.apps/app rolled back\\n');
} else if (verb === 'create') {
  const job = JSON.parse(input);
  state.jobs[job.metadata.name] = job.spec.template.spec.containers[0].args.at(-1);
  out('job.batch/' + job.metadata.name + ' created\\n');
} else if (verb === 'get' && kind === 'job') {
  const failed = state.scenario.failJobPhase === state.jobs[name];
  const condition = failed
    ? { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
    : { type: 'Complete', status: 'True' };
  out({ metadata: { name }, spec: { template: { spec: { containers: [] } } }, status: { conditions: [condition] } });
} else if (verb === 'logs') {
  const phase = state.jobs[kind.replace('job/', '')];
  if (state.scenario.jobLogs && phase in state.scenario.jobLogs) out(state.scenario.jobLogs[phase]);
  else out(state.scenario.failJobPhase === phase ? 'migrate ' + phase + ': column "x" already exists\\n' : phase + '-deploy: applied 1 migration(s)\\n');
} else if (verb === 'get' && kind === 'pods') {
  out({ items: [1, 2, 3].map((i) => ({
    metadata: { name: 'app-' + i },
    spec: { containers: [{ name: 'app', image: d.image }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  })) });
} else fail('fake kubectl: unexpected call ' + args.join(' '));
save();
`;

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-kubectl-'));
  fs.writeFileSync(path.join(dir, 'kubectl'), FAKE_KUBECTL, { mode: 0o755 });
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeCluster(scenario: Scenario): void {
  const cluster = {
    scenario,
    deployment: { revision: 4, image: OLD_IMAGE, history: { 4: OLD_IMAGE } },
    jobs: {},
    calls: [],
  };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(cluster));
}

function readCluster(): {
  deployment: { revision: number; image: string };
  jobs: Record<string, string>;
  calls: Call[];
} {
  return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
}

function options(): DeployOptions {
  return {
    target: 'kubernetes',
    root: path.join(dir, 'deploy-root'),
    source: projectRoot,
    ref: 'HEAD',
    appName: 'app',
    readyPath: '/health/ready',
    readyTimeoutMs: 60_000,
    port: 3000,
    lockWaitMs: 0,
    databaseLock: false,
    keepReleases: 5,
    env: {
      ...process.env,
      KUBECTL: path.join(dir, 'kubectl'),
      FAKE_KUBECTL_STATE: path.join(dir, 'state.json'),
      DEPLOY_IMAGE: NEW_IMAGE,
      KUBE_NAMESPACE: 'shop',
    },
    ssh: { hosts: [], remoteRoot: 'app', command: 'ssh', node: 'node' },
  };
}

function collectingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (name, message) => lines.push(`[${name}] ${message}`),
    info: (message) => lines.push(message),
    warn: (message) => lines.push(`warning: ${message}`),
    output: (source, line) => lines.push(`${source} | ${line}`),
  };
}

/** Each call as "verb kind [phase]", the namespace flag checked and dropped. */
function commands(calls: Call[], jobs: Record<string, string>): string[] {
  return calls.map(({ args }) => {
    expect(args.slice(0, 2)).toEqual(['--namespace', 'shop']);
    const [verb, kind, name] = args.slice(2);
    if (verb === 'create') return 'create job';
    if (verb === 'get' && kind === 'job') return `get job ${jobs[name]}`;
    if (verb === 'logs') return `logs ${jobs[kind.replace('job/', '')]}`;
    if (verb === 'rollout' && kind === 'undo') return `rollout undo ${args[5]}`;
    return `${verb} ${kind}`;
  });
}

interface JobManifest {
  metadata: { name: string; namespace?: string };
  spec: {
    template: { spec: { containers: Array<{ image: string; command: string[]; args: string[] }> } };
  };
}

/** The data check's Job, before the pre-deploy one. */
const CHECK_JOB = ['create job', 'get job check', 'logs check'];

function jobManifests(calls: Call[]): JobManifest[] {
  return calls.filter((call) => call.input).map((call) => JSON.parse(call.input as string));
}

describe('kubernetes deploy target', () => {
  it('is registered as --target kubernetes', () => {
    expect(Object.keys(TARGETS)).toContain('kubernetes');
  });

  it('runs the data check Job, then the pre-deploy Job, sets the image, waits for the rollout, verifies, then the post-deploy Job (fake kubectl, no cluster ran)', async () => {
    writeCluster({});
    const reporter = collectingReporter();

    const result = await runDeploy(options(), reporter);

    expect(result.ok).toBe(true);
    const cluster = readCluster();
    expect(commands(cluster.calls, cluster.jobs)).toEqual([
      ...CHECK_JOB,
      'create job',
      'get job pre',
      'logs pre',
      'get deployment',
      'set image',
      'rollout status',
      'get deployment',
      'get pods',
      'create job',
      'get job post',
      'logs post',
    ]);
    const setImage = cluster.calls.find((call) => call.args[2] === 'set');
    expect(setImage?.args.slice(2)).toEqual(['set', 'image', 'deployment/app', `app=${NEW_IMAGE}`]);
    const status = cluster.calls.find((call) => call.args[3] === 'status');
    expect(status?.args).toContain('--timeout=600s');
    const [check, pre, post] = jobManifests(cluster.calls);
    for (const [job, phase] of [
      [check, 'check'],
      [pre, 'pre'],
      [post, 'post'],
    ] as const) {
      const container = job.spec.template.spec.containers[0];
      expect(container.image).toBe(NEW_IMAGE);
      expect([...container.command, ...container.args]).toEqual([
        'node',
        'node_modules/zero-downtime-toolkit/dist/cli/index.js',
        'migrate',
        phase,
      ]);
      expect(job.metadata.name).toMatch(new RegExp(`^app-migrate-${phase}-[0-9a-f]{7}-[0-9a-z]+$`));
      expect(job.metadata.namespace).toBe('shop');
    }
    expect(cluster.deployment.image).toBe(NEW_IMAGE);
    expect(reporter.lines).toContain('migrate:post | post-deploy: applied 1 migration(s)');
  });

  it('rolls back to the previous revision and never runs post-deploy when the rollout fails (fake kubectl, no cluster ran)', async () => {
    writeCluster({ rolloutFailsOn: NEW_IMAGE });

    const result = await runDeploy(options(), collectingReporter());

    expect(result.ok).toBe(false);
    expect(result.state.failedStep).toBe('rollout');
    expect(result.state.status).toBe('rolled-back');
    expect(result.state.steps['migrate-post']).toBe('pending');
    expect(result.summary).toContain('rolled back to revision 4');
    const cluster = readCluster();
    expect(commands(cluster.calls, cluster.jobs)).toEqual([
      ...CHECK_JOB,
      'create job',
      'get job pre',
      'logs pre',
      'get deployment',
      'set image',
      'rollout status',
      'rollout undo --to-revision=4',
      'rollout status',
    ]);
    expect(Object.values(cluster.jobs)).toEqual(['check', 'pre']);
    expect(cluster.deployment.image).toBe(OLD_IMAGE);
  });

  it('stops before the rollout when the pre-deploy Job fails, with its log in the report (fake kubectl, no cluster ran)', async () => {
    writeCluster({ failJobPhase: 'pre' });
    const reporter = collectingReporter();

    const result = await runDeploy(options(), reporter);

    expect(result.ok).toBe(false);
    expect(result.state.failedStep).toBe('migrate-pre');
    expect(result.state.error).toMatch(
      /pre-deploy Job app-migrate-pre-\S+ failed \(BackoffLimitExceeded/,
    );
    expect(reporter.lines).toContain('migrate:pre | migrate pre: column "x" already exists');
    const cluster = readCluster();
    expect(commands(cluster.calls, cluster.jobs)).toEqual([
      ...CHECK_JOB,
      'create job',
      'get job pre',
      'logs pre',
    ]);
    expect(cluster.deployment.image).toBe(OLD_IMAGE);
  });

  it('runs the data check as a Job before the pre-deploy Job, and a refusal stops the deploy with DATA_CHECK_FAILED, nothing migrated, the image untouched (fake kubectl, no cluster ran)', async () => {
    // What `zdm migrate check` prints for one error (lint/format.ts).
    const finding = [
      'migrations/pre-deploy/20300103000000-unique-notes.sql:1  error  data-duplicate-keys',
      '  > CREATE UNIQUE INDEX CONCURRENTLY notes_note_key ON notes (note)',
      '  The unique index on notes (note) would fail: 1 key(s) appear more than once, in 2 rows. The first:',
      '    (same): 2 rows',
      '  Safe way:',
      '    -- resolve the duplicates first (merge or delete them, in batches), then deploy:',
      '',
      '1 error(s), 0 warning(s).',
    ];
    writeCluster({ failJobPhase: 'check', jobLogs: { check: `${finding.join('\n')}\n` } });
    const reporter = collectingReporter();

    const result = await runDeploy(options(), reporter);

    expect(result.ok).toBe(false);
    expect(result.state).toMatchObject({
      failedStep: 'migrate-pre',
      errorCode: 'DATA_CHECK_FAILED',
      status: 'failed',
    });
    expect(result.state.error).toMatch(
      /Nothing was migrated; the old version still serves\..*check Job app-migrate-check-\S+ failed \(BackoffLimitExceeded.*kubectl logs job\/app-migrate-check-/,
    );
    expect(result.state.error).toContain(
      'It found: migrations/pre-deploy/20300103000000-unique-notes.sql:1 data-duplicate-keys: ' +
        'The unique index on notes (note) would fail: 1 key(s) appear more than once, in 2 rows.',
    );
    expect(reporter.lines).toContain(`migrate:check | ${finding[2]}`);
    const cluster = readCluster();
    expect(commands(cluster.calls, cluster.jobs)).toEqual(CHECK_JOB);
    expect(Object.values(cluster.jobs)).toEqual(['check']);
    expect(cluster.deployment).toMatchObject({ revision: 4, image: OLD_IMAGE });
    const [check] = jobManifests(cluster.calls);
    expect(check.metadata.name).toMatch(/^app-migrate-check-[0-9a-f]{7}-[0-9a-z]+$/);
    expect(check.spec.template.spec.containers[0].args.at(-1)).toBe('check');
  });

  it('deploys an image whose toolkit has no `migrate check` with a warning that the data checks were skipped (fake kubectl, no cluster ran)', async () => {
    writeCluster({
      failJobPhase: 'check',
      jobLogs: { check: 'zdm migrate: unknown command "check"\n\nusage: zdm migrate <pre|post>\n' },
    });
    const reporter = collectingReporter();

    const result = await runDeploy(options(), reporter);

    expect(result.ok).toBe(true);
    expect(reporter.lines).toContain(
      "warning: this release's toolkit has no `zdm migrate check`: data checks skipped",
    );
    const cluster = readCluster();
    expect(Object.values(cluster.jobs)).toEqual(['check', 'pre', 'post']);
    expect(cluster.deployment.image).toBe(NEW_IMAGE);
  });

  it('skips the data check, with a warning, for a Job template without a PHASE argument, and runs its Jobs as before (fake kubectl, no cluster ran)', async () => {
    writeCluster({});
    const template = fs
      .readFileSync(path.join(projectRoot, 'deploy', 'kubernetes', 'migration-job.yaml'), 'utf8')
      .replace(
        "args: ['node_modules/zero-downtime-toolkit/dist/cli/index.js', 'migrate', 'PHASE']",
        "args: ['-c', 'run-my-migrations']",
      );
    expect(template).toContain('run-my-migrations');
    fs.writeFileSync(path.join(dir, 'job.yaml'), template);
    const withTemplate = options();
    withTemplate.env.KUBE_MIGRATION_JOB = path.join(dir, 'job.yaml');
    const reporter = collectingReporter();

    const result = await runDeploy(withTemplate, reporter);

    expect(result.ok).toBe(true);
    expect(reporter.lines).toContainEqual(
      expect.stringMatching(
        /^warning: the Job template \S+job\.yaml has no PHASE argument.*data checks skipped/,
      ),
    );
    const cluster = readCluster();
    expect(jobManifests(cluster.calls).map((job) => job.metadata.name)).toEqual([
      expect.stringMatching(/^app-migrate-pre-/),
      expect.stringMatching(/^app-migrate-post-/),
    ]);
  });

  it('refuses to start without DEPLOY_IMAGE, naming the variable (fake kubectl, no cluster ran)', async () => {
    writeCluster({});
    const withoutImage = options();
    delete withoutImage.env.DEPLOY_IMAGE;

    await expect(runDeploy(withoutImage, collectingReporter())).rejects.toMatchObject({
      code: 'DEPLOY_USAGE',
      message: expect.stringContaining('DEPLOY_IMAGE'),
    });
    expect(readCluster().calls).toEqual([]);
  });
});
