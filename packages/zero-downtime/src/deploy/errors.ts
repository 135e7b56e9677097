import { ToolkitError } from '../core/errors';

export type DeployErrorCode =
  | 'DEPLOY_USAGE'
  | 'DEPLOY_PREFLIGHT'
  | 'DEPLOY_LOCKED'
  | 'DEPLOY_NO_STATE'
  | 'BUILD_FAILED'
  | 'SHIP_FAILED'
  | 'MIGRATION_FAILED'
  | 'DATA_CHECK_FAILED'
  | 'ROLLOUT_FAILED'
  | 'VERIFY_FAILED'
  | 'ROLLBACK_FAILED'
  | 'COMMAND_FAILED'
  | 'DATABASE_UNREACHABLE';

/** Every refusal and failure of the deploy: a code to branch on, a sentence to act on. */
export class DeployError extends ToolkitError<DeployErrorCode> {}

/** Said (with exit code 1) when a rollback leaves nothing serving. */
export const NOTHING_SERVES = 'NOTHING SERVES NOW';
