export { backfill, type BackfillResult, type BackfillStatusResult } from './backfill';
export { BACKFILL_DEFAULTS, type BackfillOptions, type BackfillProgress } from './options';
export { BackfillError, isBackfillError, type BackfillErrorCode } from './errors';
export { parseLagThreshold, type LagThreshold } from './lag-threshold';
export { loadCheckpoint, CHECKPOINT_TABLE, type Checkpoint } from './checkpoint';
export { formatPlan, type BackfillPlan } from './plan';
export { createProgressReporter } from './progress-reporter';
