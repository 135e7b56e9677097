import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { runChecked } from '../../core/processes';
import { DATA_CHECK_SKIPPED, dataCheckRefused, predatesDataCheck } from '../data-check';
import { DeployError } from '../errors';
import type { DeployOptions } from '../options';
import type { Release } from '../releases';
import type { Reporter } from '../reporter';
import type { RollbackOutcome, Target, TargetContext } from './index';

/**
 * Kubernetes: the cluster does the rolling restart. The image is built and pushed by CI
 * (.github/workflows/deploy.yml); this target runs the data check (`zdm migrate check`) and
 * each migration phase as a Job from deploy/kubernetes/migration-job.yaml, then
 * `kubectl set image` + `kubectl rollout status`, checks every pod runs the new image and is
 * ready, and on failure `kubectl rollout undo` to the revision that served before. The
 * orchestrator never runs post-deploy after that.
 *
 * Settings come from the deploy's environment (options.env):
 *   DEPLOY_IMAGE          the image to deploy, e.g. ghcr.io/acme/app:<commit> (required)
 *   KUBE_NAMESPACE, KUBE_CONTEXT     where (default: kubectl's current context and namespace)
 *   KUBE_DEPLOYMENT, KUBE_CONTAINER  which Deployment and container (default app, app)
 *   KUBE_ROLLOUT_TIMEOUT  seconds `rollout status` waits (default 600)
 *   KUBE_MIGRATION_JOB    the Job template (default deploy/kubernetes/migration-job.yaml)
 */

/** Runs kubectl with these arguments; resolves to its stdout, throws when it fails. */
export type Kubectl = (args: string[], options?: { input?: string }) => Promise<string>;

export interface KubernetesSettings {
  image: string | undefined;
  namespace: string | undefined;
  context: string | undefined;
  deployment: string;
  container: string;
  rolloutTimeoutSeconds: number;
  jobTemplate: string;
}

export interface KubernetesDependencies {
  /** Replaced in tests by a fake; by default the real kubectl through the deploy's commands. */
  kubectl?: Kubectl;
  sleep?: (ms: number) => Promise<void>;
  /** How often a migration Job is polled. */
  pollMs?: number;
}

interface KubernetesData {
  /** The Deployment's revision before this deploy changed it: where a rollback goes. */
  previousRevision?: string | null;
  previousImage?: string | null;
}

export function kubernetesSettings(options: DeployOptions): KubernetesSettings {
  const env = options.env;
  const timeout = Number(env.KUBE_ROLLOUT_TIMEOUT || 600);
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new DeployError(
      'DEPLOY_USAGE',
      `KUBE_ROLLOUT_TIMEOUT must be a whole number of seconds, got "${env.KUBE_ROLLOUT_TIMEOUT}"`,
    );
  }
  return {
    image: env.DEPLOY_IMAGE || undefined,
    namespace: env.KUBE_NAMESPACE || undefined,
    context: env.KUBE_CONTEXT || undefined,
    deployment: env.KUBE_DEPLOYMENT || 'app',
    container: env.KUBE_CONTAINER || 'app',
    rolloutTimeoutSeconds: timeout,
    jobTemplate: path.resolve(
      options.source,
      env.KUBE_MIGRATION_JOB || path.join('deploy', 'kubernetes', 'migration-job.yaml'),
    ),
  };
}

export function createKubernetesTarget(
  options: DeployOptions,
  dependencies: KubernetesDependencies = {},
): Target {
  const settings = kubernetesSettings(options);
  if (!settings.image) {
    throw new DeployError(
      'DEPLOY_USAGE',
      '--target kubernetes needs DEPLOY_IMAGE, the pushed image of the commit to deploy ' +
        '(for example DEPLOY_IMAGE=ghcr.io/acme/app:3f2c1ab)',
    );
  }
  return new KubernetesTarget(options, settings as KubernetesSettings & { image: string }, {
    kubectl: dependencies.kubectl,
    sleep: dependencies.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    pollMs: dependencies.pollMs ?? 2_000,
  });
}

