import {
  CLEAR_LINE,
  isInteractive,
  styleFor,
  type OutputStream,
  type Style,
  type TerminalStream,
} from './terminal';

/**
 * The progress display of the long commands (`zdm backfill`, `zdm compare`): a bar redrawn in
 * place on a terminal, a plain line every `intervalMs` otherwise (logs, CI), so a log file does
 * not fill with carriage returns. Before the first progress, `status` says what the command is
 * doing (connecting, planning, counting), at once, so nothing sits silent.
 */
export interface ProgressView {
  /** Who is working, for the plain line: `backfill "emails"`, `compare users -> users_v2`. */
  label: string;
  done: number;
  /** The estimated total; 0 when unknown (no percent). */
  total: number;
  /** What is counted: `rows`. */
  unit: string;
  /** The work done in steps, for the plain line: `12 batches`. */
  steps: string;
  /** What must be seen at once, on the bar too: `3 differences`. */
  extra?: string;
  perSecond: number;
  etaMs: number | null;
  /** Shown instead of the rate and ETA while the command waits: `replica lags 20 MB`. */
  waiting?: string;
}

export interface ProgressDisplay<Progress> {
  onProgress(progress: Progress): void;
  /** What the command is doing now, shown at once (replaced by the next progress). */
  status(text: string): void;
  /** Clears the bar so a log line can be written; the next progress event redraws it. */
  interrupt(): void;
  done(): void;
}

export function createProgressDisplay<Progress>(
  out: NodeJS.WritableStream & OutputStream,
  view: (progress: Progress) => ProgressView,
  intervalMs = 10_000,
): ProgressDisplay<Progress> {
  const live = isInteractive(out);
  const style = styleFor(out);
  const columns = () => (out as TerminalStream).columns ?? 100;
  let last = 0;
  let drawn = false;
  const draw = (text: string) => {
    out.write(`${CLEAR_LINE}${text}`);
    drawn = true;
  };
  return {
    onProgress(progress) {
      const now = Date.now();
      if (now - last < (live ? 100 : intervalMs)) return;
      last = now;
      if (live) draw(bar(view(progress), columns(), style));
      else out.write(`${line(view(progress), style)}\n`);
    },
    status(text) {
      if (live) draw(style.dim(`${text}...`));
      else out.write(`${text}...\n`);
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

function fraction(view: ProgressView): number {
  return view.total > 0 ? Math.min(1, view.done / view.total) : 0;
}

function count(value: number): string {
  return value.toLocaleString('en');
}

function pace(view: ProgressView): string {
  return `${count(Math.round(view.perSecond))} ${view.unit}/s  ETA ${eta(view.etaMs)}`;
}

function bar(view: ProgressView, columns: number, style: Style): string {
  const status = view.waiting ? `waiting: ${view.waiting}` : pace(view);
  const counts = `${count(view.done)}/${count(view.total)} ${view.unit}${view.extra ? `  ${view.extra}` : ''}`;
  const width = Math.max(10, Math.min(40, columns - counts.length - status.length - 20));
  const filled = Math.round(fraction(view) * width);
  const pct = `${Math.floor(fraction(view) * 100)}%`.padStart(4);
  return (
    `[${style.ok('#'.repeat(filled))}${style.dim('.'.repeat(width - filled))}] ` +
    `${style.strong(pct)}  ${counts}  ${view.waiting ? style.warning(status) : status}`
  );
}

function line(view: ProgressView, style: Style): string {
  const base =
    `${view.label}: ${view.done}/${view.total} ${view.unit} ` +
    `(${Math.floor(fraction(view) * 100)}%), ${view.steps}${view.extra ? `, ${view.extra}` : ''}`;
  return view.waiting
    ? `${base}, ${style.warning(`waiting: ${view.waiting}`)}`
    : `${base}, ${pace(view).replace('  ETA', ', ETA')}`;
}

function eta(ms: number | null): string {
  if (ms === null) return '?';
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
