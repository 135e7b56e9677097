import {
  CLEAR_LINE,
  isInteractive,
  styleFor,
  type Style,
  type TerminalStream,
} from '../core/terminal';
import type { BackfillProgress } from './options';

/**
 * Progress of a command-line backfill: a bar redrawn in place on a terminal, a plain line every
 * `intervalMs` otherwise (logs, CI), so a log file does not fill with carriage returns.
 */
export interface ProgressReporter {
  onProgress(progress: BackfillProgress): void;
  /** Clears the bar so a log line can be written; the next progress event redraws it. */
  interrupt(): void;
  done(): void;
}

export function createProgressReporter(
  out: NodeJS.WritableStream & TerminalStream,
  intervalMs = 10_000,
): ProgressReporter {
  const live = isInteractive(out);
  const style = styleFor(out);
  let last = 0;
  let drawn = false;
  return {
    onProgress(progress) {
      const now = Date.now();
      const every = live ? 100 : intervalMs;
      if (now - last < every) return;
      last = now;
      if (live) {
        out.write(`${CLEAR_LINE}${bar(progress, out.columns ?? 100, style)}`);
        drawn = true;
      } else {
        out.write(`${line(progress, style)}\n`);
      }
    },
    interrupt() {
      if (!drawn) return;
      out.write(CLEAR_LINE);
      drawn = false;
      last = 0;
    },
    done() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}

function percent(progress: BackfillProgress): number {
  if (progress.estimatedTotalRows <= 0) return 0;
  return Math.min(1, progress.rowsDone / progress.estimatedTotalRows);
}

function bar(progress: BackfillProgress, columns: number, style: Style): string {
  const waiting = progress.state === 'waiting-for-lag';
  const status = waiting
    ? `waiting: ${progress.lag}`
    : `${rate(progress)}  ETA ${eta(progress.etaMs)}`;
  const counts = `${progress.rowsDone.toLocaleString('en')}/${progress.estimatedTotalRows.toLocaleString('en')} rows`;
  const width = Math.max(10, Math.min(40, columns - counts.length - status.length - 20));
  const filled = Math.round(percent(progress) * width);
  const pct = `${Math.floor(percent(progress) * 100)}%`.padStart(4);
  return `[${style.ok('#'.repeat(filled))}${style.dim('.'.repeat(width - filled))}] ${style.strong(pct)}  ${counts}  ${waiting ? style.warning(status) : status}`;
}

function line(progress: BackfillProgress, style: Style): string {
  const base =
    `backfill "${progress.name}": ${progress.rowsDone}/${progress.estimatedTotalRows} rows ` +
    `(${Math.floor(percent(progress) * 100)}%), ${progress.batchesDone} batches`;
  return progress.state === 'waiting-for-lag'
    ? `${base}, ${style.warning(`waiting: ${progress.lag}`)}`
    : `${base}, ${rate(progress)}, ETA ${eta(progress.etaMs)}`;
}

function rate(progress: BackfillProgress): string {
  return `${Math.round(progress.rowsPerSecond).toLocaleString('en')} rows/s`;
}

function eta(ms: number | null): string {
  if (ms === null) return '?';
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
