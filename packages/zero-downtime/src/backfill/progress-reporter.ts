import { createProgressDisplay, type ProgressDisplay, type ProgressView } from '../core/progress';
import type { OutputStream } from '../core/terminal';
import type { BackfillProgress } from './options';

/** The progress of a command-line backfill, in the display `zdm compare` shares. */
export type ProgressReporter = ProgressDisplay<BackfillProgress>;

export function createProgressReporter(
  out: NodeJS.WritableStream & OutputStream,
  intervalMs = 10_000,
): ProgressReporter {
  return createProgressDisplay(out, backfillView, intervalMs);
}

function backfillView(progress: BackfillProgress): ProgressView {
  return {
    label: `backfill "${progress.name}"`,
    done: progress.rowsDone,
    total: progress.estimatedTotalRows,
    unit: 'rows',
    steps: `${progress.batchesDone} batches`,
    perSecond: progress.rowsPerSecond,
    etaMs: progress.etaMs,
    waiting: progress.state === 'waiting-for-lag' ? progress.lag : undefined,
  };
}
