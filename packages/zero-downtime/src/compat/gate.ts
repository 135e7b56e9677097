import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCompatServer } from './database';
import { provideDependencies, type DependencySource } from './dependencies';
import { PACKAGE_NAME } from '../core/project';
import { CompatError } from './errors';
import { addWorktree, describeHead, repositoryRoot, resolveCommit } from './git';
import { migrate, runSuite, TEMPLATE_ENV, type StepContext, type StepResult } from './steps';

/**
 * The backward-compatibility gate: during a rolling restart the base version (N) serves on the
 * schema the head's (N+1) pre-deploy migrations leave behind. The gate builds that schema with
 * each version's own runner and runs each version's own tests on it.
 */
export interface CompatOptions {
  /** Any folder inside the head's repository; the head is its working tree. */
  repoDir: string;
  /** The git ref of the version that serves before the deploy (e.g. origin/master). */
  base: string;
  /** A PostgreSQL server (any database on it); an embedded server is started when absent. */
  serverUrl?: string;
  /** Extra jest arguments for every suite run, e.g. a test path pattern. */
  jestArgs?: string[];
  /** Where each step's log and jest report are kept (default reports/compat). */
  reportsDir?: string;
  stepTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

export type StageId =
  | 'base-pre'
  | 'base-post'
  | 'head-pre'
  | 'base-tests-on-pre'
  | 'head-tests-on-pre'
  | 'head-post'
  | 'head-tests-on-post';

export interface StageReport {
  id: StageId;
  version: 'base' | 'head';
  title: string;
  status: 'passed' | 'failed' | 'not run';
  result?: StepResult;
}

export interface CompatReport {
  ok: boolean;
  base: { ref: string; commit: string };
  head: string;
  server: string;
  /** The gate's schema database, dropped before the report is returned. */
  database: string;
  dependencies: DependencySource;
  reportsDir: string;
  stages: StageReport[];
}

interface PlannedStage {
  id: StageId;
  version: 'base' | 'head';
  title: string;
  /** Migrations build the schema every later stage needs: when one fails, the gate stops. */
  stopsTheGate: boolean;
  run(context: StepContext): Promise<StepResult>;
}

const DEFAULT_STEP_TIMEOUT_MS = 30 * 60_000;

export async function runCompatGate(options: CompatOptions): Promise<CompatReport> {
  const progress = options.onProgress ?? (() => undefined);
  const repoDir = await repositoryRoot(options.repoDir);
  const commit = await resolveCommit(repoDir, options.base);
  const head = await describeHead(repoDir);
  requireTemplateContract(repoDir, 'the head');
  const reportsDir = path.resolve(options.reportsDir ?? path.join(repoDir, 'reports', 'compat'));
  fs.mkdirSync(reportsDir, { recursive: true });
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-compat-'));
  const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  try {
    progress(`checking out ${options.base} (${commit.slice(0, 7)}) in a temporary worktree`);
    const worktree = await addWorktree(repoDir, commit, path.join(tempDir, 'base'));
    cleanups.push({ what: 'remove the worktree', run: worktree.remove });
    requireTemplateContract(worktree.dir, `the base (${options.base})`);
    const dependencies = await provideDependencies(
      repoDir,
      worktree.dir,
      path.join(reportsDir, 'base-npm-ci.log'),
    );
    const server = await openCompatServer(options.serverUrl, tempDir);
    cleanups.push({ what: 'stop the embedded server', run: server.stop });
    const database = await server.createDatabase();
    cleanups.push({ what: `drop database ${database.name}`, run: database.drop });
    progress(`schema database ${database.name} on ${server.description}`);

    const plan = planStages(database.url, options.jestArgs ?? []);
    const dirs = { base: worktree.dir, head: repoDir };
    const stages = await runStages(plan, dirs, {
      reportsDir,
      timeoutMs: options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
      progress,
    });
    return {
      ok: stages.every((stage) => stage.status === 'passed'),
      base: { ref: options.base, commit },
      head,
      server: server.description,
      database: database.name,
      dependencies,
      reportsDir,
      stages,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup.run().catch((error: unknown) => {
        progress(`could not ${cleanup.what}: ${(error as Error).message}`);
      });
    }
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

function planStages(databaseUrl: string, jestArgs: string[]): PlannedStage[] {
  const migration = (phase: 'pre' | 'post') => (context: StepContext) =>
    migrate(context, phase, databaseUrl);
  const tests = (context: StepContext) => runSuite(context, databaseUrl, jestArgs);
  return [
    {
      id: 'base-pre',
      version: 'base',
      title: "base: pre-deploy migrations with the base's runner, on a fresh database",
      stopsTheGate: true,
      run: migration('pre'),
    },
    {
      id: 'base-post',
      version: 'base',
      title: "base: post-deploy migrations with the base's runner",
      stopsTheGate: true,
      run: migration('post'),
    },
    {
      id: 'head-pre',
      version: 'head',
      title: "head: pre-deploy migrations with the head's runner, on the base's schema",
      stopsTheGate: true,
      run: migration('pre'),
    },
    {
      id: 'base-tests-on-pre',
      version: 'base',
      title: "base: tests on the head's pre-deploy schema (old code during the rolling restart)",
      stopsTheGate: false,
      run: tests,
    },
    {
      id: 'head-tests-on-pre',
      version: 'head',
      title: 'head: tests on the pre-deploy schema (new code during the rolling restart)',
      stopsTheGate: false,
      run: tests,
    },
    {
      id: 'head-post',
      version: 'head',
      title: "head: post-deploy migrations with the head's runner",
      stopsTheGate: true,
      run: migration('post'),
    },
    {
      id: 'head-tests-on-post',
      version: 'head',
      title: 'head: tests after post-deploy (new code once the deploy is complete)',
      stopsTheGate: false,
      run: tests,
    },
  ];
}

async function runStages(
  plan: PlannedStage[],
  dirs: Record<'base' | 'head', string>,
  settings: { reportsDir: string; timeoutMs: number; progress: (line: string) => void },
): Promise<StageReport[]> {
  const reports: StageReport[] = [];
  let stopped = false;
  for (const [index, stage] of plan.entries()) {
    const report = { id: stage.id, version: stage.version, title: stage.title };
    if (stopped) {
      reports.push({ ...report, status: 'not run' });
      continue;
    }
    settings.progress(`▸ ${stage.title}`);
    const result = await stage.run({
      dir: dirs[stage.version],
      logFile: path.join(settings.reportsDir, `${index + 1}-${stage.id}.log`),
      timeoutMs: settings.timeoutMs,
    });
    reports.push({ ...report, status: result.ok ? 'passed' : 'failed', result });
    if (!result.ok && stage.stopsTheGate) stopped = true;
  }
  return reports;
}

/**
 * Without the contract the version's global setup would migrate a template of its own, and its
 * tests would never see the gate's schema: a pass would mean nothing, so the gate refuses.
 */
function requireTemplateContract(dir: string, which: string): void {
  const setup = path.join(dir, 'tests', 'support', 'global-setup.ts');
  const source = fs.existsSync(setup) ? fs.readFileSync(setup, 'utf8') : '';
  const scripts = readScripts(dir);
  const honoursTemplate =
    source.includes(TEMPLATE_ENV) || source.includes(`${PACKAGE_NAME}/testing`);
  if (!scripts['migrate:pre'] || !scripts['migrate:post'] || !honoursTemplate) {
    throw new CompatError(
      'COMPAT_BASE_UNSUPPORTED',
      `${which} predates the compat gate: it needs the npm scripts migrate:pre and ` +
        `migrate:post, and a jest global setup (tests/support/global-setup.ts) that honours ` +
        `${TEMPLATE_ENV} by cloning that database instead of migrating its own template (the ` +
        `globalSetup of ${PACKAGE_NAME}/testing does). Choose a base that has both (see ` +
        `docs/compat-gate.md).`,
    );
  }
}

function readScripts(dir: string): Record<string, string> {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return (manifest as { scripts?: Record<string, string> }).scripts ?? {};
  } catch {
    return {};
  }
}
