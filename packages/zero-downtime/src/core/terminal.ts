/**
 * What the toolkit's output may do on the stream it writes to. Colour follows the rule of the
 * starter's logger (and https://no-color.org): NO_COLOR with any value turns it off, else
 * FORCE_COLOR turns it on (FORCE_COLOR=0 off), else colour only on a terminal. A line redrawn
 * in place (a progress bar) needs a real terminal whatever the colour settings say.
 */
export interface TerminalStream {
  isTTY?: boolean;
  columns?: number;
}

/** Any stream: a file or a pipe has no `isTTY`. */
export type OutputStream = TerminalStream | NodeJS.WritableStream;

export function wantsColour(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR) return env.FORCE_COLOR !== '0';
  return isInteractive(stream);
}

/** A terminal that can redraw a line in place: carriage return, then erase to the line's end. */
export function isInteractive(stream: OutputStream): boolean {
  return (stream as TerminalStream).isTTY === true;
}

/** Back to the line's start and erase it (only on an interactive stream). */
export const CLEAR_LINE = '\r\x1b[K';

/** The toolkit's few colours, by meaning; each returns its text unchanged without colour. */
export interface Style {
  /** Refusals, failures, error findings. */
  error(text: string): string;
  warning(text: string): string;
  /** Passed, done, the safe way. */
  ok(text: string): string;
  strong(text: string): string;
  dim(text: string): string;
}

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURED: Style = {
  error: sgr(31, 39),
  warning: sgr(33, 39),
  ok: sgr(32, 39),
  strong: sgr(1, 22),
  dim: sgr(2, 22),
};

const same = (text: string) => text;

/** No colour: for files, JSON and anything that is not a person's terminal. */
export const PLAIN: Style = { error: same, warning: same, ok: same, strong: same, dim: same };

/** The style for output written to `stream`. */
export function styleFor(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): Style {
  return wantsColour(stream, env) ? COLOURED : PLAIN;
}
