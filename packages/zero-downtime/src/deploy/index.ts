export { DeployError, type DeployErrorCode } from './errors';
export type { DeployOptions, SshOptions } from './options';
export { runDeploy, rollBackLastDeploy, type DeployResult } from './orchestrator';
export { consoleReporter, silentReporter, type Reporter } from './reporter';
export { readState, type DeployState } from './state';
export { STEPS, STEP_DESCRIPTIONS, isStep, type Step } from './steps';
export { TARGETS, type Target, type TargetContext, type TargetFactory } from './targets';
