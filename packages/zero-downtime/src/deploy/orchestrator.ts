import fs from 'node:fs';
import { redactUrl } from '../core/url';
import { describeEnding, runChecked, runCommand } from '../core/processes';
import { DATA_CHECK_SKIPPED, dataCheckRefused, predatesDataCheck } from './data-check';
import { DeployError, NOTHING_SERVES } from './errors';
import { acquireDeployLock, type DeployLock } from './lock';
import type { DeployOptions } from './options';
import { pruneDependencies } from './dependencies';
import { requireReleaseCli } from './release-cli';
import { pruneReleases, readRelease, releaseDir, releasesDir } from './releases';
import type { Reporter } from './reporter';
import { newState, readState, writeState, type DeployState } from './state';
import { STEPS, STEP_DESCRIPTIONS, rollsBackOnFailure, type Step } from './steps';
import { createTarget, type Target, type TargetContext } from './targets';

/**
 * A deploy: build, pre-deploy migrations, rolling restart, verification, post-deploy
 * migrations, in that order, under a lock, with the state written after every step.
 * A failed rollout or verification rolls back; post-deploy migrations never run after a
 * failed or incomplete rollout (docs/zero-downtime.md, "The deploy contract").
 */
export interface DeployResult {
  ok: boolean;
  state: DeployState;
  /** What happened and what to do next, for a person. */
  summary: string;
}

export async function runDeploy(options: DeployOptions, reporter: Reporter): Promise<DeployResult> {
  const target = createTarget(options);
  const steps = stepsToRun(options);
  refuseWhatCannotFinish(steps, options, target);
  await target.preflight?.(steps, reporter);
  const lock = await takeLock(options, reporter);
  try {
    const state = startingState(options, reporter);
    const context = contextFor(options, reporter, state);
    writeState(options.root, state);
    for (const step of steps) {
      state.steps[step] = 'running';
      writeState(options.root, state);
      reporter.step(step, STEP_DESCRIPTIONS[step]);
      const started = Date.now();
      try {
        await runStep(step, target, context);
      } catch (error) {
        return await failed(step, error, target, context);
      }
      reporter.info(`${step} done in ${secondsSince(started)} s`);
      state.steps[step] = 'done';
      writeState(options.root, state);
    }
    state.status = 'succeeded';
    writeState(options.root, state);
    pruneOldReleases(options, state, reporter);
    return { ok: true, state, summary: succeededSummary(state) };
  } finally {
    await lock.release();
  }
}

/** Rolls the last deploy back by hand: the previous release serves again. */
export async function rollBackLastDeploy(
  options: DeployOptions,
  reporter: Reporter,
): Promise<DeployResult> {
  const target = createTarget(options);
  const lock = await takeLock(options, reporter);
  try {
    const state = readState(options.root);
    if (!state?.release) {
      throw new DeployError('DEPLOY_NO_STATE', `no deploy to roll back in ${options.root}`);
    }
    const started = Date.now();
    const outcome = await target.rollback(contextFor(options, reporter, state));
    reporter.info(`rollback done in ${secondsSince(started)} s`);
    state.status = 'rolled-back';
    state.outcome = outcome.summary;
    state.servingAfterRollback = outcome.serving;
    writeState(options.root, state);
    const summary = outcome.serving
      ? outcome.summary
      : `${outcome.summary}\n${NOTHING_SERVES}: the rolled-back deploy was the first one, so no ` +
        'earlier release exists to put back. Deploy a release to serve again.';
    return { ok: outcome.serving, state, summary };
  } finally {
    await lock.release();
  }
}

async function runStep(step: Step, target: Target, context: TargetContext): Promise<void> {
  switch (step) {
    case 'build':
      context.state.release = await target.build(context);
      context.saveState();
      return;
    case 'migrate-pre':
      return migrate('pre', target, context);
    case 'rollout':
      return target.rollout(context);
    case 'verify':
      return target.verify(context);
    case 'migrate-post':
      return migrate('post', target, context);
  }
}

/**
 * Checked before anything is built or locked: a deploy that runs migrations from here needs the
 * database, and would otherwise fail only after the build, with nothing wrong but a setting.
 */
function refuseWhatCannotFinish(steps: Step[], options: DeployOptions, target: Target): void {
  const migrates = steps.some((step) => step.startsWith('migrate-'));
  if (migrates && !target.migrate && !options.databaseUrl) {
    throw new DeployError(
      'DEPLOY_USAGE',
      'DATABASE_URL is not set: the deploy runs the migrations against the database the ' +
        'instances use. Set it in the environment or in <deploy root>/shared/.env (for ' +
        'example DATABASE_URL=postgres://app:secret@db.internal:5432/app). Nothing was built ' +
        'or changed.',
    );
  }
}