class KubernetesTarget implements Target {
  readonly name = 'kubernetes';

  constructor(
    private readonly options: DeployOptions,
    private readonly settings: KubernetesSettings & { image: string },
    private readonly dependencies: Required<Omit<KubernetesDependencies, 'kubectl'>> & {
      kubectl?: Kubectl;
    },
  ) {}

  /** Images are built and pushed by CI; the release is the image and the commit it carries. */
  async build(context: TargetContext): Promise<Release> {
    const { stdout } = await runChecked('git', ['rev-parse', '--verify', this.options.ref], {
      cwd: this.options.source,
      env: this.options.env,
      quietStdout: true,
    });
    const commit = stdout.trim();
    context.reporter.info(`release: image ${this.settings.image} (commit ${commit.slice(0, 7)})`);
    return { id: imageTag(this.settings.image), commit, dir: this.options.source };
  }

  /**
   * Pre-deploy runs the data check first, in a Job of its own from the same template, so that a
   * refusal migrates nothing; a resumed `--from migrate-pre` checks again.
   */
  async migrate(phase: 'pre' | 'post', context: TargetContext): Promise<void> {
    if (phase === 'pre') await this.checkPendingData(context);
    const { name, outcome } = await this.runJob(phase, context);
    if (outcome !== 'complete') {
      throw new DeployError(
        'MIGRATION_FAILED',
        `${phase}-deploy Job ${name} ${outcome}; its log is above ` +
          `(kubectl logs job/${name}). Fix the migration and resume: --from migrate-${phase}.`,
      );
    }
  }

  /**
   * `zdm migrate check` of the new image against the cluster's database. A template whose
   * arguments have no PHASE cannot be told to check: its Job would run whatever it runs.
   */
  private async checkPendingData(context: TargetContext): Promise<void> {
    if (!this.readJobTemplate().spec.template.spec.containers[0].args?.includes('PHASE')) {
      context.reporter.warn(
        `the Job template ${this.settings.jobTemplate} has no PHASE argument, so no check Job ` +
          'can be made from it: data checks skipped (the starter template has ' +
          'args: [node_modules/zero-downtime-toolkit/dist/cli/index.js, migrate, PHASE])',
      );
      return;
    }
    const { name, outcome, logs } = await this.runJob('check', context);
    if (outcome === 'complete') return;
    if (logs !== undefined && predatesDataCheck(logs)) {
      context.reporter.warn(DATA_CHECK_SKIPPED);
      return;
    }
    throw dataCheckRefused(
      logs ?? '',
      `The check Job ${name} ${outcome}; its log is above (kubectl logs job/${name}).`,
    );
  }

  /** Creates the phase's Job, waits for it to end and prints its log (undefined: unreadable). */
  private async runJob(
    phase: JobPhase,
    context: TargetContext,
  ): Promise<{ name: string; outcome: 'complete' | string; logs: string | undefined }> {
    const job = this.migrationJob(phase, context.state.release?.commit ?? 'unknown');
    const name = job.metadata.name;
    context.reporter.info(`${JOB_DESCRIPTIONS[phase]}: Job ${name} (${this.settings.image})`);
    await this.kubectl(context, ['create', '-f', '-'], JSON.stringify(job));
    const outcome = await this.waitForJob(context, name, job.spec.activeDeadlineSeconds);
    const logs = await this.showLogs(context, name, phase);
    return { name, outcome, logs };
  }

