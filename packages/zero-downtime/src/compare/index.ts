export {
  compareTables,
  defaultReportPath,
  COMPARE_DEFAULTS,
  type CompareOptions,
  type CompareProgress,
  type CompareResult,
} from './compare';
export { CompareError, isCompareError, type CompareErrorCode } from './errors';
export type { Difference } from './differences';