async function migrate(phase: 'pre' | 'post', target: Target, context: TargetContext) {
  if (target.migrate) return target.migrate(phase, context);
  const { options, state, reporter } = context;
  if (!options.databaseUrl) {
    throw new DeployError(
      'MIGRATION_FAILED',
      'DATABASE_URL is not set: the deploy runs the migrations against the database the ' +
        'instances use (for example DATABASE_URL=postgres://app:secret@db.internal:5432/app)',
    );
  }
  const dir = state.release?.dir ?? options.source;
  const cli = requireReleaseCli(dir);
  const commandOptions = {
    cwd: dir,
    env: { ...options.env, DATABASE_URL: options.databaseUrl },
    reporter,
  };
  if (phase === 'pre') await checkPendingData(cli, commandOptions);
  reporter.info(`zdm migrate ${phase} in ${dir} against ${redactUrl(options.databaseUrl)}`);
  try {
    await runChecked(process.execPath, [cli, 'migrate', phase], {
      ...commandOptions,
      label: `migrate:${phase}`,
    });
  } catch (error) {
    throw new DeployError('MIGRATION_FAILED', (error as Error).message, { cause: error });
  }
}

/**
 * `zdm migrate check` of the release, before its pre-deploy migrations: refuses when the rows
 * already there would make a pending migration fail. A release whose toolkit predates the
 * command (exit 2, bad usage: an old release deployed again) is deployed without it.
 */
async function checkPendingData(
  cli: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; reporter: Reporter },
): Promise<void> {
  const { reporter } = options;
  reporter.info(
    `zdm migrate check in ${options.cwd}: the rows the pending migrations meet, read-only`,
  );
  const args = [cli, 'migrate', 'check'];
  const result = await runCommand(process.execPath, args, { ...options, label: 'migrate:check' });
  if (result.code === 0) return;
  if (result.code === 2 && predatesDataCheck(result.output)) {
    reporter.warn(DATA_CHECK_SKIPPED);
    return;
  }
  throw dataCheckRefused(result.output, `${describeEnding(process.execPath, args, result)}.`);
}

async function failed(
  step: Step,
  error: unknown,
  target: Target,
  context: TargetContext,
): Promise<DeployResult> {
  const { state, reporter } = context;
  state.steps[step] = 'failed';
  state.failedStep = step;
  state.error = (error as Error).message;
  state.errorCode = error instanceof DeployError ? error.code : undefined;
  state.status = 'failed';
  context.saveState();
  reporter.warn(`${step} failed: ${state.error}`);
  if (rollsBackOnFailure(step)) {
    reporter.step('rollback', 'putting back the release that served before this deploy');
    const started = Date.now();
    try {
      const outcome = await target.rollback(context);
      reporter.info(`rollback done in ${secondsSince(started)} s`);
      state.outcome = outcome.summary;
      state.servingAfterRollback = outcome.serving;
      state.status = 'rolled-back';
    } catch (rollbackError) {
      state.outcome = `ROLLBACK FAILED: ${(rollbackError as Error).message}`;
    }
  }
  context.saveState();
  return { ok: false, state, summary: failedSummary(step, state) };
}

function secondsSince(started: number): string {
  return ((Date.now() - started) / 1000).toFixed(1);
}

function failedSummary(step: Step, state: DeployState): string {
  const release = state.release?.id ?? 'the release';
  const lines = [`deploy of ${release} FAILED at ${step}: ${state.error}`];
  if (state.outcome) lines.push(state.outcome);
  lines.push(...whatItMeans(step, state));
  return lines.join('\n');
}

function whatItMeans(step: Step, state: DeployState): string[] {
  switch (step) {
    case 'build':
      return state.errorCode === 'SHIP_FAILED'
        ? [
            'Nothing changed in the database, and no host serves anything new (a release ' +
              'folder that was being copied is not used).',
            'Fix the access to the host, then run the deploy again (or resume: --from build).',
          ]
        : [
            'Nothing changed on the servers or in the database.',
            'Fix the build, then run the deploy again (or resume: --from build).',
          ];
    case 'migrate-pre':
      return [
        'The old version still serves. Pre-deploy migrations that finished stay applied (they ' +
          'are additive, the old version runs on them); the failed one was rolled back or left ' +
          'nothing behind.',
        'Fix the cause (the migration error is above), then resume: --from migrate-pre.',
      ];
    case 'rollout':
    case 'verify':
      return [
        afterRollback(state) + ' Post-deploy migrations did not run.',
        'Fix the release and deploy a new commit, or retry this one: --from rollout.',
      ];
    case 'migrate-post':
      return [
        'The new version serves on every instance; only the post-deploy migrations are missing.',
        'Fix the cause, then resume: --from migrate-post.',
      ];
  }
}

