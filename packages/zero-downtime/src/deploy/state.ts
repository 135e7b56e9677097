import fs from 'node:fs';
import path from 'node:path';
import type { DeployErrorCode } from './errors';
import type { Release } from './releases';
import { STEPS, type Step } from './steps';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed';
export type DeployStatus = 'running' | 'succeeded' | 'failed' | 'rolled-back';

/**
 * What the last deploy did, written after every change to `<root>/deploy-state.json`, so
 * `--from <step>` can resume it (and a person can read where it stopped).
 */
export interface DeployState {
  target: string;
  ref: string;
  release?: Release;
  status: DeployStatus;
  steps: Record<Step, StepStatus>;
  failedStep?: Step;
  error?: string;
  /** The DeployError code of the failure, when it had one. */
  errorCode?: DeployErrorCode;
  /** What happened on failure: rolled back, nothing to roll back, ... */
  outcome?: string;
  /** After a rollback: whether a release serves again (false after undoing a first deploy). */
  servingAfterRollback?: boolean;
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** Whatever a target needs to resume or roll back (previous release per host, ...). */
  targetData: Record<string, unknown>;
}

export const STATE_FILE = 'deploy-state.json';

export function statePath(root: string): string {
  return path.join(root, STATE_FILE);
}

export function newState(target: string, ref: string): DeployState {
  const now = new Date().toISOString();
  return {
    target,
    ref,
    status: 'running',
    steps: Object.fromEntries(STEPS.map((step) => [step, 'pending'])) as Record<Step, StepStatus>,
    pid: process.pid,
    startedAt: now,
    updatedAt: now,
    targetData: {},
  };
}

export function readState(root: string): DeployState | undefined {
  const file = statePath(root);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DeployState;
}

/** Written to a temporary file and renamed, so a crash never leaves half a state. */
export function writeState(root: string, state: DeployState): void {
  fs.mkdirSync(root, { recursive: true });
  state.updatedAt = new Date().toISOString();
  const file = statePath(root);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temporary, file);
}
