export { runCompatGate } from './gate';
export type { CompatOptions, CompatReport, StageId, StageReport } from './gate';
export { formatCompatReport } from './report';
export { CompatError, isCompatError, type CompatErrorCode } from './errors';
export { readJestReport, FILE_DID_NOT_RUN } from './jest-report';
export type { FailureCause, JestJsonReport, SuiteResult, TestFailure } from './jest-report';
export { TEMPLATE_ENV } from './steps';