function afterRollback(state: DeployState): string {
  if (state.status !== 'rolled-back') {
    return 'The rollback did not complete: check what serves now (/health/ready on every instance).';
  }
  return state.servingAfterRollback === false
    ? 'Nothing served before this deploy (a first deploy), and nothing serves now.'
    : 'The previous version serves again, on the expanded schema.';
}

function succeededSummary(state: DeployState): string {
  const release = state.release;
  return release
    ? `deploy of ${release.id} (commit ${release.commit}) succeeded`
    : 'deploy succeeded';
}

function stepsToRun(options: DeployOptions): Step[] {
  const start = options.from ? STEPS.indexOf(options.from) : 0;
  return STEPS.slice(start).filter((step) => !options.only || options.only.includes(step));
}

/**
 * A new state; with --from the last deploy's, reset from that step on; with --only and the
 * release the last deploy recorded, that deploy's state with those steps reset (a host of the
 * ssh target runs its steps this way, and must keep what its rollout recorded for a rollback).
 */
function startingState(options: DeployOptions, reporter: Reporter): DeployState {
  const previous = readState(options.root);
  if (!options.from && options.only && continuesRecordedDeploy(previous, options)) {
    return resumed(previous, options.only);
  }
  if (!options.from) {
    if (previous?.status === 'running' || previous?.status === 'failed') {
      reporter.info(
        `the last deploy (${previous.release?.id ?? previous.ref}) stopped at ` +
          `${previous.failedStep ?? 'an unfinished step'}; starting a new deploy`,
      );
    }
    const state = newState(options.target, options.ref);
    if (options.release) state.release = readRelease(options.root, options.release);
    return state;
  }
  if (!previous) {
    throw new DeployError(
      'DEPLOY_NO_STATE',
      `--from ${options.from}: no earlier deploy is recorded in ${options.root}; run a whole deploy`,
    );
  }
  if (options.from !== 'build' && !previous.release) {
    throw new DeployError(
      'DEPLOY_NO_STATE',
      `--from ${options.from}: the last deploy never finished building; resume with --from build`,
    );
  }
  if (previous.target !== options.target) {
    throw new DeployError(
      'DEPLOY_USAGE',
      `--from ${options.from}: the last deploy used --target ${previous.target}, not ${options.target}`,
    );
  }
  reporter.info(
    `resuming the deploy of ${previous.release?.id ?? previous.ref} at ${options.from}` +
      (previous.failedStep ? ` (it stopped at ${previous.failedStep})` : ''),
  );
  return resumed(previous, STEPS.slice(STEPS.indexOf(options.from)));
}

function continuesRecordedDeploy(
  previous: DeployState | undefined,
  options: DeployOptions,
): previous is DeployState {
  return (
    previous !== undefined &&
    previous.target === options.target &&
    options.release !== undefined &&
    previous.release?.id === options.release &&
    previous.status !== 'rolled-back'
  );
}

function resumed(previous: DeployState, steps: readonly Step[]): DeployState {
  for (const step of steps) previous.steps[step] = 'pending';
  return {
    ...previous,
    status: 'running',
    failedStep: undefined,
    error: undefined,
    errorCode: undefined,
    outcome: undefined,
    servingAfterRollback: undefined,
    pid: process.pid,
  };
}

function contextFor(options: DeployOptions, reporter: Reporter, state: DeployState): TargetContext {
  return { options, reporter, state, saveState: () => writeState(options.root, state) };
}

function takeLock(options: DeployOptions, reporter: Reporter): Promise<DeployLock> {
  return acquireDeployLock({
    root: options.root,
    databaseUrl: options.databaseLock ? options.databaseUrl : undefined,
    waitMs: options.lockWaitMs,
    reporter,
    description: `--target ${options.target} ${options.release ?? options.ref}`,
  });
}

function pruneOldReleases(options: DeployOptions, state: DeployState, reporter: Reporter): void {
  const previous = (state.targetData as { previous?: string | null }).previous ?? undefined;
  const removed = pruneReleases(options.root, options.keepReleases, previous ? [previous] : []);
  if (removed.length > 0) reporter.info(`removed old releases: ${removed.join(', ')}`);
  const dir = releasesDir(options.root);
  const kept = fs.existsSync(dir)
    ? fs.readdirSync(dir).map((id) => releaseDir(options.root, id))
    : [];
  pruneDependencies(options.root, kept);
}
