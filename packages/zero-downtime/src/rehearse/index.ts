/**
 * `npm run rehearse`: the deploy of the current change rehearsed on this machine under load,
 * with a report (docs/rehearsal.md).
 */
export { runRehearsal, type RehearsalResult } from './rehearse';
export { REHEARSAL_DEFAULTS, type RehearsalOptions } from './options';
export { RehearsalError, isRehearsalError, type RehearsalErrorCode } from './errors';
export { buildReport, type RehearsalFacts, type RehearsalReport } from './report';
export { writeReport, type ReportFiles } from './write-report';
export { renderChart } from './chart';
export { renderMarkdown } from './markdown';
export { seedTables, type SeededTable } from './seed';
export { describeModel, type ModelShape, type ColumnShape } from './shapes';
export { loadMix, type LoadMix } from './load-mix';
export { describeReleaseApp, resourcesOf, type Resource, type Operation } from './release-app';
export { PhaseTracker, PHASE_LABELS, type Phase as LoadPhase, type PhaseName } from './phases';
export { startLockSampler, type LockSample, type LockWaiter } from './lock-sampler';
