import { DeployError } from '../errors';
import type { DeployOptions } from '../options';
import type { Release } from '../releases';
import type { Reporter } from '../reporter';
import type { DeployState } from '../state';
import type { Step } from '../steps';
import { createKubernetesTarget } from './kubernetes';
import { createLocalTarget } from './local';
import { createSshTarget } from './ssh';

/**
 * Where a release runs. The orchestrator (../orchestrator.ts) owns the order of the steps, the
 * lock, the state and the migrations; a target only knows how to put a release in place, roll
 * it out, check it and undo it. A new target is one module exporting a factory, registered in
 * TARGETS below.
 */
export interface TargetContext {
  options: DeployOptions;
  reporter: Reporter;
  /** The deploy's state; `release` is set once `build` is done. */
  state: DeployState;
  /** Persists `state` (call it after changing `state.targetData`). */
  saveState(): void;
}

export interface Target {
  readonly name: string;
  /**
   * Builds the release and puts it where it will run (local: the deploy root; ssh: copied to
   * every host). Returns the local copy, from which the migrations run.
   */
  build(context: TargetContext): Promise<Release>;
  /**
   * Rolling restart onto `state.release`. Throws when instances do not become ready; the
   * orchestrator then calls `rollback`.
   */
  rollout(context: TargetContext): Promise<void>;
  /** Throws unless every instance answers /health/ready with the release's commit. */
  verify(context: TargetContext): Promise<void>;
  /**
   * Puts back what served before this deploy (the previous release, or nothing on a first
   * deploy), with no request lost. Throws when it cannot tell what served before: guessing
   * "nothing" would take a serving host down.
   */
  rollback(context: TargetContext): Promise<RollbackOutcome>;
  /**
   * Runs one phase of migrations. Optional: without it the orchestrator runs
   * `npm run migrate:<phase>` in the local copy of the release against DATABASE_URL.
   */
  migrate?(phase: 'pre' | 'post', context: TargetContext): Promise<void>;
  /**
   * Checked before anything is built or locked: what the steps about to run need from the
   * machine and the servers (PM2 installed, every host reachable). Throws a DeployError that
   * says what is missing; nothing has changed then.
   */
  preflight?(steps: readonly Step[], reporter: Reporter): Promise<void>;
}

export interface RollbackOutcome {
  /** One sentence saying what the rollback did. */
  summary: string;
  /** Whether a release serves traffic afterwards (false after undoing a first deploy). */
  serving: boolean;
}

export type TargetFactory = (options: DeployOptions) => Target;

export const TARGETS: Record<string, TargetFactory> = {
  local: createLocalTarget,
  ssh: createSshTarget,
  kubernetes: (options) => createKubernetesTarget(options),
};

export function createTarget(options: DeployOptions): Target {
  const factory = TARGETS[options.target];
  if (!factory) {
    throw new DeployError(
      'DEPLOY_USAGE',
      `unknown target "${options.target}"; choose one of ${Object.keys(TARGETS).join(', ')}`,
    );
  }
  return factory(options);
}
