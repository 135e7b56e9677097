import { createProgressDisplay, type ProgressDisplay, type ProgressView } from '../core/progress';
import type { OutputStream } from '../core/terminal';
import type { CompareProgress } from './compare';

/** The progress of a command-line comparison: the display `zdm backfill` has. */
export function createCompareProgress(
  out: NodeJS.WritableStream & OutputStream,
  names: { source: string; target: string },
  intervalMs = 10_000,
): ProgressDisplay<CompareProgress> {
  return createProgressDisplay(out, (progress) => compareView(progress, names), intervalMs);
}

function compareView(
  progress: CompareProgress,
  names: { source: string; target: string },
): ProgressView {
  const perSecond = progress.elapsedMs > 0 ? (progress.sourceRows * 1000) / progress.elapsedMs : 0;
  // The estimate is the planner's: a table that grew meanwhile may pass it.
  const total = Math.max(progress.estimatedSourceRows, progress.sourceRows);
  return {
    label: `compare ${names.source} -> ${names.target}`,
    done: progress.sourceRows,
    total,
    unit: 'rows',
    steps: `${progress.chunks} chunks`,
    extra: `${progress.differences} differences`,
    perSecond,
    etaMs: perSecond > 0 ? ((total - progress.sourceRows) / perSecond) * 1000 : null,
  };
}