  async rollout(context: TargetContext): Promise<void> {
    const { deployment, container, image, rolloutTimeoutSeconds } = this.settings;
    const before = await this.readDeployment(context);
    const data: KubernetesData = {
      previousRevision: before.metadata.annotations?.[REVISION] ?? null,
      previousImage: containerImage(before, container) ?? null,
    };
    context.state.targetData.kubernetes = data;
    context.saveState();
    context.reporter.info(
      `deployment/${deployment}: ${data.previousImage ?? 'nothing'} -> ${image} ` +
        `(revision ${data.previousRevision ?? 'none'} before)`,
    );
    await this.kubectl(context, [
      'set',
      'image',
      `deployment/${deployment}`,
      `${container}=${image}`,
    ]);
    try {
      await this.kubectl(context, [
        'rollout',
        'status',
        `deployment/${deployment}`,
        `--timeout=${rolloutTimeoutSeconds}s`,
      ]);
    } catch (error) {
      throw new DeployError(
        'ROLLOUT_FAILED',
        `deployment/${deployment} did not become ready on ${image}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async verify(context: TargetContext): Promise<void> {
    const { deployment, container, image } = this.settings;
    const current = await this.readDeployment(context);
    const problems = deploymentProblems(current, container, image);
    const selector = Object.entries(current.spec.selector.matchLabels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const pods = JSON.parse(
      await this.kubectl(context, ['get', 'pods', '-l', selector, '-o', 'json']),
    ) as { items: Pod[] };
    for (const pod of pods.items.filter((item) => !item.metadata.deletionTimestamp)) {
      const podImage = pod.spec.containers.find((c) => c.name === container)?.image;
      if (podImage !== image) problems.push(`pod ${pod.metadata.name} runs ${podImage}`);
      if (!isReady(pod)) problems.push(`pod ${pod.metadata.name} is not ready`);
    }
    if (problems.length > 0) {
      throw new DeployError(
        'VERIFY_FAILED',
        `deployment/${deployment} is not fully on ${image}: ${problems.join('; ')}`,
      );
    }
    context.reporter.info(`deployment/${deployment}: every pod runs ${image} and is ready`);
  }

  async rollback(context: TargetContext): Promise<RollbackOutcome> {
    const { deployment, rolloutTimeoutSeconds } = this.settings;
    const data = context.state.targetData.kubernetes as KubernetesData | undefined;
    if (!data?.previousRevision) {
      return {
        summary: `deployment/${deployment} had no revision before this deploy: nothing to roll back to`,
        serving: false,
      };
    }
    await this.kubectl(context, [
      'rollout',
      'undo',
      `deployment/${deployment}`,
      `--to-revision=${data.previousRevision}`,
    ]);
    await this.kubectl(context, [
      'rollout',
      'status',
      `deployment/${deployment}`,
      `--timeout=${rolloutTimeoutSeconds}s`,
    ]);
    return {
      summary:
        `deployment/${deployment} rolled back to revision ${data.previousRevision} ` +
        `(${data.previousImage ?? 'its previous image'})`,
      serving: true,
    };
  }

  /** The Job template with this release's name, image, phase and namespace filled in. */
  private migrationJob(phase: JobPhase, commit: string): Job {
    const job = this.readJobTemplate();
    const suffix = `${commit.slice(0, 7)}-${Date.now().toString(36)}`.toLowerCase();
    job.metadata.name = job.metadata.name
      .replace('PHASE', phase)
      .replace('RELEASE', suffix)
      .slice(0, 63);
    if (this.settings.namespace) job.metadata.namespace = this.settings.namespace;
    const container = job.spec.template.spec.containers[0];
    container.image = this.settings.image;
    container.args = (container.args ?? []).map((arg) => (arg === 'PHASE' ? phase : arg));
    return job;
  }

  private readJobTemplate(): Job {
    if (!fs.existsSync(this.settings.jobTemplate)) {
      throw new DeployError(
        'DEPLOY_USAGE',
        `the migration Job template ${this.settings.jobTemplate} does not exist: the starter ` +
          'keeps it at deploy/kubernetes/migration-job.yaml of the deployed checkout; restore ' +
          'it there, or point KUBE_MIGRATION_JOB at yours',
      );
    }
    return parse(fs.readFileSync(this.settings.jobTemplate, 'utf8')) as Job;
  }

  private async waitForJob(
    context: TargetContext,
    name: string,
    deadlineSeconds = 1800,
  ): Promise<'complete' | string> {
    // Kubernetes fails the Job at its activeDeadlineSeconds; the margin covers scheduling.
    const until = Date.now() + (deadlineSeconds + 120) * 1000;
    for (;;) {
      const job = JSON.parse(
        await this.kubectl(context, ['get', 'job', name, '-o', 'json']),
      ) as Job;
      const conditions = job.status?.conditions ?? [];
      const done = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
      if (done('Complete')) return 'complete';
      const failed = done('Failed');
      if (failed) return `failed (${failed.reason ?? 'Failed'}: ${failed.message ?? 'no message'})`;
      if (Date.now() > until) return `did not finish within ${deadlineSeconds + 120} s`;
      await this.dependencies.sleep(this.dependencies.pollMs);
    }
  }

  private async showLogs(
    context: TargetContext,
    name: string,
    phase: string,
  ): Promise<string | undefined> {
    try {
      const logs = await this.kubectl(context, ['logs', `job/${name}`, '--all-containers=true']);
      for (const line of logs.trimEnd().split('\n'))
        context.reporter.output(`migrate:${phase}`, line);
      return logs;
    } catch (error) {
      context.reporter.warn(`could not read the log of job/${name}: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async readDeployment(context: TargetContext): Promise<Deployment> {
    const json = await this.kubectl(context, [
      'get',
      'deployment',
      this.settings.deployment,
      '-o',
      'json',
    ]);
    return JSON.parse(json) as Deployment;
  }

  private kubectl(context: TargetContext, args: string[], input?: string): Promise<string> {
    const scoped = [
      ...(this.settings.context ? ['--context', this.settings.context] : []),
      ...(this.settings.namespace ? ['--namespace', this.settings.namespace] : []),
      ...args,
    ];
    const kubectl = this.dependencies.kubectl ?? realKubectl(this.options, context.reporter);
    return kubectl(scoped, { input });
  }
}

function realKubectl(options: DeployOptions, reporter: Reporter): Kubectl {
  return async (args, { input } = {}) => {
    const { stdout } = await runChecked(options.env.KUBECTL || 'kubectl', args, {
      env: options.env,
      reporter,
      label: 'kubectl',
      quietStdout: true,
      stdin: input === undefined ? undefined : Readable.from([input]),
    });
    return stdout;
  };
}

const REVISION = 'deployment.kubernetes.io/revision';

/** What a Job from the template runs: `zdm migrate <phase>`. */
type JobPhase = 'check' | 'pre' | 'post';

const JOB_DESCRIPTIONS: Record<JobPhase, string> = {
  check: 'data checks of the pending migrations (read-only)',
  pre: 'pre-deploy migrations',
  post: 'post-deploy migrations',
};

interface ContainerSpec {
  name: string;
  image?: string;
  args?: string[];
}

interface Deployment {
  metadata: { generation?: number; annotations?: Record<string, string> };
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { spec: { containers: ContainerSpec[] } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: ContainerSpec[] };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

interface Job {
  metadata: { name: string; namespace?: string };
  spec: { activeDeadlineSeconds?: number; template: { spec: { containers: ContainerSpec[] } } };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

function containerImage(deployment: Deployment, container: string): string | undefined {
  return deployment.spec.template.spec.containers.find((c) => c.name === container)?.image;
}

function deploymentProblems(deployment: Deployment, container: string, image: string): string[] {
  const problems: string[] = [];
  const wanted = deployment.spec.replicas ?? 1;
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < (deployment.metadata.generation ?? 0)) {
    problems.push('the controller has not observed the latest spec yet');
  }
  if (containerImage(deployment, container) !== image) {
    problems.push(`its template runs ${containerImage(deployment, container)}`);
  }
  for (const field of ['updatedReplicas', 'readyReplicas', 'availableReplicas'] as const) {
    if ((status[field] ?? 0) < wanted) problems.push(`${field} ${status[field] ?? 0}/${wanted}`);
  }
  return problems;
}

function isReady(pod: Pod): boolean {
  return Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

function imageTag(image: string): string {
  const afterSlash = image.slice(image.lastIndexOf('/') + 1);
  const digest = image.indexOf('@');
  if (digest !== -1)
    return image
      .slice(digest + 1)
      .replace(':', '-')
      .slice(0, 20);
  return afterSlash.includes(':') ? afterSlash.slice(afterSlash.indexOf(':') + 1) : afterSlash;
}
